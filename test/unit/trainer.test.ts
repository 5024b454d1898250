/**
 * The trainer process trusts nothing it receives: an invalid or hostile spec sent straight over
 * IPC fails cleanly, with a readable run.json, and never trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchTrainer } from '../../src/core/runs/launcher';
import { readMetrics, readRunRecord } from '../../src/core/runs/reader';
import type { RunSpec } from '../../src/core/experiment/types';
import { specOf, teacherConfig } from '../helpers/configs';

const trainerPath = join(__dirname, '..', '..', 'dist', 'trainer.js');

async function runSpec(spec: RunSpec) {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-trainer-'));
  const handle = launchTrainer({ trainerPath, spec, options: { runsDir, runId: 'probe-run' } });
  const messages: string[] = [];
  handle.on('message', (m) => messages.push(m.type));
  const exit = await handle.exited;
  return { runsDir, exit, messages, dir: join(runsDir, 'probe-run') };
}

test(
  'a spec with an unknown field (e.g. a module to load) fails before anything trains',
  { skip: !existsSync(trainerPath) && 'run `npm run build` first' },
  async () => {
    const spec = specOf(teacherConfig());
    (spec.config.model as unknown as Record<string, unknown>).require = 'child_process';
    const { runsDir, exit, messages, dir } = await runSpec(spec);
    try {
      assert.equal(exit.status, 'failed');
      assert.ok(!messages.includes('metrics'), 'no training step ran');
      const record = readRunRecord(dir);
      assert.equal(record.status, 'failed');
      assert.match(record.error ?? '', /\/model.*unknown property "require"/);
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  },
);

test(
  'a spec that breaks a semantic rule (rank larger than the layer) fails with the JSON path',
  { skip: !existsSync(trainerPath) && 'run `npm run build` first' },
  async () => {
    const { runsDir, exit, dir } = await runSpec(specOf(teacherConfig({ adapter: { rank: 64 } })));
    try {
      assert.equal(exit.status, 'failed');
      assert.match(readRunRecord(dir).error ?? '', /\/adapter\/rank/);
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  },
);

test(
  'stop, then resume from the checkpoint: the final metrics equal an uninterrupted run',
  { skip: !existsSync(trainerPath) && 'run `npm run build` first' },
  async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'symlora-resume-'));
    try {
      const spec = specOf(teacherConfig({ train: { epochs: 4, checkpointEvery: 5 } }));
      const full = launchTrainer({ trainerPath, spec, options: { runsDir, runId: 'full' } });
      assert.equal((await full.exited).status, 'completed');

      const stopped = launchTrainer({ trainerPath, spec, options: { runsDir, runId: 'stopped', streamIntervalMs: 0 } });
      stopped.on('message', (m) => {
        if (m.type === 'metrics' && m.records.some((r) => r.step >= 7)) void stopped.stop();
      });
      assert.equal((await stopped.exited).status, 'cancelled');
      const stoppedAt = readRunRecord(join(runsDir, 'stopped')).steps!;
      assert.ok(stoppedAt >= 7 && stoppedAt < 32, `stopped at step ${stoppedAt}`);

      const resumed = launchTrainer({ trainerPath, spec, options: { runsDir, runId: 'resumed', resumeFrom: join(runsDir, 'stopped') } });
      assert.equal((await resumed.exited).status, 'completed');
      const record = readRunRecord(join(runsDir, 'resumed'));
      assert.deepEqual(record.resumedFrom, { runId: 'stopped', step: stoppedAt });
      assert.deepEqual(record.summary?.final, readRunRecord(join(runsDir, 'full')).summary?.final);
      const steps = readMetrics(join(runsDir, 'resumed'))
        .records.filter((r) => r.kind === 'train')
        .map((r) => r.step);
      assert.deepEqual(
        steps,
        Array.from({ length: 32 }, (_, i) => i + 1),
        'one train record per step, none lost or repeated',
      );
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  },
);
