/** The model interface shared by the MLP, the Transformer encoder and USE-Lite. */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../experiment/types';
import type { Linear } from './linear';

export interface Model {
  readonly config: ModelConfig;
  /** Every dense layer, by name, in forward order; `head` last. */
  readonly linears: Linear[];
  /** Non-linear parameters (layer norms, positional embeddings), by name. */
  readonly others: Map<string, tf.Variable>;
  /** Input x of shape [batch, featureSize] (row-major per example) → logits [batch, classes]. */
  forward(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}
