import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, fork } from 'node:child_process';
import { promisify } from 'node:util';
import { RunWriter } from '../../src/core/runs/writer';
import { listRuns, MetricsTail, readMetrics, readRunRecord, readSpectra } from '../../src/core/runs/reader';
import { isValidRunId, makeRunId, reserveRunDir } from '../../src/core/runs/ids';
import { RunStoreError } from '../../src/core/runs/errors';
import type { MetricRecord } from '../../src/core/protocol';
import { testSpec } from '../fixtures/trainers/spec';
import { bundledFixture } from '../fixtures/trainers/bundle';

const run = promisify(execFile);
const tempDir = () => mkdtempSync(join(tmpdir(), 'symlora-runs-'));
const train = (step: number): MetricRecord => ({ kind: 'train', step, epoch: 0, time: step, loss: 1 / step, lr: 0.1, samplesPerSec: 10 });

test('run ids are readable, sanitised and carry kind, rank, seed and time', () => {
  const spec = testSpec({ experiment: 'My exp/../with spaces', kind: 'lora', rank: 8, seed: 2 });
  const id = makeRunId(spec, new Date(Date.UTC(2026, 10, 7, 13, 45, 2)), 'ab12');
  assert.equal(id, 'My-exp-with-spaces-lora-r8-s2-20261107T134502-ab12');
  assert.ok(isValidRunId(id));
  for (const bad of ['', '..', '../x', 'a/b', '.hidden', 'a b']) assert.equal(isValidRunId(bad), false, bad);
});

test('RunWriter writes run.json, appends metrics and spectra, and finishes', () => {
  const runsDir = tempDir();
  const writer = RunWriter.create(runsDir, testSpec(), { versions: { tfjs: '4.22.0' } });
  assert.equal(readRunRecord(writer.dir).status, 'running');
  writer.appendMetrics([train(1), train(2)]);
  writer.appendMetrics([train(3)]);
  writer.appendSpectrum({ step: 3, time: 1, layers: [] });
  writer.writeFileAtomic('checkpoints/step-3.safetensors', Buffer.from([1, 2, 3]));
  writer.finish('completed', { summary: { final: { 'val.accuracy': 0.9 }, best: { 'val.accuracy': 0.95 } } });
  const record = readRunRecord(writer.dir);
  assert.equal(record.status, 'completed');
  assert.equal(record.versions.tfjs, '4.22.0');
  assert.equal(record.summary?.best['val.accuracy'], 0.95);
  assert.ok(record.endedAt && typeof record.wallTimeSec === 'number');
  assert.deepEqual(
    readMetrics(writer.dir).records.map((m) => m.step),
    [1, 2, 3],
  );
  assert.equal(readSpectra(writer.dir).records.length, 1);
  assert.deepEqual([...readFileSync(join(writer.dir, 'checkpoints', 'step-3.safetensors'))], [1, 2, 3]);
  assert.deepEqual(
    readdirSync(writer.dir).filter((name) => name.endsWith('.tmp')),
    [],
    'no temp files left behind',
  );
  const reopened = RunWriter.reopen(writer.dir);
  assert.equal(reopened.record().id, writer.id);
});

test('writeFileAtomic refuses paths that leave the run directory', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b', '']) {
    assert.throws(() => writer.writeFileAtomic(bad, 'x'), /must stay inside the run directory/, bad);
  }
});

test('a reserved empty directory is adopted, but a used one is refused', () => {
  const runsDir = tempDir();
  const { id } = reserveRunDir(runsDir, testSpec());
  const writer = RunWriter.create(runsDir, testSpec(), { runId: id });
  assert.equal(writer.id, id);
  assert.throws(() => RunWriter.create(runsDir, testSpec(), { runId: id }), /already holds a run/);
  assert.throws(() => RunWriter.create(runsDir, testSpec(), { runId: '../evil' }), /invalid run id/);
});

test('a torn last metrics line is ignored and reported; a corrupt middle line is skipped and reported', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  writer.appendMetrics([train(1)]);
  appendFileSync(join(writer.dir, 'metrics.jsonl'), '{"kind":"train","step":2,oops}\n');
  appendFileSync(join(writer.dir, 'metrics.jsonl'), '\n["not a record"]\n');
  writer.appendMetrics([train(3)]);
  appendFileSync(join(writer.dir, 'metrics.jsonl'), '{"kind":"train","step":4,"loss":0.2');
  const result = readMetrics(writer.dir);
  assert.deepEqual(
    result.records.map((m) => m.step),
    [1, 3],
  );
  assert.equal(result.tornLastLine, true);
  assert.deepEqual(result.badLines, [2, 4]);
});

test('a missing metrics file reads as empty; NaN losses written as null are accepted', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  assert.deepEqual(readMetrics(writer.dir), { records: [], tornLastLine: false, badLines: [] });
  writer.appendMetrics([{ ...train(1), loss: Number.NaN }]);
  assert.equal(readMetrics(writer.dir).records[0].loss, null);
});

test('overlong lines are dropped without buffering them', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  writer.appendMetrics([train(1)]);
  appendFileSync(join(writer.dir, 'metrics.jsonl'), `{"kind":"train","pad":"${'y'.repeat(3 << 20)}"}\n`);
  writer.appendMetrics([train(3)]);
  const { readJsonl } = require('../../src/core/runs/reader') as typeof import('../../src/core/runs/reader');
  const { isMetricRecord } = require('../../src/core/runs/record') as typeof import('../../src/core/runs/record');
  const result = readJsonl(join(writer.dir, 'metrics.jsonl'), isMetricRecord, 1 << 20);
  assert.deepEqual(
    result.records.map((m) => m.step),
    [1, 3],
  );
  assert.deepEqual(result.badLines, [2]);
});

