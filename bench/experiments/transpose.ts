/** wasm Transpose kernel vs our blocked JS copy on the wasm heap (ops.ts swapLast2). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { swapLast2 } from '../../src/core/ops';
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function time(label: string, f: () => tf.Tensor, reps = 40) {
  for (let i = 0; i < 5; i++) f().dispose();
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = cpu();
    f().dispose();
    xs.push(cpu() - t);
  }
  xs.sort((a, b) => a - b);
  console.log(label.padEnd(40), xs[xs.length >> 1].toFixed(3), 'ms cpu');
}
async function main() {
  await initBackend('wasm');
  for (const s of [
    [512, 512],
    [128, 512],
    [512, 8],
    [2048, 256],
    [128, 64, 64],
  ]) {
    const x = tf.randomNormal(s);
    const perm = s.length === 2 ? [1, 0] : [0, 2, 1];
    time(`tf.transpose [${s}]`, () => tf.transpose(x, perm));
    time(`swapLast2 [${s}]`, () => swapLast2(x));
  }
}
void main();
