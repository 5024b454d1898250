// The metric history a dashboard or compare view gets for a long run: bounded, evenly thinned,
// first and last records of every stream kept, file order preserved, torn last line ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricRecord } from '../../src/core/protocol';
import { readMetricHistory } from '../../src/extension/runData';
import { scratchDirs } from '../helpers/tmp';

const scratchDir = scratchDirs('symlora-history-');

function writeRun(runsDir: string, runId: string, records: MetricRecord[], tail = ''): void {
  const dir = join(runsDir, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n' + tail);
}

function longRun(steps: number, evalEvery: number): MetricRecord[] {
  const records: MetricRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    records.push({ kind: 'train', step, epoch: step / evalEvery, time: step / 100, loss: 1 / step, lr: 1e-3, samplesPerSec: 1000 });
    if (step % evalEvery === 0) {
      records.push({ kind: 'eval', split: 'val', step, epoch: step / evalEvery, time: step / 100, loss: 1 / step, accuracy: 0.5 });
    }
  }
  return records;
}

test('a short history comes back whole, in file order', () => {
  const dir = scratchDir();
  const records = longRun(300, 50);
  writeRun(dir, 'run-a', records);
  assert.deepEqual(readMetricHistory(dir, 'run-a', 1000), records);
});

test('a 200,000-step history is thinned evenly to at most the cap, from the first step to the last', () => {
  const dir = scratchDir();
  const records = longRun(200_000, 256);
  writeRun(dir, 'run-b', records, '{"kind":"train","step":200001,'); // torn last line
  const max = 2_000;
  const history = readMetricHistory(dir, 'run-b', max);
  assert.ok(history.length <= max + 2, `${history.length} records for a cap of ${max}`);
  assert.ok(history.length > max / 2, `thinning keeps at least half the cap, got ${history.length}`);
  const train = history.filter((r) => r.kind === 'train');
  const val = history.filter((r) => r.kind === 'eval');
  assert.equal(train[0].step, 1);
  assert.equal(train.at(-1)!.step, 200_000, 'the newest train step is kept');
  assert.equal(val.at(-1)!.step, Math.floor(200_000 / 256) * 256, 'the newest val record is kept');
  assert.ok(val.length > 100, 'eval records are thinned by their own stream, not crowded out by train records');
  // Even spacing: between consecutive kept train records the gap is one stride (the last may be shorter).
  const gaps = new Set(train.slice(1, -1).map((r, i) => r.step - train[i].step));
  assert.equal(gaps.size, 1, `train steps are evenly spaced, gaps ${[...gaps].join(', ')}`);
  const lines = records.map((r) => JSON.stringify(r));
  let previous = -1;
  for (const record of history) {
    const at = lines.indexOf(JSON.stringify(record), previous + 1);
    assert.ok(at > previous, 'records keep their file order');
    previous = at;
  }
});
