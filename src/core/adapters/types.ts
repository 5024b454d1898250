/**
 * One interface for every low-rank adapter kind, in the manner of PEFT's tuners: a layer holds a
 * frozen weight and, optionally, an adapter that adds s·x·ΔWᵀ to its output.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterLayerWeights } from '../io/adapterFile';
import type { Rng } from '../rng';
import type { AdapterConfig } from '../experiment/types';

export type LowRankKind = 'lora' | 'symlora';

export interface Adapter {
  readonly kind: LowRankKind;
  readonly rank: number;
  /** s = α/r (or α/√r with rsLoRA scaling). */
  readonly scale: number;
  readonly inDim: number;
  readonly outDim: number;
  /** The adapter's trainable variables. */
  variables(): tf.Variable[];
  /** s·x·ΔWᵀ for x of shape [m, in]: the adapter's contribution to the layer output [m, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** s·ΔW as a dense [out, in] matrix. */
  denseDelta(): tf.Tensor2D;
  /** Trainable parameter count (LoRA: r·(in + out); SymLoRA: n·r + r). */
  paramCount(): number;
  /** Weights in the interchange layout of src/core/io/adapterFile.ts. */
  exportWeights(layer: string): AdapterLayerWeights;
  /** Replace the weights (resume, load). Shapes must match. */
  importWeights(weights: AdapterLayerWeights): void;
  dispose(): void;
}

export interface AdapterContext {
  layer: string;
  inDim: number;
  outDim: number;
  config: AdapterConfig;
  rng: Rng;
  /** The frozen weight [out, in] as a row-major array (for data-dependent inits such as 'eig'). */
  baseWeight: () => Float32Array;
}

export function adapterScale(config: Pick<AdapterConfig, 'alpha' | 'rank' | 'scaling'>): number {
  return config.scaling === 'alpha/sqrt(r)' ? config.alpha / Math.sqrt(config.rank) : config.alpha / config.rank;
}
