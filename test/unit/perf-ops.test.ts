/**
 * src/core/ops.ts: the products and transposes chosen for speed must compute exactly what tf.matMul
 * and tf.transpose compute (to float32 rounding on the BLAS path), with the same gradients, only the
 * gradients that are needed, a frozen-weight transpose cache that follows assign(), and no leaks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { bmm, clearTransposeCache, matmulImplementation, mm, swapLast2 } from '../../src/core/ops';
import { quantile, summarize } from '../../bench/stats';

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]));
}

const as2d = (v: tf.Variable) => v as unknown as tf.Tensor2D;

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: mm and bmm equal tf.matMul, values and gradients`, async () => {
    await initBackend(backend);
    tf.tidy(() => {
      const a = tf.variable(tf.randomNormal([37, 300], 0, 1, 'float32', 1));
      const b = tf.variable(tf.randomNormal([300, 19], 0, 1, 'float32', 2));
      assert.ok(maxRelDiff(mm(as2d(a), as2d(b)), tf.matMul(a, b)) < 1e-5);
      const loss = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => () => tf.sum(tf.sin(f(as2d(a), as2d(b)))) as tf.Scalar;
      const ours = tf.variableGrads(loss(mm), [a, b]).grads;
      const ref = tf.variableGrads(
        loss((x, y) => tf.matMul(x, y)),
        [a, b],
      ).grads;
      for (const v of [a, b]) assert.ok(maxRelDiff(ours[v.name], ref[v.name]) < 1e-5, `${v.name}: gradients differ`);
      const x = tf.variable(tf.randomNormal([2, 3, 17, 9], 0, 1, 'float32', 3));
      const y = tf.variable(tf.randomNormal([2, 3, 9, 11], 0, 1, 'float32', 4));
      const g1 = tf.variableGrads(() => tf.sum(tf.square(bmm(x, y))) as tf.Scalar, [x, y]).grads;
      const g2 = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, y))) as tf.Scalar, [x, y]).grads;
      for (const v of [x, y]) assert.ok(maxRelDiff(g1[v.name], g2[v.name]) < 1e-5);
      [a, b, x, y].forEach((v) => v.dispose());
    });
  });

  test(`${backend}: swapLast2 is an exact transpose, small and large planes, with its gradient`, async () => {
    await initBackend(backend);
    tf.tidy(() => {
      for (const shape of [
        [5, 7],
        [300, 260],
        [2, 3, 4, 5],
        [2, 257, 300],
      ]) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
        const perm = shape.map((_, i) => i);
        [perm[shape.length - 2], perm[shape.length - 1]] = [perm[shape.length - 1], perm[shape.length - 2]];
        assert.deepEqual(Array.from(swapLast2(x).dataSync()), Array.from(tf.transpose(x, perm).dataSync()), `shape ${shape}`);
      }
      const v = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 6));
      const w = tf.randomNormal([4, 6], 0, 1, 'float32', 7);
      const g = tf.variableGrads(() => tf.sum(tf.mul(swapLast2(v), w)) as tf.Scalar, [v]).grads[v.name];
      assert.deepEqual(Array.from(g.dataSync()), Array.from(tf.transpose(w).dataSync()));
      v.dispose();
    });
  });

  test(`${backend}: a frozen weight gets no gradient work, and its cached transpose follows assign()`, async () => {
    await initBackend(backend);
    clearTransposeCache();
    const w = tf.variable(tf.randomNormal([64, 32], 0, 1, 'float32', 8), false);
    const a = tf.variable(tf.randomNormal([64, 4], 0, 1, 'float32', 9));
    const x = tf.randomNormal([16, 64], 0, 1, 'float32', 10) as tf.Tensor2D;
    const gradOfX = () =>
      tf.tidy(() => {
        const xv = tf.variable(x);
        const g = tf.variableGrads(() => tf.sum(tf.mul(tf.sin(mm(as2d(xv), as2d(w))), tf.sum(mm(as2d(xv), as2d(a))))) as tf.Scalar, [xv]).grads[xv.name];
        const ref = tf.variableGrads(() => tf.sum(tf.mul(tf.sin(tf.matMul(xv, w)), tf.sum(tf.matMul(xv, a)))) as tf.Scalar, [xv]).grads[xv.name];
        const diff = maxRelDiff(g, ref);
        xv.dispose();
        return diff;
      });
    assert.ok(gradOfX() < 1e-5);
    assert.ok(gradOfX() < 1e-5, 'second step (cached transpose)');
    w.assign(tf.randomNormal([64, 32], 0, 1, 'float32', 11));
    assert.ok(gradOfX() < 1e-5, 'after assign() the cached transpose must not be reused');
    // Gradient of A only through (x·A)·W: 2 products forward, 2 backward (no dW for the frozen W, no dx).
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(mm(mm(x, as2d(a)), tf.ones([4, 5]) as tf.Tensor2D)) as tf.Scalar, [a]);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    });
    assert.equal(profile.kernels.filter((k) => k.name === 'SymloraLabMatMul').length, 4);
    clearTransposeCache();
    [w, a, x].forEach((t) => t.dispose());
  });
}

test('the matmul implementation is named (BLAS library or the backend kernel)', async () => {
  await initBackend('wasm');
  assert.match(matmulImplementation(), /^(cblas_sgemm \(.+\)|wasm BatchMatMul)$/);
});

test('bench stats: interpolated quantiles and summaries', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([5], 0.9), 5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.deepEqual(summarize([3, 1, 2]), { medianMs: 2, p10Ms: 1.2, p90Ms: 2.8, samples: 3 });
});
