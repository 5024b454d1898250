/** Can dX = dY·Wᵀ run without materialising Wᵀ? conv2dTranspose (Conv2DBackpropInput) vs transpose+matmul. */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function time(label: string, f: () => tf.Tensor, reps = 20) {
  for (let i = 0; i < 3; i++) f().dispose();
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = cpu();
    const r = f();
    r.dataSync();
    r.dispose();
    xs.push(cpu() - t);
  }
  xs.sort((a, b) => a - b);
  console.log(label.padEnd(40), xs[xs.length >> 1].toFixed(3), 'ms cpu');
}
async function main() {
  await initBackend('wasm');
  const W = tf.variable(tf.randomNormal([512, 512]), false); // [in, out]
  const dy = tf.randomNormal([128, 512]) as tf.Tensor2D;
  const ref = tf.matMul(dy, tf.transpose(W));
  const f4 = tf.reshape(W, [1, 1, 512, 512]) as tf.Tensor4D;
  const dy4 = tf.reshape(dy, [1, 128, 1, 512]) as tf.Tensor4D;
  const viaConv = tf.reshape(tf.conv2dTranspose(dy4, f4, [1, 128, 1, 512], 1, 'valid'), [128, 512]);
  console.log('max diff', tf.max(tf.abs(tf.sub(ref, viaConv))).dataSync()[0]);
  time('transpose+matmul', () => tf.tidy(() => tf.matMul(dy, tf.transpose(W))));
  time('matmul transposeB', () => tf.matMul(dy, W, false, true));
  time('conv2dTranspose', () => tf.conv2dTranspose(dy4, f4, [1, 128, 1, 512], 1, 'valid'));
  time('matmul with pre-transposed', () => tf.matMul(dy, ref.shape[0] ? tf.keep(tf.transpose(W)) : W));
}
void main();
