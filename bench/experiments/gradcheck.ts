import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { bmm, mm, swapLast2 } from '../../src/core/ops';
async function main() {
  await initBackend(process.argv[2] ?? 'wasm');
  const a = tf.variable(tf.randomNormal([5, 7]));
  const b = tf.variable(tf.randomNormal([7, 3]));
  const f1 = () => tf.sum(tf.square(mm(a as unknown as tf.Tensor2D, b as unknown as tf.Tensor2D))) as tf.Scalar;
  const f2 = () => tf.sum(tf.square(tf.matMul(a, b))) as tf.Scalar;
  const g1 = tf.variableGrads(f1, [a, b]).grads;
  const g2 = tf.variableGrads(f2, [a, b]).grads;
  for (const v of [a, b]) console.log('mm', v.name, tf.max(tf.abs(tf.sub(g1[v.name], g2[v.name]))).dataSync()[0]);
  const x = tf.variable(tf.randomNormal([2, 3, 4, 5]));
  const y = tf.variable(tf.randomNormal([2, 3, 5, 6]));
  const h1 = tf.variableGrads(() => tf.sum(tf.sin(bmm(x, y))) as tf.Scalar, [x, y]).grads;
  const h2 = tf.variableGrads(() => tf.sum(tf.sin(tf.matMul(x, y))) as tf.Scalar, [x, y]).grads;
  for (const v of [x, y]) console.log('bmm', tf.max(tf.abs(tf.sub(h1[v.name], h2[v.name]))).dataSync()[0]);
  const r = tf.randomNormal([3, 37, 70]);
  console.log('swap exact', tf.max(tf.abs(tf.sub(swapLast2(r), tf.transpose(r, [0, 2, 1])))).dataSync()[0]);
  // only-needed gradients: frozen b
  const fz = tf.variable(tf.randomNormal([7, 3]), false);
  const before = tf.memory().numTensors;
  const gg = tf.variableGrads(() => tf.sum(mm(a as unknown as tf.Tensor2D, fz as unknown as tf.Tensor2D)) as tf.Scalar, [a]);
  console.log('frozen grads keys', Object.keys(gg.grads).length, 'tensors delta', tf.memory().numTensors - before);
  await frozen();
}
void main();
// Frozen-weight path (cached transpose) and the reordered products, against tf.matMul.
async function frozen() {
  const W = tf.variable(tf.randomNormal([64, 32]), false);
  const A = tf.variable(tf.randomNormal([64, 4]));
  const x = tf.variable(tf.randomNormal([16, 64]));
  const f = (useMm: boolean) => () => {
    const h = useMm ? mm(x as unknown as tf.Tensor2D, W as unknown as tf.Tensor2D) : tf.matMul(x, W);
    const l = useMm ? mm(x as unknown as tf.Tensor2D, A as unknown as tf.Tensor2D) : tf.matMul(x, A);
    return tf.sum(tf.mul(tf.sin(h), tf.sum(l))) as tf.Scalar;
  };
  for (let rep = 0; rep < 2; rep++) {
    const g1 = tf.variableGrads(f(true), [x, A]).grads;
    const g2 = tf.variableGrads(f(false), [x, A]).grads;
    for (const v of [x, A])
      console.log('frozen path rel', rep, v.name, tf.max(tf.abs(tf.sub(g1[v.name], g2[v.name]))).dataSync()[0] / tf.max(tf.abs(g2[v.name])).dataSync()[0]);
  }
  W.assign(tf.randomNormal([64, 32]));
  const g1 = tf.variableGrads(f(true), [x]).grads;
  const g2 = tf.variableGrads(f(false), [x]).grads;
  console.log('after assign', tf.max(tf.abs(tf.sub(g1[x.name], g2[x.name]))).dataSync()[0]);
}
