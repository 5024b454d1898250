/**
 * A dense layer y = x·Wᵀ + b that can carry one low-rank adapter and merge it into W.
 * W is stored transposed ([in, out]) so the forward pass multiplies without transpose flags; the
 * [out, in] view that PyTorch and PEFT use is available through `weightOutIn()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from '../adapters/types';
import { mm } from '../ops';
import type { Rng } from '../rng';

export class Linear {
  readonly weightT: tf.Variable; // [in, out]
  readonly bias: tf.Variable; // [out]
  private adapterRef: Adapter | undefined;
  private merged = false;

  constructor(
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    rng: Rng,
    /** Standard deviation of the Gaussian init (He: √(2/in), LeCun: √(1/in)). */
    initStd = Math.sqrt(2 / inDim),
  ) {
    const w = rng.fillNormal(new Float32Array(inDim * outDim), initStd);
    this.weightT = tf.variable(tf.tensor2d(w, [inDim, outDim]), false);
    this.bias = tf.variable(tf.zeros([outDim]), false);
  }

  get adapter(): Adapter | undefined {
    return this.adapterRef;
  }

  get isMerged(): boolean {
    return this.merged;
  }

  attach(adapter: Adapter): void {
    if (this.adapterRef) throw new Error(`${this.name} already has an adapter`);
    if (adapter.inDim !== this.inDim || adapter.outDim !== this.outDim) {
      throw new Error(`${this.name}: adapter is ${adapter.outDim}×${adapter.inDim}, layer is ${this.outDim}×${this.inDim}`);
    }
    this.adapterRef = adapter;
  }

  /** x [m, in] → [m, out]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    const base = tf.add(mm(x, this.weightT as tf.Tensor2D), this.bias) as tf.Tensor2D;
    if (!this.adapterRef || this.merged) return base;
    return tf.add(base, this.adapterRef.apply(x));
  }

  /** W ← W + s·ΔW; the adapter stops contributing separately. Outputs are unchanged up to rounding. */
  merge(): void {
    if (!this.adapterRef || this.merged) return;
    const delta = this.adapterRef.denseDelta();
    tf.tidy(() => this.weightT.assign(tf.add(this.weightT, tf.transpose(delta))));
    delta.dispose();
    this.merged = true;
  }

  /** Undo `merge()`. */
  unmerge(): void {
    if (!this.adapterRef || !this.merged) return;
    const delta = this.adapterRef.denseDelta();
    tf.tidy(() => this.weightT.assign(tf.sub(this.weightT, tf.transpose(delta))));
    delta.dispose();
    this.merged = false;
  }

  /** W as an [out, in] row-major array. */
  weightOutIn(): Float32Array {
    // Transposed in JS: the backend's Transpose kernel is slow on large planes (seconds for
    // USE-Lite's layers on wasm), a plain loop over the [in, out] data is not.
    const inOut = this.weightT.dataSync() as Float32Array;
    const outIn = new Float32Array(inOut.length);
    for (let i = 0; i < this.inDim; i++) {
      for (let o = 0; o < this.outDim; o++) outIn[o * this.inDim + i] = inOut[i * this.outDim + o];
    }
    return outIn;
  }

  setWeightOutIn(values: Float32Array): void {
    if (values.length !== this.inDim * this.outDim) {
      throw new Error(`${this.name}.weight: expected ${this.inDim * this.outDim} values, got ${values.length}`);
    }
    tf.tidy(() => this.weightT.assign(tf.transpose(tf.tensor2d(values, [this.outDim, this.inDim]))));
  }

  dispose(): void {
    this.weightT.dispose();
    this.bias.dispose();
    this.adapterRef?.dispose();
  }
}
