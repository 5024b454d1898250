/**
 * LoRA: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with A (r×in) Kaiming-uniform and B (out×r) zero, as in PEFT.
 * Stored transposed (Aᵀ: in×r, Bᵀ: r×out) so the forward pass multiplies without transpose flags.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LoraLayerWeights } from '../io/adapterFile';
import { mm } from '../ops';
import type { Adapter, AdapterContext } from './types';
import { adapterScale } from './types';

export class LoraAdapter implements Adapter {
  readonly kind = 'lora' as const;
  readonly rank: number;
  readonly scale: number;
  readonly inDim: number;
  readonly outDim: number;
  private readonly aT: tf.Variable; // [in, r]
  private readonly bT: tf.Variable; // [r, out]

  constructor(ctx: AdapterContext) {
    const { inDim, outDim, config, rng } = ctx;
    this.rank = config.rank;
    this.scale = adapterScale(config);
    this.inDim = inDim;
    this.outDim = outDim;
    // PEFT: kaiming_uniform_(lora_A, a=√5) ⇒ U(−1/√in, 1/√in).
    const bound = 1 / Math.sqrt(inDim);
    const a = rng.fillUniform(new Float32Array(inDim * this.rank), -bound, bound);
    this.aT = tf.variable(tf.tensor2d(a, [inDim, this.rank]), true);
    this.bT = tf.variable(tf.zeros([this.rank, outDim]), true);
  }

  variables(): tf.Variable[] {
    return [this.aT, this.bT];
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(mm(mm(x, this.aT as tf.Tensor2D), this.bT as tf.Tensor2D), this.scale);
  }

  denseDelta(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.transpose(tf.matMul(this.aT as tf.Tensor2D, this.bT as tf.Tensor2D)), this.scale));
  }

  paramCount(): number {
    return this.rank * (this.inDim + this.outDim);
  }

  exportWeights(layer: string): LoraLayerWeights {
    return {
      kind: 'lora',
      layer,
      shape: [this.outDim, this.inDim],
      rank: this.rank,
      scale: this.scale,
      A: tf.tidy(() => tf.transpose(this.aT).dataSync() as Float32Array).slice(),
      B: tf.tidy(() => tf.transpose(this.bT).dataSync() as Float32Array).slice(),
    };
  }

  importWeights(w: LoraLayerWeights | { kind: string }): void {
    if (w.kind !== 'lora') throw new Error(`cannot load ${w.kind} weights into a lora adapter`);
    const lw = w as LoraLayerWeights;
    checkShape(lw.A.length, this.rank * this.inDim, `${lw.layer}.lora_A`);
    checkShape(lw.B.length, this.outDim * this.rank, `${lw.layer}.lora_B`);
    tf.tidy(() => {
      this.aT.assign(tf.transpose(tf.tensor2d(lw.A, [this.rank, this.inDim])));
      this.bT.assign(tf.transpose(tf.tensor2d(lw.B, [this.outDim, this.rank])));
    });
  }

  dispose(): void {
    this.aT.dispose();
    this.bT.dispose();
  }
}

export function checkShape(actual: number, expected: number, name: string): void {
  if (actual !== expected) throw new Error(`${name}: expected ${expected} values, got ${actual}`);
}
