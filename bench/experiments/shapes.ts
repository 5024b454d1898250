/** Per-shape matmul cost on wasm: which kernel path (plain, transposed, fused, conv2d) is fastest. */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';

function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function time(label: string, f: () => tf.Tensor, reps = 30) {
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
  console.log(label.padEnd(46), xs[xs.length >> 1].toFixed(3), 'ms cpu');
}
async function main() {
  await initBackend(process.argv[2] ?? 'wasm');
  const shapes: [number, number, number][] = [
    [128, 512, 512],
    [512, 128, 512],
    [512, 128, 8],
    [128, 8, 512],
    [128, 512, 8],
    [8, 128, 512],
  ];
  for (const [m, k, n] of shapes) {
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const b = tf.variable(tf.randomNormal([k, n])) as unknown as tf.Tensor2D;
    const bt = tf.randomNormal([n, k]) as tf.Tensor2D;
    time(`${m}x${k}x${n} plain, stable b`, () => tf.matMul(a, b));
    time(`${m}x${k}x${n} plain, fresh b`, () => tf.tidy(() => tf.matMul(a, tf.add(b, 0))));
    time(`${m}x${k}x${n} fresh b (add only)`, () => tf.add(b, 0));
    time(`${m}x${k}x${n} transposeB`, () => tf.matMul(a, bt, false, true), 5);
    time(`${m}x${k}x${n} transpose(b) then plain`, () => tf.tidy(() => tf.matMul(a, tf.transpose(bt))));
    time(`${m}x${k}x${n} transpose alone [${n},${k}]`, () => tf.transpose(bt));
    const a4 = tf.reshape(a, [1, 1, m, k]) as tf.Tensor4D;
    const f4 = tf.reshape(b, [1, 1, k, n]) as tf.Tensor4D;
    time(`${m}x${k}x${n} conv2d 1x1`, () => tf.conv2d(a4, f4, 1, 'valid'));
  }
}
void main();
