import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunQueue } from '../../src/core/runs/queue';
import { isProcessAlive, readRunRecord } from '../../src/core/runs/reader';
import { testSpec } from '../fixtures/trainers/spec';
import { bundledFixture } from '../fixtures/trainers/bundle';

const tempDir = () => mkdtempSync(join(tmpdir(), 'symlora-queue-'));

test('20 queued runs with concurrency 2 all complete, start in order, and leave no process behind', async () => {
  const runsDir = tempDir();
  const queue = new RunQueue({ concurrency: 2, launch: { trainerPath: bundledFixture('fake-trainer') } });
  const started: number[] = [];
  const finished: number[] = [];
  const pids: number[] = [];
  let active = 0;
  let maxActive = 0;
  queue.on('started', (run) => {
    started.push(run.index);
    active += 1;
    maxActive = Math.max(maxActive, active);
    pids.push(run.handle!.pid!);
  });
  queue.on('finished', (run) => {
    finished.push(run.index);
    active -= 1;
  });
  const runs = Array.from({ length: 20 }, (_, seed) => queue.enqueue(testSpec({ seed, fake: { steps: 2, stepMs: 1 } }), { runsDir }));
  assert.equal(new Set(runs.map((run) => run.runId)).size, 20, 'ids are reserved at enqueue time');
  assert.ok(runs.every((run) => existsSync(run.runDir)));
  assert.equal(queue.activeCount, 2);
  assert.equal(queue.queuedCount, 18);
  await queue.onIdle();
  assert.deepEqual(started, [...Array(20).keys()], 'FIFO start order');
  assert.equal(finished.length, 20);
  assert.ok(maxActive <= 2, `at most 2 at once (saw ${maxActive})`);
  for (const run of runs) {
    assert.equal(run.exit?.status, 'completed', run.runId);
    assert.equal(readRunRecord(run.runDir).status, 'completed');
  }
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `trainer ${pid} is gone`);
});

test('cancel removes a waiting run (and its reserved folder); stopAll stops the running ones', async () => {
  const runsDir = tempDir();
  const queue = new RunQueue({ concurrency: 1, launch: { trainerPath: bundledFixture('fake-trainer') }, stopGraceMs: 5000 });
  const first = queue.enqueue(testSpec({ fake: { steps: 100_000, stepMs: 5 } }), { runsDir });
  const second = queue.enqueue(testSpec({ seed: 1 }), { runsDir });
  const third = queue.enqueue(testSpec({ seed: 2 }), { runsDir });
  const cancelled = await queue.cancel(second.runId);
  assert.equal(cancelled?.status, 'cancelled');
  assert.equal(existsSync(second.runDir), false, 'the reserved folder was removed');
  await new Promise<void>((resolve) => queue.on('message', (run, m) => run === first && m.type === 'metrics' && resolve()));
  await queue.stopAll();
  assert.equal(first.exit?.status, 'cancelled');
  assert.equal(readRunRecord(first.runDir).status, 'cancelled');
  assert.equal(third.exit?.status, 'cancelled');
  assert.equal(third.state, 'done');
  assert.deepEqual(readdirSync(runsDir), [first.runId]);
  assert.equal(isProcessAlive(first.handle!.pid!), false);
});

test('concurrency must be a whole number of at least 1', () => {
  assert.throws(() => new RunQueue({ concurrency: 0, launch: { trainerPath: 'x' } }), /concurrency must be a whole number ≥ 1, got 0/);
});
