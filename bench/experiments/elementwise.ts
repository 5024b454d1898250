import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
async function main() {
  await initBackend(process.argv[2] ?? 'wasm');
  for (const n of [65536, 262144, 1048576]) {
    const a = tf.randomNormal([n]);
    const b2 = tf.randomNormal([512, n / 512]);
    for (const [label, f] of [
      ['add', () => tf.add(a, 1)],
      ['mul', () => tf.mul(a, a)],
      ['transpose', () => tf.transpose(b2)],
      ['relu', () => tf.relu(a)],
    ] as [string, () => tf.Tensor][]) {
      for (let i = 0; i < 5; i++) f().dispose();
      const reps = 50;
      const t = cpu();
      const w = performance.now();
      for (let i = 0; i < reps; i++) f().dispose();
      console.log(label.padEnd(10), n, ((cpu() - t) / reps).toFixed(3), 'ms cpu', ((performance.now() - w) / reps).toFixed(3), 'ms wall');
    }
  }
}
void main();
