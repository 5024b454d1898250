/**
 * The benchmark workloads, shared by the step bench (ours) and scripts/torch_bench.py (PyTorch),
 * which reads the same definitions as JSON so both sides train exactly the same shapes.
 */
import type { AdapterConfig, ModelConfig } from '../src/core/experiment/types';

export type AdapterKind = 'lora' | 'symlora' | 'full';

export interface Workload {
  /** "mlp" or "transformer". */
  name: string;
  model: ModelConfig;
  batch: number;
  /** Adapter targets (glob over layer names). */
  targets: string[];
}

export const RANK = 8;

export const WORKLOADS: Workload[] = [
  {
    name: 'mlp',
    model: { arch: 'mlp', inputDim: 512, hidden: [512, 512, 512, 512], classes: 10, activation: 'relu' },
    batch: 128,
    targets: ['hidden.*'],
  },
  {
    name: 'transformer',
    model: { arch: 'transformer', inputDim: 32, seqLen: 64, dModel: 256, heads: 4, layers: 2, ffnDim: 1024, classes: 10 },
    batch: 32,
    targets: ['encoder.*.attn.*'],
  },
];

export const KINDS: AdapterKind[] = ['lora', 'symlora', 'full'];

export function adapterFor(kind: AdapterKind, workload: Workload): AdapterConfig {
  return {
    kind,
    rank: RANK,
    alpha: RANK,
    scaling: 'alpha/r',
    targets: workload.targets,
    nonSquare: 'skip',
    init: 'zero',
    trainHead: false,
  };
}
