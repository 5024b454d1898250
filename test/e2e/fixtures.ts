/** Experiment files and pre-made runs for the e2e scenarios. */
import { join } from 'node:path';
import { parseExperiment } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import { RunQueue } from '../../src/core/runs/queue';
import { REPO } from './harness';

/** A teacher-task experiment small enough for CI; `epochs` sets how long each run lasts. */
export function tinyExperiment({
  name,
  epochs = 2,
  kinds = ['lora', 'symlora'],
  trainSize = 256,
  width = 16,
  rank = 2,
  trainHead = true,
}: {
  name: string;
  epochs?: number;
  kinds?: string[];
  trainSize?: number;
  width?: number;
  rank?: number;
  trainHead?: boolean;
}): string {
  return `${JSON.stringify(
    {
      name,
      model: { arch: 'mlp', inputDim: width, hidden: [width, width], classes: 4 },
      task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize, valSize: 64, testSize: 64 },
      adapter: { kind: kinds.length === 1 ? kinds[0] : 'symlora', rank, alpha: 4, trainHead },
      train: { epochs, batchSize: 32, lr: 0.01, spectrumEvery: 4, checkpointEvery: 8 },
      sweep: kinds.length > 1 ? { 'adapter.kind': kinds } : {},
    },
    null,
    2,
  )}\n`;
}

/** Makes a completed run in `<workspace>/.symlora/runs` the way the CLI does: the trainer process, outside VS Code. */
export async function makeCliRun(workspace: string, name: string): Promise<void> {
  const config = parseExperiment(tinyExperiment({ name, epochs: 1, kinds: ['symlora'] }), `${name}.symlora.json`);
  const queue = new RunQueue({ concurrency: 1, launch: { trainerPath: join(REPO, 'dist', 'trainer.js') } });
  const entries = expandSweep(config).map((spec) => queue.enqueue(spec, { runsDir: join(workspace, '.symlora', 'runs') }));
  const results = await Promise.all(entries.map((entry) => entry.done));
  const bad = results.find((r) => r.status !== 'completed');
  if (bad) throw new Error(`the CLI-style run failed: ${bad.status} ${bad.error}`);
}