test('MetricsTail reads only new bytes, holds a partial line, and restarts on truncation', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  const tail = new MetricsTail(writer.dir);
  assert.deepEqual(tail.read().records, []);
  writer.appendMetrics([train(1), train(2)]);
  assert.deepEqual(
    tail.read().records.map((m) => m.step),
    [1, 2],
  );
  const file = join(writer.dir, 'metrics.jsonl');
  const line = JSON.stringify(train(3)) + '\n';
  appendFileSync(file, line.slice(0, 10));
  assert.deepEqual(tail.read().records, [], 'a partial line waits');
  const before = tail.position;
  appendFileSync(file, line.slice(10));
  assert.deepEqual(
    tail.read().records.map((m) => m.step),
    [3],
  );
  assert.equal(tail.position, before + line.length - 10, 'only the new bytes were read');
  writeFileSync(file, JSON.stringify(train(9)) + '\n');
  const after = tail.read();
  assert.equal(after.reset, true);
  assert.deepEqual(
    after.records.map((m) => m.step),
    [9],
  );
});

test('listRuns lists runs, skips other folders and temp files, and reports a bad run without throwing', () => {
  const runsDir = tempDir();
  const a = RunWriter.create(runsDir, testSpec({ kind: 'lora', rank: 2 }));
  a.finish('completed');
  const b = RunWriter.create(runsDir, testSpec({ kind: 'symlora', rank: 4 }));
  b.finish('failed', { error: 'diverged: loss is NaN at step 3' });
  mkdirSync(join(runsDir, 'not-a-run'));
  mkdirSync(join(runsDir, '.hidden'));
  writeFileSync(join(runsDir, '.run.json.123.tmp'), '{');
  const broken = join(runsDir, 'broken-run');
  mkdirSync(broken);
  writeFileSync(join(broken, 'run.json'), '{"schemaVersion":1,"id":"broken-run","status":"runn');
  const runs = listRuns(runsDir);
  assert.deepEqual(runs.map((r) => r.id).sort(), [a.id, b.id, 'broken-run'].sort());
  const bad = runs.find((r) => r.id === 'broken-run')!;
  assert.equal(bad.status, 'unreadable');
  assert.match(bad.error!, /broken-run.*run\.json is not valid JSON/);
  assert.equal(runs.find((r) => r.id === b.id)!.error, 'diverged: loss is NaN at step 3');
  assert.deepEqual(listRuns(join(runsDir, 'missing')), []);
});

test('listRuns reports a run whose trainer died without a status as crashed (stale)', async () => {
  const runsDir = tempDir();
  const child = fork(bundledFixture('reserve-many'), [runsDir, '1', 'writer'], { stdio: 'pipe' });
  await new Promise((resolve) => child.on('exit', resolve));
  const [summary] = listRuns(runsDir);
  assert.equal(summary.record!.status, 'running');
  assert.equal(summary.status, 'crashed');
  assert.equal(summary.stale, true);
});

test('disk full and a deleted run directory give clear RunStoreErrors naming the path', () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  symlinkSync('/dev/full', join(writer.dir, 'metrics.jsonl'));
  assert.throws(
    () => writer.appendMetrics([train(1)]),
    (error: unknown) => error instanceof RunStoreError && /metrics\.jsonl: the disk is full \(ENOSPC\)/.test(error.message),
  );
  rmSync(writer.dir, { recursive: true });
  assert.throws(
    () => writer.appendSpectrum({ step: 1, time: 0, layers: [] }),
    (error: unknown) => error instanceof RunStoreError && error.code === 'ENOENT' && error.message.includes(writer.dir) && /deleted/.test(error.message),
  );
  assert.throws(() => writer.update({ steps: 1 }), /run\.json: the run directory no longer exists/);
});

test('a read-only runs directory gives a clear error', { skip: process.getuid?.() === 0 ? 'running as root: permissions are not enforced' : false }, () => {
  const runsDir = tempDir();
  require('node:fs').chmodSync(runsDir, 0o555);
  assert.throws(() => RunWriter.create(runsDir, testSpec()), /permission denied|read-only/);
});

test('run.json stays valid when its writer is SIGKILLed mid-rewrite', async () => {
  const writer = RunWriter.create(tempDir(), testSpec());
  for (let round = 0; round < 4; round++) {
    const child = fork(bundledFixture('rewrite-loop'), [writer.dir]);
    await new Promise((resolve) => child.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 120));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const record = readRunRecord(writer.dir);
    assert.equal(record.id, writer.id);
    assert.ok(record.steps === undefined || record.error?.startsWith(`${record.steps}:`), 'fields come from one single write');
  }
  assert.ok((readRunRecord(writer.dir).steps ?? 0) > 0, 'the child did rewrite the file');
});

test('two processes reserving run ids at once never collide, even in a tiny id space', async () => {
  const runsDir = tempDir();
  const spawnOne = (how: string, count: number) => run(process.execPath, [bundledFixture('reserve-many'), runsDir, String(count), how]);
  const [a, b] = await Promise.all([spawnOne('colliding', 60), spawnOne('colliding', 60)]);
  const [c, d] = await Promise.all([spawnOne('writer', 40), spawnOne('writer', 40)]);
  const ids = [a, b, c, d].flatMap((out) => JSON.parse(out.stdout) as string[]);
  assert.equal(ids.length, 200);
  assert.equal(new Set(ids).size, 200, 'all ids distinct');
  assert.equal(readdirSync(runsDir).length, 200);
  const writerIds = [c, d].flatMap((out) => JSON.parse(out.stdout) as string[]);
  for (const id of writerIds) assert.equal(readRunRecord(join(runsDir, id)).id, id);
  assert.ok(existsSync(runsDir));
});
