import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchTrainer, TRAINER_NICENESS, type LaunchOptions } from '../../src/core/runs/launcher';
import { reserveRunDir } from '../../src/core/runs/ids';
import { isProcessAlive, readMetrics, readRunRecord } from '../../src/core/runs/reader';
import type { TrainerToHost } from '../../src/core/protocol';
import { testSpec, type FakeBehaviour } from '../fixtures/trainers/spec';
import { bundledFixture } from '../fixtures/trainers/bundle';

const tempDir = () => mkdtempSync(join(tmpdir(), 'symlora-launch-'));

function launchFake(fake: FakeBehaviour, extra: Partial<LaunchOptions> = {}) {
  const runsDir = tempDir();
  const spec = testSpec({ fake });
  const { id } = reserveRunDir(runsDir, spec);
  const handle = launchTrainer({ trainerPath: bundledFixture('fake-trainer'), spec, options: { runsDir, runId: id }, ...extra });
  const messages: TrainerToHost[] = [];
  handle.on('message', (message) => messages.push(message));
  return { handle, messages, runsDir, runDir: join(runsDir, id) };
}

test('a run that finishes is completed, streams messages, and keeps its output in stderr.log', async () => {
  const { handle, messages, runDir } = launchFake({ steps: 4 });
  assert.ok(handle.pid);
  const info = await handle.exited;
  assert.equal(info.status, 'completed');
  assert.equal(info.code, 0);
  assert.deepEqual(
    messages.map((m) => m.type),
    ['ready', 'started', 'metrics', 'metrics', 'metrics', 'metrics', 'finished'],
  );
  assert.equal(readRunRecord(runDir).status, 'completed');
  assert.equal(readMetrics(runDir).records.length, 4);
  assert.match(readFileSync(join(runDir, 'stderr.log'), 'utf8'), /fake trainer \d+ starting in mode ok/);
});

test('a trainer that exits with code 3 is marked crashed with the tail of its stderr', async () => {
  const { handle, runDir } = launchFake({ steps: 10, mode: 'exit3', crashAt: 3 });
  const info = await handle.exited;
  assert.equal(info.status, 'crashed');
  assert.equal(info.code, 3);
  assert.match(info.error!, /exited with code 3 without a final status\n[^]*boom: simulated crash at step 3/);
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'crashed');
  assert.match(record.error!, /boom: simulated crash at step 3/);
  assert.ok(record.endedAt);
  assert.equal(readMetrics(runDir).records.length, 2, 'what was flushed stays readable');
  assert.match(readFileSync(join(runDir, 'stderr.log'), 'utf8'), /boom/);
});

test('a trainer killed by SIGKILL is marked crashed', async () => {
  const { handle, runDir } = launchFake({ steps: 10, mode: 'sigkill', crashAt: 2 });
  const info = await handle.exited;
  assert.equal(info.status, 'crashed');
  assert.equal(info.signal, 'SIGKILL');
  assert.match(info.error!, /killed by SIGKILL/);
  assert.equal(readRunRecord(runDir).status, 'crashed');
});

test('a trainer that dies before writing run.json still gets a crashed run.json in its reserved folder', async () => {
  const { handle, runDir } = launchFake({ mode: 'die-at-start' });
  const info = await handle.exited;
  assert.equal(info.status, 'crashed');
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'crashed');
  assert.match(record.error!, /fatal: cannot load the backend/);
});

test('stop() is graceful: the trainer marks the run cancelled', async () => {
  const { handle, messages, runDir } = launchFake({ steps: 10_000, stepMs: 5 });
  await new Promise<void>((resolve) => handle.on('message', (m) => m.type === 'metrics' && resolve()));
  const info = await handle.stop(5000);
  assert.equal(info.status, 'cancelled');
  assert.equal(messages.at(-1)?.type, 'finished');
  assert.equal(readRunRecord(runDir).status, 'cancelled');
  assert.equal(readRunRecord(runDir).error, undefined, 'the trainer wrote it, not the host');
});

test('stop() forces a trainer that ignores it, and the run is cancelled', async () => {
  const { handle, runDir } = launchFake({ steps: 2, mode: 'ignore-stop' });
  await new Promise<void>((resolve) => handle.on('message', (m) => m.type === 'started' && resolve()));
  const info = await handle.stop(200);
  assert.equal(info.status, 'cancelled');
  assert.equal(info.signal, 'SIGTERM');
  assert.match(readRunRecord(runDir).error!, /did not finish in time and was killed/);
});

test('stop() before the trainer started leaves no run folder behind', async () => {
  const { handle, runDir } = launchFake({ steps: 3 });
  const info = await handle.stop(2000);
  assert.equal(info.status, 'cancelled');
  assert.equal(existsSync(runDir), false);
});

