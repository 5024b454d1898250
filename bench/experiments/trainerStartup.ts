/**
 * What a fresh trainer costs, per run: wall and CPU through the real RunQueue and dist/trainer.js,
 * split into the main thread and the other threads (bench/experiments/threadCpu.cjs), as an
 * interleaved A/B of trainer bundles or Node flags, so that both sides see the same noise.
 *
 *   node --import tsx bench/experiments/trainerStartup.ts [--rounds 5] [--runs 4] [--parallel 1]
 *        [--experiment examples/paper/teacher-symmetric.symlora.json] [--reuse]
 *        [--variant NAME=TRAINER_JS[:NODE_FLAG...]]...
 *   e.g. --variant before=.cache/old/trainer.js --variant after=dist/trainer.js
 *        --variant semi32=dist/trainer.js:--max-semi-space-size=32
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { expandSweep } from '../../src/core/experiment/sweep';
import { loadExperimentFile } from '../../src/core/experiment/load';
import { RunQueue } from '../../src/core/runs/queue';
import { childrenCpuSec } from '../e2e';
import { quantile } from '../stats';

const ROOT = resolve(__dirname, '..', '..');
const PRELOAD = join(__dirname, 'threadCpu.cjs');

interface Variant {
  name: string;
  trainer: string;
  flags: string[];
  samples: { main: number; others: number }[];
  wallPerRun: number[];
}

async function round(variant: Variant, specs: ReturnType<typeof expandSweep>, parallel: number, reuse: boolean, log: string): Promise<void> {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-startup-'));
  try {
    const queue = new RunQueue({
      concurrency: parallel,
      reuseTrainers: reuse,
      launch: { trainerPath: variant.trainer, execArgv: ['--require', PRELOAD, ...variant.flags], env: { THREAD_CPU_LOG: log } },
    });
    const t0 = performance.now();
    const exits = await Promise.all(specs.map((spec) => queue.enqueue(spec, { runsDir, basesDir: join(runsDir, 'bases') }).done));
    await queue.onIdle();
    const failed = exits.filter((e) => e.status !== 'completed');
    if (failed.length) throw new Error(`${variant.name}: ${failed.length} runs failed: ${failed[0].error}`);
    variant.wallPerRun.push((performance.now() - t0) / 1000 / specs.length);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      runs: { type: 'string', default: '4' },
      parallel: { type: 'string', default: '1' },
      experiment: { type: 'string', default: join(ROOT, 'examples/paper/teacher-symmetric.symlora.json') },
      reuse: { type: 'boolean', default: false },
      variant: { type: 'string', multiple: true, default: [`current=${join(ROOT, 'dist/trainer.js')}`] },
    },
  });
  const file = resolve(values.experiment);
  const specs = expandSweep(loadExperimentFile(file), file).slice(0, Number(values.runs));
  const logDir = mkdtempSync(join(tmpdir(), 'symlora-startup-log-'));
  const variants: Variant[] = values.variant.map((text) => {
    const [name, rest] = text.split('=', 2) as [string, string];
    const [trainer, ...flags] = rest.split(':');
    return { name, trainer: resolve(trainer), flags, samples: [], wallPerRun: [] };
  });
  const cpu0 = childrenCpuSec();
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const variant of variants) {
      const log = join(logDir, `${variant.name}.jsonl`);
      await round(variant, specs, Number(values.parallel), values.reuse, log);
    }
  }
  console.log(
    `${specs.length} runs of ${file} a round, ${values.rounds} rounds, --parallel ${values.parallel}${values.reuse ? ', trainers reused' : ''}; medians:`,
  );
  console.log(
    `${'variant'.padEnd(16)}${'wall s/run'.padStart(11)}${'main CPU-s'.padStart(12)}${'others CPU-s'.padStart(14)}${'total CPU-s'.padStart(13)}${'n'.padStart(5)}`,
  );
  for (const v of variants) {
    const lines = readFileSync(join(logDir, `${v.name}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    const samples = lines.map((l) => JSON.parse(l) as { main: number; others: number });
    const median = (xs: number[], width: number) =>
      quantile(
        [...xs].sort((a, b) => a - b),
        0.5,
      )
        .toFixed(3)
        .padStart(width);
    console.log(
      `${v.name.padEnd(16)}${median(v.wallPerRun, 11)}${median(
        samples.map((s) => s.main),
        12,
      )}${median(
        samples.map((s) => s.others),
        14,
      )}${median(
        samples.map((s) => s.main + s.others),
        13,
      )}${String(samples.length).padStart(5)}`,
    );
  }
  console.log(`(trainer CPU in all: ${(childrenCpuSec() - cpu0).toFixed(1)} s; per-process figures count a reused trainer once)`);
  rmSync(logDir, { recursive: true, force: true });
}

void main();
