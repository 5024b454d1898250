/**
 * Training-step time of the real training loop (src/core/train/loop.ts `trainModel`) on one
 * backend, for every workload × adapter kind. Run as its own process (the tfjs backend is global):
 *   node --import tsx bench/stepBench.ts --backend wasm [--quick] [--only mlp] [--kinds lora,symlora]
 * Prints one JSON line per row on stdout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import type { Dataset, Split } from '../src/core/data/types';
import type { TrainConfig } from '../src/core/experiment/types';
import { applyAdapterPlan, buildModel } from '../src/core/models/build';
import { matmulImplementation, mm } from '../src/core/ops';
import { Rng } from '../src/core/rng';
import { trainModel } from '../src/core/train/loop';
import { adapterFor, KINDS, WORKLOADS, type AdapterKind, type Workload } from './workloads';
import { summarize, type StepRow } from './stats';
import { baseTrain } from '../test/helpers/configs';

export interface StepPlan {
  warmup: number;
  blocks: number;
  stepsPerBlock: number;
}

/** Fewer, shorter blocks where a step is slow (the pure-JS cpu backend, the encoder). */
export function planFor(backend: string, workload: Workload, quick: boolean): StepPlan {
  const slow = backend === 'cpu';
  if (workload.name === 'mlp') return slow ? { warmup: 1, blocks: quick ? 2 : 3, stepsPerBlock: 1 } : { warmup: 5, blocks: quick ? 5 : 9, stepsPerBlock: 5 };
  return slow ? { warmup: 1, blocks: 2, stepsPerBlock: 1 } : { warmup: quick ? 1 : 2, blocks: quick ? 3 : 7, stepsPerBlock: quick ? 1 : 2 };
}

function randomSplit(rng: Rng, count: number, featureSize: number, classes: number): Split {
  const x = rng.fillNormal(new Float32Array(count * featureSize), 1);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = Math.floor(rng.next() * classes);
  return { x, y, count };
}

function syntheticDataset(workload: Workload, count: number): Dataset {
  const m = workload.model as { inputDim: number; classes: number; seqLen?: number };
  const inputShape = m.seqLen ? [m.seqLen, m.inputDim] : [m.inputDim];
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(7, 99);
  const empty: Split = { x: new Float32Array(0), y: new Int32Array(0), count: 0 };
  return {
    name: 'bench-random',
    version: '1',
    inputShape,
    numClasses: m.classes,
    classNames: Array.from({ length: m.classes }, (_, i) => String(i)),
    train: randomSplit(rng, count, featureSize, m.classes),
    val: empty,
    test: empty,
    info: {},
  };
}

/** CPU time of this process (user + system), ms: steadier than wall time on a shared machine. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const TRAIN: TrainConfig = { ...baseTrain, epochs: 1, batchSize: 0, lr: 1e-3 };

/** Times `plan` through the real loop; per-step time = block time / steps per block. */
export async function benchStep(backend: string, workload: Workload, kind: AdapterKind, plan: StepPlan): Promise<StepRow> {
  const steps = plan.warmup + plan.blocks * plan.stepsPerBlock;
  const dataset = syntheticDataset(workload, steps * workload.batch);
  const model = await buildModel(workload.model, new Rng(1, 1));
  const adapted = applyAdapterPlan(model, adapterFor(kind, workload), new Rng(1, 3));
  const stamps: number[] = [];
  const cpuStamps: number[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const started = performance.now();
  await trainModel(
    { model, adapted, dataset, train: { ...TRAIN, batchSize: workload.batch }, seed: 1, loss: 'cross-entropy' },
    {
      onTrain: (r) => {
        if (r.step >= plan.warmup && (r.step - plan.warmup) % plan.stepsPerBlock === 0) {
          stamps.push(performance.now());
          cpuStamps.push(cpuMs());
        }
      },
    },
  );
  const totalMs = performance.now() - started;
  const perStep = stamps.slice(1).map((t, i) => (t - stamps[i]) / plan.stepsPerBlock);
  const cpuPerStep = cpuStamps.slice(1).map((t, i) => (t - cpuStamps[i]) / plan.stepsPerBlock);
  const trainable = adapted.trainable.reduce((s, v) => s + v.size, 0);
  model.dispose();
  return {
    name: `step ${workload.name} ${kind}`,
    group: 'step',
    workload: workload.name,
    kind,
    backend,
    ...summarize(perStep),
    cpuMedianMs: summarize(cpuPerStep).medianMs,
    steps,
    trainable,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    totalMs,
  };
}

/** GFLOP/s of a 512³ product: tf.matMul (the backend's kernel) and ops.mm (our kernel choice). */
export function benchMatmul(backend: string, n = 512, reps = 15): Record<string, unknown>[] {
  const a = tf.randomNormal([n, n]) as tf.Tensor2D;
  const b = tf.variable(tf.randomNormal([n, n]), false) as unknown as tf.Tensor2D;
  const variants: [string, () => tf.Tensor][] = [
    ['tf.matMul', () => tf.matMul(a, b)],
    ['tf.matMul transposeB', () => tf.matMul(a, b, false, true)],
    [`ops.mm (${matmulImplementation()})`, () => mm(a, b)],
  ];
  const rows = variants.map(([variant, f]) => {
    const slow = backend === 'cpu' || variant.includes('transpose');
    const count = slow ? 3 : reps;
    for (let i = 0; i < 2; i++) f().dispose();
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      const c = cpuMs();
      const out = f();
      out.dataSync();
      out.dispose();
      times.push(performance.now() - t);
      cpuTimes.push(cpuMs() - c);
    }
    const summary = summarize(times);
    const cpuMedianMs = summarize(cpuTimes).medianMs;
    const gflops = (ms: number) => (2 * n ** 3) / ms / 1e6;
    return {
      name: `matmul ${n} ${variant}`,
      group: 'matmul',
      backend,
      variant,
      ...summary,
      cpuMedianMs,
      gflops: gflops(summary.medianMs),
      cpuGflops: gflops(cpuMedianMs),
    };
  });
  a.dispose();
  b.dispose();
  return rows;
}

