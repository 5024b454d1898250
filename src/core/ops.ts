/**
 * Matrix products whose gradients transpose explicitly.
 *
 * tf.matMul's gradient calls matMul with transpose flags; on the wasm backend a transposed (or
 * batched) matMul leaves XNNPACK for a naive loop, several times slower (DESIGN.md §5). Here the
 * backward pass materialises the transposes (cheap, O(size)) and multiplies untransposed.
 */
import * as tf from '@tensorflow/tfjs-core';

type BinaryGradFn = (a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };
// tf.customGrad's parameter type lumps tensors and the save function into one rest array.
const customBinary = (fn: BinaryGradFn) => tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const matmul2d = customBinary((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy2)];
    },
  };
});

/** a [m,k] · b [k,n] → [m,n], with an explicit-transpose gradient. */
export function mm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmul2d(a, b) as tf.Tensor2D;
}

/** Swap the last two axes of a rank-3 or rank-4 tensor. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

const batchMatmul = customBinary((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy, transposeLast2(sb)), tf.matMul(transposeLast2(sa), dy)];
    },
  };
});

/** Batched product over leading axes (same batch shape on both sides), explicit-transpose gradient. */
export function bmm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return batchMatmul(a, b);
}
