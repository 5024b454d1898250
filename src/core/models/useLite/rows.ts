/**
 * Row gathers with a gradient the wasm backend can run. tf.gather's own gradient needs
 * UnsortedSegmentSum, which tfjs-backend-wasm lacks; ScatterNd (which sums duplicate indices, as
 * the gradient of a gather must) is there.
 */
import * as tf from '@tensorflow/tfjs-core';

/** table [rows, width] → table[indices] [n, width]; indices int32 [n] (duplicates allowed). */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  const width = table.shape[1];
  const op = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([indices]);
    return {
      value: tf.gather(t, indices),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(tf.reshape(saved[0], [-1, 1]), dy, [rows, width])],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (t: tf.Tensor) => tf.Tensor;
  return op(table) as tf.Tensor2D;
}
