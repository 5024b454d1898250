/** A multilayer perceptron: inputDim → hidden.0 … hidden.{L−1} → head. */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, MlpModelConfig } from '../experiment/types';
import type { Rng } from '../rng';
import { linearLayout } from './layout';
import { Linear } from './linear';
import type { Model } from './model';

export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu':
      return gelu(x);
  }
}

/** GELU, tanh approximation (as in BERT / GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

export class Mlp implements Model {
  readonly linears: Linear[];
  readonly others = new Map<string, tf.Variable>();

  constructor(readonly config: MlpModelConfig, rng: Rng) {
    const gain = config.activation === 'tanh' ? 1 : 2;
    this.linears = linearLayout(config).map(({ name, shape: [out, inp], isHead }) =>
      new Linear(name, inp, out, rng, Math.sqrt((isHead ? 1 : gain) / inp)),
    );
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.linears.length - 1;
    this.linears.forEach((layer, i) => {
      const z = layer.forward(h);
      h = i === last ? z : (activate(z, this.config.activation) as tf.Tensor2D);
    });
    return h;
  }

  dispose(): void {
    this.linears.forEach((l) => l.dispose());
  }
}