test('a finished message whose run.json was not finalised is recorded by the host', async () => {
  const { handle, runDir } = launchFake({ steps: 2, mode: 'finish-without-record' }, { exitAfterFinishedMs: 100 });
  const info = await handle.exited;
  assert.equal(info.status, 'completed');
  assert.equal(readRunRecord(runDir).status, 'completed');
});

test('a missing trainer script is a crash that says why', async () => {
  const runsDir = tempDir();
  const spec = testSpec();
  const { id } = reserveRunDir(runsDir, spec);
  const handle = launchTrainer({ trainerPath: join(runsDir, 'no-such-trainer.js'), spec, options: { runsDir, runId: id } });
  const info = await handle.exited;
  assert.equal(info.status, 'crashed');
  assert.match(info.error!, /Cannot find module/);
  assert.equal(readRunRecord(join(runsDir, id)).status, 'crashed');
});

test('a throwing message listener does not disturb the launcher', async () => {
  const errors: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string) => (errors.push(String(chunk)), true);
  try {
    const { handle, messages } = launchFake({ steps: 3 });
    handle.on('message', () => {
      throw new Error('listener bug');
    });
    const info = await handle.exited;
    assert.equal(info.status, 'completed');
    assert.equal(messages.at(-1)?.type, 'finished', 'other listeners still got every message');
  } finally {
    process.stderr.write = original;
  }
  assert.ok(errors.some((line) => line.includes('listener bug')));
});

test('without a reserved id the run dir comes from the started message', async () => {
  const runsDir = tempDir();
  const handle = launchTrainer({ trainerPath: bundledFixture('fake-trainer'), spec: testSpec({ fake: { steps: 2 } }), options: { runsDir } });
  const info = await handle.exited;
  assert.equal(info.status, 'completed');
  assert.ok(handle.runDir && existsSync(join(handle.runDir, 'stderr.log')), 'output buffered until the dir was known');
  assert.equal(readRunRecord(handle.runDir).id, handle.runId);
});

// ---------------------------------------------------------------------------------------------
// The real trainer (dist/trainer.js, built by `npm run build`)
// ---------------------------------------------------------------------------------------------

const REAL_TRAINER = join(__dirname, '..', '..', 'dist', 'trainer.js');
const noTrainer = existsSync(REAL_TRAINER) ? false : 'dist/trainer.js is missing: run `npm run build` first';

function realSpec(epochs: number) {
  const { parseExperiment } = require('../../src/core/experiment/load') as typeof import('../../src/core/experiment/load');
  const { expandSweep } = require('../../src/core/experiment/sweep') as typeof import('../../src/core/experiment/sweep');
  const config = parseExperiment(
    JSON.stringify({
      name: 'launcher-real',
      model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 4 },
      task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize: 128, testSize: 64 },
      adapter: { kind: 'symlora', rank: 2, targets: ['hidden.*'] },
      train: { epochs, batchSize: 32, lr: 0.01 },
      seed: 0,
      backend: 'cpu',
    }),
    'launcher-real.symlora.json',
  );
  return expandSweep(config)[0];
}

function launchReal(epochs: number) {
  const runsDir = tempDir();
  const spec = realSpec(epochs);
  const { id } = reserveRunDir(runsDir, spec);
  const handle = launchTrainer({ trainerPath: REAL_TRAINER, nodePath: process.execPath, spec, options: { runsDir, runId: id, streamIntervalMs: 20 } });
  const firstMetrics = new Promise<void>((resolve) => handle.on('message', (m) => m.type === 'metrics' && resolve()));
  return { handle, runDir: join(runsDir, id), firstMetrics };
}

test('the real trainer: stop() ends the run cancelled, with a checkpoint, written by the trainer', { skip: noTrainer }, async () => {
  const { handle, runDir, firstMetrics } = launchReal(500);
  await firstMetrics;
  const info = await handle.stop(20_000);
  assert.equal(info.status, 'cancelled', info.error);
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'cancelled');
  assert.equal(record.backend, 'cpu');
  assert.ok(existsSync(join(runDir, 'checkpoints')), 'a final checkpoint was saved');
  assert.ok(readMetrics(runDir).records.length > 0);
});

test('the real trainer: SIGKILL mid-run leaves a crashed run whose metrics are readable', { skip: noTrainer }, async () => {
  const { handle, runDir, firstMetrics } = launchReal(500);
  await firstMetrics;
  const info = await handle.kill();
  assert.equal(info.status, 'crashed');
  assert.equal(info.signal, 'SIGKILL');
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'crashed');
  assert.match(record.error!, /killed by SIGKILL/);
  const metrics = readMetrics(runDir);
  assert.ok(metrics.records.length > 0);
  assert.deepEqual(metrics.badLines, []);
});

