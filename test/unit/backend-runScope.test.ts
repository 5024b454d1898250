/**
 * A trainer process may serve several runs, so a run must leave no tensor behind: inRunScope frees
 * what the run's code forgot (across awaits), and liveTensorCount is how the trainer checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, inRunScope, liveTensorCount } from '../../src/core/backend';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

test('inRunScope disposes the tensors a run forgot, across awaits', async () => {
  await initBackend('cpu');
  const before = liveTensorCount();
  const sum = await inRunScope(async () => {
    const initial = tf.tensor1d([1, 2, 3]);
    const weights = tf.variable(initial, false); // the initial tensor is never disposed: the usual leak
    await tick();
    const total = tf.sum(weights).dataSync()[0];
    weights.dispose();
    assert.ok(liveTensorCount() > before, 'the forgotten tensors are alive inside the run');
    return total;
  });
  assert.equal(sum, 6);
  assert.equal(liveTensorCount(), before, 'nothing outlives the run');
});

test('inRunScope ends its scope when the run throws', async () => {
  await initBackend('cpu');
  const before = liveTensorCount();
  await assert.rejects(
    inRunScope(async () => {
      tf.zeros([4]);
      await tick();
      throw new Error('diverged');
    }),
    /diverged/,
  );
  assert.equal(liveTensorCount(), before, 'the scope ended and freed the tensor');
});
