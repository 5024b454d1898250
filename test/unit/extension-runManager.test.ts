/**
 * The RunManager with the real bundled trainer (dist/trainer.js, built by `npm run build`) on a
 * tiny teacher-task config: start and stream, stop (cancelled), crash by SIGKILL (crashed, with the
 * trainer's output kept), live concurrency, and nothing left running after dispose().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import type { RunSpec } from '../../src/core/experiment/types';
import { readMetrics, readRunRecord, listRuns, isProcessAlive } from '../../src/core/runs/reader';
import { RunManager, type RunManagerSettings } from '../../src/extension/runManager';
import { rowFromSummary, mergeLiveRows } from '../../src/extension/runRows';
import { buildRunTree } from '../../src/extension/runTreeModel';

const trainerPath = join(process.cwd(), 'dist', 'trainer.js');
const skip = existsSync(trainerPath) ? false : 'dist/trainer.js is missing: run npm run build';

function specs(epochs: number, kinds = ['lora', 'symlora']): RunSpec[] {
  const text = JSON.stringify({
    name: 'mgr-test',
    model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 4 },
    task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize: 256, valSize: 64, testSize: 64 },
    adapter: { kind: 'symlora', rank: 2, alpha: 4 },
    train: { epochs, batchSize: 32, lr: 0.01, checkpointEvery: 4 },
    sweep: { 'adapter.kind': kinds },
  });
  return expandSweep(parseExperiment(text, 'mgr-test.symlora.json'));
}

function manager(over: Partial<RunManagerSettings> = {}) {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-mgr-'));
  const settings: RunManagerSettings = { concurrency: 2, runsDir, stopGraceMs: 5000, ...over, ...(over.runsDir ? {} : { runsDir }) };
  const m = new RunManager({ trainerPath, settings: () => settings, streamIntervalMs: 10 });
  // Retry: a trainer a failed test left running may still be writing into the folder.
  return { m, settings, runsDir, cleanup: () => rmSync(runsDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }) };
}

/** Resolves once `predicate` holds after some 'changed' event. */
function until(m: RunManager, predicate: () => boolean): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = m.on('changed', () => {
      if (predicate()) {
        off();
        resolve();
      }
    });
  });
}

test('a sweep runs to completion, streaming metrics while metrics.jsonl fills', { skip, timeout: 60_000 }, async () => {
  const { m, runsDir, cleanup } = manager();
  try {
    const streamed = new Map<string, number>();
    m.on('metrics', (runId, records) => streamed.set(runId, (streamed.get(runId) ?? 0) + records.length));
    const runs = m.start(specs(2));
    assert.equal(runs.length, 2);
    assert.deepEqual(
      runs.map((r) => r.status),
      ['queued', 'queued'],
    );
    await m.whenIdle();
    for (const run of runs) {
      assert.equal(m.get(run.runId)?.status, 'completed');
      const record = readRunRecord(run.runDir);
      assert.equal(record.status, 'completed');
      assert.ok(record.params && record.params.trainable > 0);
      const onDisk = readMetrics(run.runDir).records.length;
      assert.ok(onDisk > 0);
      assert.ok((streamed.get(run.runId) ?? 0) > 0, 'metrics were streamed');
    }
    // The tree built from disk shows both runs, completed, under their experiment.
    const tree = buildRunTree(mergeLiveRows(listRuns(runsDir).map(rowFromSummary), m.all()));
    assert.equal(tree.length, 1);
    assert.equal(tree[0].label, 'mgr-test');
    assert.deepEqual(
      tree[0].runs.map((r) => r.row.status),
      ['completed', 'completed'],
    );
    assert.equal(m.counts().running + m.counts().queued, 0);
  } finally {
    await m.dispose();
    cleanup();
  }
});

