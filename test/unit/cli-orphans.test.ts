/**
 * Nothing is left running when the CLI itself dies: its trainers notice the closed IPC channel,
 * stop at the next step, and record the run as cancelled (issue 10).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { isProcessAlive, readRunRecord } from '../../src/core/runs/reader';

const ROOT = resolve(__dirname, '..', '..');
const DIST_CLI = join(ROOT, 'dist', 'cli.js');
const distMissing =
  !existsSync(DIST_CLI) || !existsSync(join(ROOT, 'dist', 'trainer.js')) ? 'dist/cli.js or dist/trainer.js is missing: run `npm run build` first' : false;

const LONG_EXPERIMENT = {
  name: 'orphan-check',
  model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 4 },
  task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize: 128, testSize: 64 },
  adapter: { kind: 'symlora', rank: 2, targets: ['hidden.*'] },
  train: { epochs: 1000, batchSize: 32, lr: 0.01 },
  seed: 0,
  backend: 'cpu',
  sweep: { seed: [0, 1] },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a CLI killed with SIGKILL leaves no trainer running, and its runs end cancelled', { skip: distMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'symlora-orphans-'));
  const file = join(dir, 'long.symlora.json');
  writeFileSync(file, JSON.stringify(LONG_EXPERIMENT));
  const runsDir = join(dir, 'runs');
  const cli = spawn(process.execPath, [DIST_CLI, 'run', file, '--parallel', '2', '--runs-dir', runsDir], { cwd: dir, stdio: 'ignore' });
  const runDirs = () => (existsSync(runsDir) ? readdirSync(runsDir).map((name) => join(runsDir, name)) : []);
  const training = () => runDirs().length === 2 && runDirs().every((d) => existsSync(join(d, 'metrics.jsonl')));
  while (!training() && cli.exitCode === null) await sleep(100);
  assert.equal(cli.exitCode, null, 'the CLI was still running');
  const pids = runDirs().map((d) => readRunRecord(d).pid!);
  assert.ok(
    pids.every((pid) => isProcessAlive(pid)),
    'both trainers were alive',
  );
  cli.kill('SIGKILL');
  // Poll (no deadline of our own beyond the test timeout): the trainers must go away by themselves.
  while (pids.some((pid) => isProcessAlive(pid))) await sleep(100);
  for (const d of runDirs()) assert.equal(readRunRecord(d).status, 'cancelled', d);
});
