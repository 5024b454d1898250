import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildRunTree,
  keyMetric,
  pickKeyMetric,
  runContextValue,
  runLabel,
  runTooltip,
  statusCounts,
  formatNumber,
  type RunRow,
} from '../../src/extension/runTreeModel';
import { flattenConfig } from '../../src/extension/runRows';
import { isRunDirOf, resolveRunsDirectory, runDirFor } from '../../src/extension/runsDir';
import { Coalescer } from '../../src/extension/coalesce';

const row = (over: Partial<RunRow>): RunRow => ({ id: 'r1', status: 'completed', ...over });

test('runs group by experiment, newest experiment first, runs oldest first', () => {
  const tree = buildRunTree([
    row({ id: 'a2', experiment: 'alpha', createdAt: '2026-01-02' }),
    row({ id: 'b1', experiment: 'beta', createdAt: '2026-01-03' }),
    row({ id: 'a1', experiment: 'alpha', createdAt: '2026-01-01', status: 'running' }),
    row({ id: 'x', createdAt: '2026-01-00' }),
  ]);
  assert.deepEqual(
    tree.map((e) => e.label),
    ['beta', 'alpha', '(unnamed experiment)'],
  );
  assert.deepEqual(
    tree[1].runs.map((r) => r.row.id),
    ['a1', 'a2'],
  );
  assert.equal(tree[1].description, '1 running · 1 completed');
  assert.equal(tree[1].runs[0].icon.id, 'sync~spin');
  assert.equal(tree[1].runs[1].icon.id, 'pass');
});

test('every status has its own icon and context value', () => {
  const statuses = ['queued', 'running', 'completed', 'failed', 'crashed', 'cancelled', 'unreadable'] as const;
  const icons = new Set(statuses.map((status) => buildRunTree([row({ status })])[0].runs[0].icon.id));
  assert.equal(icons.size, statuses.length);
  assert.equal(runContextValue(row({ status: 'crashed', hasCheckpoint: true })), 'run:crashed:checkpoint');
  assert.equal(runContextValue(row({ status: 'completed', hasAdapter: true, hasCheckpoint: true })), 'run:completed:adapter:checkpoint');
  // The menu regexes in package.json rely on this shape.
  assert.match(runContextValue(row({ status: 'crashed', hasCheckpoint: true })), /^run:(failed|crashed|cancelled):.*checkpoint/);
  assert.match(runContextValue(row({ status: 'completed', hasAdapter: true })), /^run:.*:adapter/);
  assert.doesNotMatch(runContextValue(row({ status: 'completed' })), /^run:.*:adapter/);
});

test('labels name kind, rank, seed and the other sweep axes', () => {
  assert.equal(
    runLabel(row({ adapterKind: 'symlora', rank: 4, seed: 1, sweepPoint: { 'adapter.rank': 4, 'train.lr': 0.01 } })),
    'symlora r4 · seed 1 · lr 0.01',
  );
  assert.equal(runLabel(row({ adapterKind: 'full', rank: 4 })), 'full');
  assert.equal(runLabel(row({ id: 'bare' })), 'bare');
});

test('the key metric depends on the state', () => {
  assert.equal(keyMetric(row({ status: 'running', step: 12, totalSteps: 40, lastLoss: 0.31234 })), 'step 12/40 · loss 0.312');
  assert.equal(keyMetric(row({ status: 'running' })), 'starting');
  assert.equal(keyMetric(row({ status: 'crashed', error: '\nSegfault in x\nmore' })), 'Segfault in x');
  assert.equal(keyMetric(row({ summary: { final: { 'train.loss': 0.2, 'val.accuracy': 0.8, 'test.accuracy': 0.9 }, best: {} } })), 'test acc 0.9');
  assert.equal(keyMetric(row({ summary: { final: {}, best: {} } })), 'completed');
  assert.equal(pickKeyMetric({ loss: 1.5, 'val.loss': 2 })?.label, 'val loss');
  assert.deepEqual(pickKeyMetric({ valLoss: 0.5, valAccuracy: 0.8, testLoss: 0.6, testAccuracy: 0.77 }), { label: 'test acc', value: 0.77 });
  assert.equal(pickKeyMetric({ loss: Number.NaN }), undefined);
});

