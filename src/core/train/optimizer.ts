/**
 * Adam and AdamW (decoupled weight decay, Loshchilov & Hutter) over an explicit variable list.
 * Our own rather than tf.train.adam so that the learning rate can follow a schedule per step and
 * the moment estimates can be checkpointed and restored exactly (resume = uninterrupted run).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** true: AdamW (decay applied to the weights); false: Adam with L2 added to the gradient. */
  decoupled?: boolean;
}

export interface OptimizerState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly decoupled: boolean;

  constructor(
    private readonly vars: tf.Variable[],
    options: AdamOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.decoupled = options.decoupled ?? false;
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with gradients parallel to the variable list. */
  apply(grads: tf.Tensor[], lr: number): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, epsilon, weightDecay, decoupled, t } = this;
    const correction1 = 1 - b1 ** t;
    const correction2 = 1 - b2 ** t;
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        let g = grads[i];
        if (weightDecay > 0 && !decoupled) g = tf.add(g, tf.mul(x, weightDecay));
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(m, lr / correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        let next = tf.sub(x, update);
        if (weightDecay > 0 && decoupled) next = tf.sub(next, tf.mul(x, lr * weightDecay));
        x.assign(next);
      });
    });
  }

  state(): OptimizerState {
    return {
      step: this.t,
      m: this.m.map((x) => (x.dataSync() as Float32Array).slice()),
      v: this.v.map((x) => (x.dataSync() as Float32Array).slice()),
    };
  }

  loadState(state: OptimizerState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`optimizer state has ${state.m.length} moments, the model has ${this.m.length} trainable variables`);
    }
    this.t = state.step;
    tf.tidy(() => {
      this.m.forEach((x, i) => x.assign(tf.tensor(state.m[i], x.shape)));
      this.v.forEach((x, i) => x.assign(tf.tensor(state.v[i], x.shape)));
    });
  }

  dispose(): void {
    this.m.forEach((x) => x.dispose());
    this.v.forEach((x) => x.dispose());
  }
}
