import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
async function main() {
  await tf.setBackend(process.argv[2] ?? 'wasm');
  await tf.ready();
  const n = 512;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const bv = tf.variable(b);
  const time = (label: string, f: () => tf.Tensor, reps = 10) => {
    for (let i = 0; i < 2; i++) f().dispose();
    const xs: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      const r = f();
      r.dataSync();
      r.dispose();
      xs.push(performance.now() - t);
    }
    xs.sort((p, q) => p - q);
    const ms = xs[xs.length >> 1];
    console.log(label.padEnd(24), ms.toFixed(2), 'ms', ((2 * n * n * n) / ms / 1e6).toFixed(2), 'GFLOP/s');
  };
  time('matMul same b', () => tf.matMul(a, b));
  time('matMul variable b', () => tf.matMul(a, bv));
  time('matMul fresh b', () => tf.tidy(() => tf.matMul(a, tf.add(b, 0))));
  time('matMul transposeA', () => tf.matMul(a, b, true, false), 3);
  time('matMul transposeB', () => tf.matMul(a, b, false, true), 3);
  time('fused matMul', () => tf.fused.matMul({ a, b }));
  const a3 = tf.reshape(a, [1, n, n]) as tf.Tensor3D;
  const b3 = tf.reshape(b, [1, n, n]) as tf.Tensor3D;
  time('batch-1 3D', () => tf.matMul(a3, b3));
  const a4 = tf.reshape(a, [1, 1, n, n]) as tf.Tensor4D;
  const f4 = tf.reshape(b, [1, 1, n, n]) as tf.Tensor4D;
  time('conv2d 1x1', () => tf.conv2d(a4, f4, 1, 'valid'));
}
main();