/** Tensor count through `steps` training steps of a small SymLoRA MLP (with evals): a leak shows as growth. */
export async function benchLeak(backend: string, steps: number): Promise<Record<string, unknown>> {
  const workload: Workload = {
    name: 'leak',
    model: { arch: 'mlp', inputDim: 64, hidden: [64, 64], classes: 10, activation: 'relu' },
    batch: 32,
    targets: ['hidden.*'],
  };
  const dataset = syntheticDataset(workload, steps * workload.batch);
  dataset.val = { ...dataset.train, count: 64, x: dataset.train.x.subarray(0, 64 * 64), y: dataset.train.y.subarray(0, 64) };
  const model = await buildModel(workload.model, new Rng(1, 1));
  const adapted = applyAdapterPlan(model, adapterFor('symlora', workload), new Rng(1, 3));
  const counts: number[] = [];
  await trainModel(
    { model, adapted, dataset, train: { ...TRAIN, batchSize: workload.batch, evalEvery: 100 }, seed: 1, loss: 'cross-entropy' },
    {
      onTrain: (r) => {
        if (r.step === 1 || r.step % 100 === 0) counts.push(tf.memory().numTensors);
      },
    },
  );
  model.dispose();
  return {
    name: `tensor count over ${steps} steps`,
    group: 'leak',
    backend,
    steps,
    first: counts[0],
    last: counts[counts.length - 1],
    growth: counts[counts.length - 1] - counts[0],
    counts,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const backendName = flag('--backend') ?? 'wasm';
  const quick = args.includes('--quick');
  const only = flag('--only');
  const kinds = (flag('--kinds')?.split(',') as AdapterKind[] | undefined) ?? KINDS;
  const info = await initBackend(backendName);
  const emit = (row: unknown) => process.stdout.write(`${JSON.stringify(row)}\n`);
  emit({ group: 'backend', backend: info.name, simd: info.simd, notes: info.notes, matmul: matmulImplementation() });
  if (!args.includes('--no-matmul')) benchMatmul(info.name).forEach(emit);
  if (!args.includes('--no-leak') && info.name !== 'cpu') emit(await benchLeak(info.name, quick ? 200 : 1000));
  for (const workload of WORKLOADS.filter((w) => !only || w.name === only)) {
    for (const kind of kinds) {
      // The pure-JS backend needs seconds per MLP step and ~20 s per encoder step: it gets the MLP
      // rows (none in quick mode) and the matmul row, which keeps the suite within 10 minutes.
      if (backendName === 'cpu' && (quick || workload.name === 'transformer')) continue;
      const row = await benchStep(info.name, workload, kind, planFor(info.name, workload, quick));
      emit(row);
    }
  }
}

if (require.main === module)
  void main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
