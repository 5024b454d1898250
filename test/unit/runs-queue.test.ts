import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunQueue } from '../../src/core/runs/queue';
import { isProcessAlive, readRunRecord } from '../../src/core/runs/reader';
import { testSpec } from '../fixtures/trainers/spec';
import { bundledFixture } from '../fixtures/trainers/bundle';
import { specOf, teacherConfig } from '../helpers/configs';
import type { RunSpec } from '../../src/core/experiment/types';

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

const REAL_TRAINER = join(__dirname, '..', '..', 'dist', 'trainer.js');
const noTrainer = existsSync(REAL_TRAINER) ? false : 'dist/trainer.js is missing: run `npm run build` first';

/** Runs specs through a queue of the real trainer; returns each run's trainer pid and run.json. */
async function realSweep(specs: { spec: RunSpec; backend?: string }[], reuseTrainers: boolean) {
  const runsDir = tempDir();
  const queue = new RunQueue({ concurrency: 1, launch: { trainerPath: REAL_TRAINER }, reuseTrainers });
  const runs = specs.map(({ spec, backend }) => queue.enqueue(spec, { runsDir, ...(backend ? { backend } : {}) }));
  const pids = runs.map((run) => run.handle?.pid);
  queue.on('started', (run) => (pids[run.index] = run.handle!.pid));
  await queue.onIdle();
  return { pids, records: runs.map((run) => readRunRecord(run.runDir)), runsDir };
}

test(
  "the real trainer: consecutive runs that ask for the same backend share a process, with the results of fresh ones; a failed run's process is not reused; none is left behind",
  { skip: noTrainer },
  async () => {
    const small = (seed: number, extra: object = {}) => specOf(teacherConfig({ seed, train: { epochs: 2 }, backend: 'cpu', ...extra }));
    const specs = [
      { spec: small(0) },
      { spec: small(1) },
      { spec: small(2, { adapter: { rank: 64 } }) }, // larger than the layers: fails in the trainer
      { spec: small(3) },
      { spec: small(4), backend: 'wasm' },
    ];
    const shared = await realSweep(specs, true);
    assert.deepEqual(
      shared.records.map((r) => r.status),
      ['completed', 'completed', 'failed', 'completed', 'completed'],
    );
    const [a, b, failed, afterFailure, otherBackend] = shared.pids;
    assert.equal(b, a, "the second run reused the first run's trainer");
    assert.equal(failed, b, 'and so did the third');
    assert.notEqual(afterFailure, failed, 'after a failed run the trainer exits: the next run gets a new one');
    assert.notEqual(otherBackend, afterFailure, 'a run asking for another backend gets its own trainer');
    assert.equal(shared.records[4].backend, 'wasm');
    assert.deepEqual(
      shared.records.map((r) => r.pid),
      shared.pids,
    );
    for (const pid of new Set(shared.pids)) assert.equal(isProcessAlive(pid!), false, `trainer ${pid} is gone once the queue is idle`);

    const fresh = await realSweep(specs, false);
    assert.equal(new Set(fresh.pids).size, specs.length, 'reuseTrainers: false starts a process per run');
    assert.deepEqual(
      shared.records.map((r) => r.summary),
      fresh.records.map((r) => r.summary),
      'a reused process gives the same results',
    );
  },
);

test('the real trainer: one process serving a dozen runs gathers no listeners', { skip: noTrainer }, async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    const specs = Array.from({ length: 12 }, (_, seed) => ({ spec: specOf(teacherConfig({ seed, train: { epochs: 1 }, backend: 'cpu' })) }));
    const { pids, records } = await realSweep(specs, true);
    assert.ok(records.every((r) => r.status === 'completed'));
    assert.equal(new Set(pids).size, 1, 'all in one trainer');
    assert.deepEqual(
      warnings.filter((w) => /MaxListeners/.test(w)),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});
