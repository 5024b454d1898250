/** Complete (defaults-filled) experiment configs for engine tests, built without the schema layer. */
import type { AdapterConfig, ExperimentConfig, RunSpec, TrainConfig } from '../../src/core/experiment/types';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export const baseTrain: TrainConfig = {
  epochs: 3,
  batchSize: 32,
  lr: 0.01,
  optimizer: 'adam',
  weightDecay: 0,
  schedule: 'constant',
  warmupSteps: 0,
  evalEvery: 0,
  spectrumEvery: 0,
  checkpointEvery: 0,
  gradClip: 0,
};

export const baseAdapter: AdapterConfig = {
  kind: 'symlora',
  rank: 4,
  alpha: 4,
  scaling: 'alpha/r',
  targets: ['hidden.*'],
  nonSquare: 'skip',
  init: 'zero',
  trainHead: false,
};

export function teacherConfig(overrides: DeepPartial<Omit<ExperimentConfig, 'sweep'>> = {}): Omit<ExperimentConfig, 'sweep'> {
  const base: Omit<ExperimentConfig, 'sweep'> = {
    name: 'test',
    description: '',
    model: { arch: 'mlp', inputDim: 16, hidden: [16, 16], classes: 4, activation: 'relu' },
    task: {
      dataset: 'teacher',
      shift: { rank: 2, kind: 'symmetric', scale: 0.5, targets: ['hidden.*'] },
      labels: 'class',
      trainSize: 256,
      valSize: 64,
      testSize: 64,
    },
    adapter: baseAdapter,
    train: baseTrain,
    seed: 0,
    backend: 'auto',
  };
  return merge(base, overrides) as Omit<ExperimentConfig, 'sweep'>;
}

export function specOf(config: Omit<ExperimentConfig, 'sweep'>): RunSpec {
  return { experiment: config.name, sweepPoint: {}, config };
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}