test('the real trainer: a run directory deleted mid-run fails the run with a clear error; the host carries on', { skip: noTrainer }, async () => {
  const { handle, runDir, firstMetrics } = launchReal(500);
  await firstMetrics;
  // The trainer may be writing into it at this very moment: retry ENOTEMPTY races like a user re-deleting.
  rmSync(runDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  const info = await handle.exited;
  assert.equal(info.status, 'failed');
  assert.match(info.error!, /no longer exists/);
  assert.ok(info.error!.includes(runDir), info.error);
  assert.equal(existsSync(join(runDir, 'run.json')), false, 'the host did not recreate the deleted folder');
});

test('the real trainer: a full disk fails the run with a clear error recorded in run.json', { skip: noTrainer }, async () => {
  const { handle, runDir, firstMetrics } = launchReal(500);
  await firstMetrics;
  // Appends follow the path: point metrics.jsonl at /dev/full, which fails every write with ENOSPC.
  rmSync(join(runDir, 'metrics.jsonl'));
  symlinkSync('/dev/full', join(runDir, 'metrics.jsonl'));
  const info = await handle.exited;
  assert.equal(info.status, 'failed');
  assert.match(info.error!, /metrics\.jsonl: the disk is full \(ENOSPC\)/);
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'failed');
  assert.match(record.error!, /the disk is full/);
});

test('the real trainer: with keepIdleTrainer a completed run hands its process on, and the next run reuses it', { skip: noTrainer }, async () => {
  const runsDir = tempDir();
  const [firstId, secondId] = [reserveRunDir(runsDir, realSpec(2)).id, reserveRunDir(runsDir, realSpec(2)).id];
  const first = launchTrainer({ trainerPath: REAL_TRAINER, spec: realSpec(2), options: { runsDir, runId: firstId }, keepIdleTrainer: true });
  const firstInfo = await first.exited;
  assert.equal(firstInfo.status, 'completed', firstInfo.error);
  assert.equal(firstInfo.code, null, 'the process lives on');
  const idle = first.takeIdleTrainer();
  assert.ok(idle?.usable, 'the trainer offered itself for another run');
  assert.equal(idle.pid, first.pid);
  assert.equal(first.takeIdleTrainer(), undefined, 'handed on once');

  const second = launchTrainer({ trainerPath: REAL_TRAINER, spec: realSpec(2), options: { runsDir, runId: secondId }, reuse: idle });
  const messages: string[] = [];
  second.on('message', (m) => messages.push(m.type));
  const secondInfo = await second.exited;
  assert.equal(secondInfo.status, 'completed', secondInfo.error);
  assert.equal(secondInfo.code, 0, 'without keepIdleTrainer the offer is declined and the trainer exits');
  assert.equal(second.pid, first.pid);
  assert.equal(readRunRecord(join(runsDir, secondId)).pid, first.pid);
  assert.ok(!messages.includes('ready'), `the offer is not part of the run's messages: ${messages.join(',')}`);
  assert.deepEqual(readRunRecord(join(runsDir, secondId)).summary, readRunRecord(join(runsDir, firstId)).summary, 'same spec, same result');
  assert.ok(existsSync(join(runsDir, secondId, 'stderr.log')), 'each run has its own stderr.log');
  assert.equal(isProcessAlive(first.pid!), false);
  assert.throws(() => idle.claim(), /already given to a run/);
});

test('the real trainer: a run given an idle trainer that has died ends crashed, and nothing is started in its place', { skip: noTrainer }, async () => {
  const runsDir = tempDir();
  const first = launchTrainer({ trainerPath: REAL_TRAINER, spec: realSpec(1), options: { runsDir, runId: 'first' }, keepIdleTrainer: true });
  assert.equal((await first.exited).status, 'completed');
  const idle = first.takeIdleTrainer()!;
  process.kill(idle.pid!, 'SIGKILL');
  while (idle.usable) await new Promise((resolve) => setTimeout(resolve, 10));
  const { id } = reserveRunDir(runsDir, realSpec(1));
  const second = launchTrainer({ trainerPath: REAL_TRAINER, spec: realSpec(1), options: { runsDir, runId: id }, reuse: idle });
  const info = await second.exited;
  assert.equal(info.status, 'crashed');
  assert.equal(readRunRecord(join(runsDir, id)).status, 'crashed');
});

/** Niceness of every thread of a process (Linux: field 19 of /proc/PID/task/TID/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test(
  'the real trainer runs below normal priority, every thread of it (the editor keeps the CPU it needs)',
  { skip: noTrainer || (process.platform !== 'linux' && 'reads /proc') },
  async () => {
    const { handle, firstMetrics } = launchReal(500);
    try {
      await firstMetrics;
      const niceness = threadNiceness(handle.pid!);
      assert.ok(niceness.length >= 5, `only ${niceness.length} threads`);
      assert.deepEqual([...new Set(niceness)], [TRAINER_NICENESS], `thread niceness: ${niceness.join(', ')}`);
    } finally {
      await handle.kill();
    }
  },
);
