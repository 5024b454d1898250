/**
 * SymLoRA: y = x·Wᵀ + s·((x·Q)⊙λ)·Qᵀ, a symmetric (possibly indefinite) update s·Q·diag(λ)·Qᵀ with
 * Q (n×r) and λ ∈ Rʳ: n·r + r weights. Starts at ΔW = 0 (λ = 0) with orthonormal Q, either random
 * or ('eig') the top-r eigenvectors, by |eigenvalue|, of the symmetric part of the frozen W.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { SymLoraLayerWeights } from '../io/adapterFile';
import { mm, swapLast2 } from '../ops';
import { randomOrthonormal } from '../rng';
import { checkShape } from './lora';
import type { Adapter, AdapterContext } from './types';
import { adapterScale } from './types';

export class SymLoraAdapter implements Adapter {
  readonly kind = 'symlora' as const;
  readonly rank: number;
  readonly scale: number;
  readonly inDim: number;
  readonly outDim: number;
  private readonly q: tf.Variable; // [n, r]
  private readonly lambda: tf.Variable; // [r]

  constructor(ctx: AdapterContext) {
    const { inDim, outDim, config, rng, layer } = ctx;
    if (inDim !== outDim) throw new Error(`symlora needs a square weight; ${layer} is ${outDim}×${inDim}`);
    this.rank = config.rank;
    this.scale = adapterScale(config);
    this.inDim = inDim;
    this.outDim = outDim;
    const q = config.init === 'eig' ? topEigenvectors(ctx.baseWeight(), inDim, this.rank) : randomOrthonormal(rng, inDim, this.rank);
    this.q = tf.variable(tf.tensor2d(q, [inDim, this.rank]), true);
    this.lambda = tf.variable(tf.zeros([this.rank]), true);
  }

  variables(): tf.Variable[] {
    return [this.q, this.lambda];
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    // (x·Q)⊙λ is formed once and multiplied by Qᵀ; the transpose is r×n, cheap to materialise.
    const q = this.q as tf.Tensor2D;
    const projected = tf.mul(mm(x, q), tf.mul(this.lambda, this.scale)) as tf.Tensor2D;
    return mm(projected, swapLast2(q) as tf.Tensor2D);
  }

  denseDelta(): tf.Tensor2D {
    return tf.tidy(() => {
      const q = this.q as tf.Tensor2D;
      return tf.matMul(tf.mul(q, tf.mul(this.lambda, this.scale)) as tf.Tensor2D, tf.transpose(q));
    });
  }

  paramCount(): number {
    return this.inDim * this.rank + this.rank;
  }

  exportWeights(layer: string): SymLoraLayerWeights {
    return {
      kind: 'symlora',
      layer,
      shape: [this.outDim, this.inDim],
      rank: this.rank,
      scale: this.scale,
      Q: (this.q.dataSync() as Float32Array).slice(),
      lambda: (this.lambda.dataSync() as Float32Array).slice(),
    };
  }

  importWeights(w: SymLoraLayerWeights | { kind: string }): void {
    if (w.kind !== 'symlora') throw new Error(`cannot load ${w.kind} weights into a symlora adapter`);
    const sw = w as SymLoraLayerWeights;
    checkShape(sw.Q.length, this.inDim * this.rank, `${sw.layer}.Q`);
    checkShape(sw.lambda.length, this.rank, `${sw.layer}.lambda`);
    tf.tidy(() => {
      this.q.assign(tf.tensor2d(sw.Q, [this.inDim, this.rank]));
      this.lambda.assign(tf.tensor1d(sw.lambda));
    });
  }

  dispose(): void {
    this.q.dispose();
    this.lambda.dispose();
  }
}

/** Top-r eigenvectors (by |eigenvalue|) of ½(W + Wᵀ), as an n×r row-major array. */
export function topEigenvectors(w: Float32Array, n: number, r: number): Float32Array {
  const sym = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) sym.set(i, j, 0.5 * (w[i * n + j] + w[j * n + i]));
  }
  const eig = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const order = values.map((v, i) => [Math.abs(v), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const vectors = eig.eigenvectorMatrix;
  const out = new Float32Array(n * r);
  for (let j = 0; j < r; j++) {
    const col = order[j][1];
    for (let i = 0; i < n; i++) out[i * r + j] = vectors.get(i, col);
  }
  return out;
}
