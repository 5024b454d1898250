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
      // tanh(x) = 2·sigmoid(2x) − 1: wasm's Sigmoid is vectorised, its Tanh is not.
      return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
    case 'gelu':
      return gelu(x);
  }
}

/**
 * GELU, tanh approximation (as in BERT / GPT-2), written through sigmoid: 0.5·(1 + tanh(u)) =
 * sigmoid(2u). On wasm, Sigmoid is XNNPACK's vector kernel while Tanh and Pow are scalar libm
 * loops (~17× slower); x³ is x·x·x for the same reason. Same function, float32 rounding aside.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const cube = tf.mul(tf.mul(x, x), x);
  return tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * Math.sqrt(2 / Math.PI))));
}

export class Mlp implements Model {
  readonly linears: Linear[];
  readonly others = new Map<string, tf.Variable>();

  constructor(
    readonly config: MlpModelConfig,
    rng: Rng,
  ) {
    const gain = config.activation === 'tanh' ? 1 : 2;
    this.linears = linearLayout(config).map(({ name, shape: [out, inp], isHead }) => new Linear(name, inp, out, rng, Math.sqrt((isHead ? 1 : gain) / inp)));
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
