/** CPU ms of elementwise kernels on 2M floats (the encoder's FFN activation size) on wasm. */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
async function main() {
  await initBackend('wasm');
  const x = tf.randomNormal([2048, 1024]);
  const ops: [string, () => tf.Tensor][] = [
    ['mul', () => tf.mul(x, x)],
    ['mul scalar', () => tf.mul(x, 0.5)],
    ['add scalar', () => tf.add(x, 1)],
    ['sigmoid', () => tf.sigmoid(x)],
    ['tanh', () => tf.tanh(x)],
    ['pow 3', () => tf.pow(x, 3)],
    ['exp', () => tf.exp(x)],
    ['relu', () => tf.relu(x)],
    ['sub', () => tf.sub(x, x)],
    ['clone', () => tf.clone(x)],
  ];
  for (const [label, f] of ops) {
    for (let i = 0; i < 2; i++) f().dispose();
    const xs: number[] = [];
    for (let i = 0; i < 9; i++) {
      const c = cpu();
      f().dispose();
      xs.push(cpu() - c);
    }
    xs.sort((a, b) => a - b);
    console.log(label.padEnd(12), xs[4].toFixed(2), 'ms');
  }
}
void main();