test('numbers format compactly without losing magnitude', () => {
  assert.equal(formatNumber(100), '100');
  assert.equal(formatNumber(99.96), '100');
  assert.equal(formatNumber(1.5), '1.5');
  assert.equal(formatNumber(12345.6), '12,346');
  assert.equal(formatNumber(0.0001234), '1.23e-4');
  assert.equal(formatNumber(Number.NaN), 'NaN');
});

test('tooltips escape markdown from run data and include the error', () => {
  const text = runTooltip(row({ status: 'failed', adapterKind: 'lora', rank: 2, error: 'diverged [x](command:evil)', trainableParams: 2048 }));
  assert.match(text, /Error: diverged \\\[x\\\]\\\(command:evil\\\)/);
  assert.match(text, /Trainable parameters: 2,048/);
  assert.equal(statusCounts([]), '');
});

test('configs flatten to dotted paths, arrays as one cell', () => {
  assert.deepEqual(flattenConfig({ a: { b: 1, c: [1, 2] }, d: null, e: 'x' }), { 'a.b': 1, 'a.c': '[1,2]', d: null, e: 'x' });
});

test('the runs directory resolves relative to the workspace and refuses escapes', () => {
  assert.equal(resolveRunsDirectory('', '/ws', '/home'), '/ws/.symlora/runs');
  assert.equal(resolveRunsDirectory('out/runs', undefined, '/home'), '/home/out/runs');
  assert.equal(resolveRunsDirectory('/abs/runs', '/ws', '/home'), '/abs/runs');
  assert.equal(runDirFor('/ws/runs', 'abc-1'), '/ws/runs/abc-1');
  for (const bad of ['..', '../x', 'a/b', '/etc', '', 'a\\..\\b', '.', 42]) {
    assert.throws(() => runDirFor('/ws/runs', bad), /run id|runs directory/, String(bad));
  }
  assert.equal(isRunDirOf('/ws/runs', '/ws/runs/abc'), true);
  assert.equal(isRunDirOf('/ws/runs', '/ws/runs'), false);
  assert.equal(isRunDirOf('/ws/runs', '/ws/runs/abc/../../etc'), false);
  assert.equal(isRunDirOf('/ws/runs', '/ws/other'), false);
});

test('the coalescer delivers at most once per interval per key, in order, nothing lost', () => {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const delivered: [string, number[]][] = [];
  const c = new Coalescer<number>(20, (key, items) => delivered.push([key, items]), {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (t) => {
      (t as { cancelled: boolean }).cancelled = true;
    },
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => !t.cancelled && t.at <= now)) {
      t.cancelled = true;
      t.fn();
    }
  };
  c.push('a', [1]); // first push goes straight through
  c.push('a', [2]);
  c.push('a', [3]);
  c.push('b', [9]);
  assert.deepEqual(delivered, [
    ['a', [1]],
    ['b', [9]],
  ]);
  advance(10);
  assert.equal(delivered.length, 2);
  advance(10);
  assert.deepEqual(delivered.at(-1), ['a', [2, 3]]);
  c.push('a', [4]);
  c.flush('a');
  assert.deepEqual(delivered.at(-1), ['a', [4]]);
  c.push('a', [5]);
  c.dispose();
  advance(100);
  assert.equal(delivered.flat(2).filter((x) => x === 5).length, 0);
});

test('rows read adapter and checkpoint presence from the run directory', async () => {
  const { rowFromSummary } = await import('../../src/extension/runRows');
  const dir = mkdtempSync(join(tmpdir(), 'symlora-row-'));
  mkdirSync(join(dir, 'checkpoints'));
  writeFileSync(join(dir, 'adapter.safetensors'), '');
  const r = rowFromSummary({ id: 'x', dir, status: 'completed' });
  assert.equal(r.hasAdapter, true);
  assert.equal(r.hasCheckpoint, true);
});