test('stop ends a running run as cancelled; a queued one is dropped', { skip, timeout: 60_000 }, async () => {
  const { m, cleanup } = manager({ concurrency: 1 });
  try {
    const [first, second] = m.start(specs(400));
    await until(m, () => (m.get(first.runId)?.step ?? 0) > 2);
    assert.equal(m.get(second.runId)?.status, 'queued');
    assert.deepEqual(m.counts(), { running: 1, queued: 1 });
    const dropped = await m.stop(second.runId);
    assert.equal(dropped?.status, 'cancelled');
    const stopped = await m.stop(first.runId);
    assert.equal(stopped?.status, 'cancelled');
    assert.equal(readRunRecord(first.runDir).status, 'cancelled');
    assert.equal(m.get(first.runId)?.status, 'cancelled');
    assert.equal(existsSync(second.runDir), false, 'a dropped queued run leaves no folder');
  } finally {
    await m.dispose();
    cleanup();
  }
});

test('a trainer killed by SIGKILL is marked crashed, on disk too', { skip, timeout: 60_000 }, async () => {
  const { m, cleanup } = manager({ concurrency: 1 });
  try {
    const [run] = m.start(specs(400, ['symlora']));
    await until(m, () => (m.get(run.runId)?.step ?? 0) > 2);
    const record = readRunRecord(run.runDir);
    assert.ok(record.pid && isProcessAlive(record.pid));
    const finished = new Promise<string>((resolve) => m.on('finished', (r) => resolve(r.status)));
    process.kill(record.pid, 'SIGKILL');
    assert.equal(await finished, 'crashed');
    const live = m.get(run.runId)!;
    assert.match(live.error ?? '', /SIGKILL/);
    assert.equal(readRunRecord(run.runDir).status, 'crashed');
    assert.ok(readMetrics(run.runDir).records.length > 0, 'flushed metrics stay readable');
  } finally {
    await m.dispose();
    cleanup();
  }
});

test('dispose stops every child; concurrency follows the settings live', { skip, timeout: 60_000 }, async () => {
  const { m, settings, cleanup } = manager({ concurrency: 1, stopGraceMs: 3000 });
  try {
    const runs = m.start([...specs(400), ...specs(400)]);
    await until(m, () => m.counts().running === 1);
    settings.concurrency = 2;
    m.applySettings();
    await until(m, () => m.counts().running === 2);
    // Both trainers have written their run.json (with their pid) once two run folders hold one;
    // the manager may call a run 'running' a moment before its trainer writes the file.
    const written = () => runs.filter((r) => existsSync(join(r.runDir, 'run.json')));
    await until(m, () => written().length === 2);
    const pids = written()
      .map((r) => readRunRecord(r.runDir).pid)
      .filter((p): p is number => !!p);
    assert.equal(pids.length, 2);
    await m.dispose();
    for (const pid of pids) assert.equal(isProcessAlive(pid), false, `trainer ${pid} outlived dispose()`);
    assert.ok(runs.every((r) => m.get(r.runId)?.status === 'cancelled'));
    assert.throws(() => m.start(specs(1)), /shut down/);
  } finally {
    await m.dispose(); // idempotent; stops trainers a failed assertion left running
    cleanup();
  }
});

test('with reuseTrainers on (read live from the settings), one trainer serves a sweep and exits with dispose', { skip, timeout: 60_000 }, async () => {
  const { m, settings, cleanup } = manager({ concurrency: 1 });
  try {
    settings.reuseTrainers = true;
    const runs = m.start([...specs(1), ...specs(1)]);
    await m.whenIdle();
    assert.deepEqual(
      runs.map((r) => m.get(r.runId)?.status),
      ['completed', 'completed', 'completed', 'completed'],
    );
    const pids = new Set(runs.map((r) => readRunRecord(r.runDir).pid));
    assert.equal(pids.size, 1, `4 runs in ${pids.size} processes`);
    // Off again: the next run gets a process of its own.
    settings.reuseTrainers = false;
    const [next] = m.start(specs(1, ['lora']));
    await m.whenIdle();
    assert.equal(m.get(next.runId)?.status, 'completed');
    const nextPid = readRunRecord(next.runDir).pid;
    assert.ok(nextPid !== undefined && !pids.has(nextPid), 'the run after the setting was turned off reused a trainer');
    await m.dispose();
    for (const pid of [...pids, nextPid]) assert.equal(isProcessAlive(pid!), false, `trainer ${pid} outlived dispose()`);
  } finally {
    await m.dispose();
    cleanup();
  }
});
