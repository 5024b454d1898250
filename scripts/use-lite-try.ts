/**
 * One USE-Lite adaptation run through the engine's own training loop, without the run store:
 * node --import tsx scripts/use-lite-try.ts <kind> <rank> <seed> [sentiment|spam] [epochs] [lr] [spam split: time|random]
 * Prints test accuracy, trainable parameters and time. (The trainer does the same once session.ts
 * tokenises use-lite datasets; see the use-lite section of the issue-4 report.)
 */
import { loadavg } from 'node:os';
import { initBackend } from '../src/core/backend';
import { loadDataset } from '../src/core/data/registry';
import type { AdapterConfig, DatasetTask, TrainConfig } from '../src/core/experiment/types';
import { applyAdapterPlan, buildModel } from '../src/core/models/build';
import { tokenizeDataset } from '../src/core/models/useLite';
import { Rng, STREAMS } from '../src/core/rng';
import { trainModel } from '../src/core/train/loop';

const TASKS: Record<string, { task: DatasetTask; maxTokens: number }> = {
  sentiment: {
    task: { dataset: 'sentiment', options: { domains: ['amazon'], features: 'text' }, trainSize: 300, valSize: 100, testSize: 500 },
    maxTokens: 128,
  },
  spam: { task: { dataset: 'spam', options: { features: 'text', split: 'time' }, trainSize: 300, valSize: 100, testSize: 400 }, maxTokens: 32 },
};

async function main(): Promise<void> {
  const [kind = 'symlora', rank = '4', seed = '0', taskName = 'sentiment', epochs = taskName === 'spam' ? '6' : '8', lr = '0.005', split] =
    process.argv.slice(2);
  await initBackend('wasm');
  const { task, maxTokens } = TASKS[taskName];
  if (split) task.options = { ...task.options, split };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const dataset = await tokenizeDataset(await loadDataset(task, { seed: Number(seed) }), maxTokens, (m) => console.log(m));
  const model = await buildModel({ arch: 'use-lite', classes: 2, maxTokens }, new Rng(Number(seed), STREAMS.base));
  const adapter: AdapterConfig = {
    kind: kind as AdapterConfig['kind'],
    rank: Number(rank),
    alpha: Number(rank),
    scaling: 'alpha/r',
    targets: ['encoder.*.attn.q', 'encoder.*.attn.k', 'encoder.*.attn.v', 'encoder.*.attn.o'],
    nonSquare: 'skip',
    init: 'zero',
    trainHead: true,
  };
  const adapted = applyAdapterPlan(model, adapter, new Rng(Number(seed), STREAMS.adapter));
  const train: TrainConfig = {
    epochs: Number(epochs),
    batchSize: 32,
    lr: Number(lr),
    optimizer: 'adam',
    weightDecay: 0,
    schedule: 'cosine',
    warmupSteps: 10,
    evalEvery: 0,
    spectrumEvery: 0,
    checkpointEvery: 0,
    gradClip: 0,
  };
  const result = await trainModel({ model, adapted, dataset, train, seed: Number(seed), loss: 'cross-entropy' });
  const cpu = process.cpuUsage(cpu0);
  const trainable = adapted.trainable.reduce((s, v) => s + v.size, 0);
  console.log(
    JSON.stringify({
      kind,
      rank: Number(rank),
      seed: Number(seed),
      task: taskName,
      trainable,
      steps: result.steps,
      ...result.summary.final,
      wallSec: +((performance.now() - t0) / 1000).toFixed(1),
      cpuSec: +((cpu.user + cpu.system) / 1e6).toFixed(1),
      load: loadavg()[0],
    }),
  );
  model.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
