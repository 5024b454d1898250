import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, runLabel } from '../../src/cli/progress';
import { table, seconds, fixed } from '../../src/cli/format';
import type { CliIO } from '../../src/cli/io';
import type { QueuedRun } from '../../src/core/runs/queue';
import { testSpec } from '../fixtures/trainers/spec';

function fakeIO(isTTY: boolean) {
  const err: string[] = [];
  const io: CliIO = { stdout: () => undefined, stderr: (text) => void err.push(text), isTTY, columns: 120 };
  return { io, err };
}

function queuedRun(index: number, sweepPoint: Record<string, unknown> = {}): QueuedRun {
  const spec = testSpec({ kind: 'lora', rank: 4, seed: index });
  spec.sweepPoint = { ...spec.sweepPoint, ...sweepPoint };
  return {
    runId: `run-${index}`,
    runDir: `/tmp/run-${index}`,
    spec,
    options: { runsDir: '/tmp' },
    index,
    state: 'running',
    done: new Promise(() => undefined),
  };
}

const metrics = (step: number) => ({
  type: 'metrics' as const,
  runId: 'x',
  records: [{ kind: 'train' as const, step, epoch: 0, time: 1, loss: 0.5, lr: 0.1, samplesPerSec: 2000 }],
});

test('run labels show position, kind, rank, seed and the other sweep values', () => {
  assert.equal(runLabel(queuedRun(1, { 'train.lr': 0.01 }), 6), '[2/6] lora r4 s1 lr=0.01');
});

test('plain progress prints a start line, about every 10%, and an end line', () => {
  const { io, err } = fakeIO(false);
  const run = queuedRun(0);
  const view = createProgress(io, [run]);
  view.started(run);
  view.message(run, {
    type: 'started',
    runId: 'x',
    runDir: '/tmp/x',
    backend: 'cpu',
    params: { trainable: 1, adapter: 1, base: 1, layers: [], skipped: [] },
    totalSteps: 100,
  });
  for (let step = 1; step <= 100; step++) view.message(run, metrics(step));
  view.finished(run, { code: 0, signal: null, status: 'completed' });
  view.close();
  const lines = err.join('').trim().split('\n');
  assert.match(lines[0], /^\[1\/1\] lora r4 s0 {2}started run-0$/);
  assert.match(lines.at(-1)!, /completed {2}step 100\/100 {2}loss 0\.5000/);
  const percents = lines.filter((line) => /\d+%/.test(line)).map((line) => Number(/ (\d+)%/.exec(line)![1]));
  assert.deepEqual(percents, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.ok(!err.join('').includes('\x1b['), 'no escape codes outside a terminal');
});

test('terminal progress redraws bars in place and scrolls finished runs above them', async () => {
  const { io, err } = fakeIO(true);
  const runs = [queuedRun(0), queuedRun(1)];
  const view = createProgress(io, runs);
  for (const run of runs) view.started(run);
  view.message(runs[0], metrics(5));
  await new Promise((resolve) => setTimeout(resolve, 150));
  const drawn = err.join('');
  assert.match(drawn, /\[1\/2\] lora r4 s0 {2}[█░]+ +0% {2}step 5\/\?/);
  assert.match(drawn, /0\/2 done, 2 running, 0 queued/);
  view.finished(runs[0], { code: 0, signal: null, status: 'completed' });
  const after = err.join('').slice(drawn.length);
  assert.ok(after.startsWith('\x1b[3F\x1b[J'), 'the 3 drawn lines are cleared before the note');
  assert.match(after, /✔ completed/);
  assert.match(after, /1\/2 done, 1 running/);
  view.close();
});

test('tables align columns; numbers format compactly', () => {
  const text = table(
    [
      { a: 'x', b: 1.5 },
      { a: 'longer', b: 10 },
    ],
    [
      { title: 'name', value: (r) => r.a },
      { title: 'v', value: (r) => fixed(r.b, 1), align: 'right' },
    ],
  );
  assert.equal(text, 'name       v\n------  ----\nx        1.5\nlonger  10.0\n');
  assert.equal(seconds(75), '1m15s');
  assert.equal(fixed(Number.NaN), '-');
});
