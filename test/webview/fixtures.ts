/** Deterministic synthetic runs and metric streams for the webview tests. */
import type { MetricRecord } from '../../src/core/protocol';
import type { RunInfo } from '../../src/core/webviewProtocol';

export function makeRun(id: string, overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    experiment: 'mnist-digits',
    status: 'completed',
    adapterKind: 'symlora',
    rank: 4,
    seed: 1,
    trainableParams: 4100,
    backend: 'wasm',
    wallTimeSec: 60,
    steps: 600,
    config: { 'model.hidden': 256, 'adapter.kind': 'symlora', 'adapter.rank': 4, 'train.lr': 0.001, seed: 1 },
    ...overrides,
  };
}

/** A Park–Miller generator: the same noise every run. */
export function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export function trainRecords(count: number, options: { seed?: number; startStep?: number; stepsPerSec?: number; lossScale?: number } = {}): MetricRecord[] {
  const random = rng(options.seed ?? 7);
  const start = options.startStep ?? 1;
  const perSec = options.stepsPerSec ?? 10;
  const scale = options.lossScale ?? 1;
  return Array.from({ length: count }, (_, i) => {
    const step = start + i;
    return {
      kind: 'train' as const,
      step,
      epoch: Math.floor(step / 100),
      time: step / perSec,
      loss: scale * (2.3 * Math.exp(-step / 300) + 0.1 + 0.2 * (random() - 0.5)),
      accuracy: Math.min(1, 0.1 + 0.85 * (1 - Math.exp(-step / 250)) + 0.05 * (random() - 0.5)),
      lr: 0.001 * Math.min(1, step / 50),
      samplesPerSec: 1200 + 100 * random(),
    };
  });
}

export function evalRecords(steps: number[], split: 'val' | 'test', accuracyAt: (step: number) => number): MetricRecord[] {
  return steps.map((step) => ({ kind: 'eval' as const, split, step, epoch: 0, time: step / 10, loss: 1 - accuracyAt(step), accuracy: accuracyAt(step) }));
}
