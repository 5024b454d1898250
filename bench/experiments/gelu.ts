/**
 * GELU (tanh approximation) as written in src/core/models/mlp.ts vs the same function through
 * sigmoid: 0.5·(1 + tanh(u)) = sigmoid(2u), and x³ as x·x·x. wasm's Pow and Tanh are scalar libm
 * loops; its Sigmoid is XNNPACK's vectorised kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { gelu } from '../../src/core/models/mlp';

const K = Math.sqrt(2 / Math.PI);
export function geluSigmoid(x: tf.Tensor): tf.Tensor {
  const cube = tf.mul(tf.mul(x, x), x);
  return tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * K)));
}

function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
async function main() {
  await initBackend(process.argv[2] ?? 'wasm');
  const x = tf.variable(tf.randomNormal([2048, 1024]));
  const w = tf.randomNormal([2048, 1024]);
  const run = (f: (t: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x), w)) as tf.Scalar, [x]);
      return [value.dataSync()[0], grads[x.name]] as const;
    });
  const [v1, g1] = run(gelu);
  const [v2, g2] = run(geluSigmoid);
  console.log('value rel diff', Math.abs(v1 - v2) / Math.abs(v1), 'grad max abs diff', tf.max(tf.abs(tf.sub(g1, g2))).dataSync()[0]);
  for (const [label, f] of [
    ['gelu (pow, tanh)', gelu],
    ['gelu (x·x·x, sigmoid)', geluSigmoid],
  ] as const) {
    for (let i = 0; i < 2; i++) run(f)[1].dispose();
    const xs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const c = cpu();
      run(f)[1].dispose();
      xs.push(cpu() - c);
    }
    xs.sort((a, b) => a - b);
    console.log(label.padEnd(24), 'fwd+bwd [2048,1024] cpu median', xs[3].toFixed(1), 'ms');
  }
}
if (require.main === module) void main();
