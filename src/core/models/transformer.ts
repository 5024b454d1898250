/**
 * A pre-LN Transformer encoder for sequence classification: a linear token embedding plus learned
 * positions, L blocks of multi-head self-attention (q/k/v/o projections) and a GELU feed-forward,
 * a final layer norm, mean pooling over tokens and a linear head.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TransformerModelConfig } from '../experiment/types';
import { bmm, transposeLast2 } from '../ops';
import type { Rng } from '../rng';
import { linearLayout } from './layout';
import { Linear } from './linear';
import type { Model } from './model';
import { gelu } from './mlp';

export interface LayerNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
}

export function layerNorm(x: tf.Tensor2D, p: LayerNormParams, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, p.gamma), p.beta) as tf.Tensor2D;
}

/**
 * Multi-head attention over flattened tokens: q, k, v [B·T, d] → [B·T, d] (before the o projection).
 * An optional additive mask [B, 1, 1, T] (0 keep, −1e9 drop) supports padded sequences.
 */
export function attention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, seq: number, heads: number, mask?: tf.Tensor): tf.Tensor2D {
  const d = q.shape[1];
  const dk = d / heads;
  const split = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [batch, seq, heads, dk]), [0, 2, 1, 3]);
  let scores = tf.mul(bmm(split(q), transposeLast2(split(k))), 1 / Math.sqrt(dk));
  if (mask) scores = tf.add(scores, mask);
  const context = bmm(tf.softmax(scores), split(v)); // [B, H, T, dk]
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * seq, d]);
}

export class TransformerEncoder implements Model {
  readonly linears: Linear[];
  readonly others = new Map<string, tf.Variable>();
  private readonly byName = new Map<string, Linear>();

  constructor(
    readonly config: TransformerModelConfig,
    rng: Rng,
  ) {
    if (config.dModel % config.heads !== 0) {
      throw new Error(`model.dModel (${config.dModel}) must be divisible by model.heads (${config.heads})`);
    }
    this.linears = linearLayout(config).map(({ name, shape: [out, inp] }) => new Linear(name, inp, out, rng, Math.sqrt(1 / inp)));
    this.linears.forEach((l) => this.byName.set(l.name, l));
    const d = config.dModel;
    const pos = rng.fillNormal(new Float32Array(config.seqLen * d), 0.02);
    this.others.set('embed.position', tf.variable(tf.tensor2d(pos, [config.seqLen, d]), false));
    const norm = (name: string) => {
      this.others.set(`${name}.gamma`, tf.variable(tf.ones([d]), false));
      this.others.set(`${name}.beta`, tf.variable(tf.zeros([d]), false));
    };
    for (let l = 0; l < config.layers; l++) {
      norm(`encoder.${l}.ln1`);
      norm(`encoder.${l}.ln2`);
    }
    norm('final_ln');
  }

  private linear(name: string): Linear {
    return this.byName.get(name)!;
  }

  private norm(name: string): LayerNormParams {
    return { gamma: this.others.get(`${name}.gamma`)!, beta: this.others.get(`${name}.beta`)! };
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    const { seqLen: seq, inputDim, dModel: d, heads, layers } = this.config;
    const batch = x.shape[0];
    const tokens = tf.reshape(x, [batch * seq, inputDim]) as tf.Tensor2D;
    // Positions [T, d] broadcast over the batch (no tiled copy).
    const embedded = tf.reshape(this.linear('embed').forward(tokens), [batch, seq, d]);
    let h = tf.reshape(tf.add(embedded, this.others.get('embed.position')!), [batch * seq, d]) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const p = `encoder.${l}`;
      const a = layerNorm(h, this.norm(`${p}.ln1`));
      const ctx = attention(
        this.linear(`${p}.attn.q`).forward(a),
        this.linear(`${p}.attn.k`).forward(a),
        this.linear(`${p}.attn.v`).forward(a),
        batch,
        seq,
        heads,
      );
      h = tf.add(h, this.linear(`${p}.attn.o`).forward(ctx));
      const f = layerNorm(h, this.norm(`${p}.ln2`));
      const up = gelu(this.linear(`${p}.ffn.up`).forward(f)) as tf.Tensor2D;
      h = tf.add(h, this.linear(`${p}.ffn.down`).forward(up));
    }
    const pooled = tf.mean(tf.reshape(layerNorm(h, this.norm('final_ln')), [batch, seq, d]), 1) as tf.Tensor2D;
    return this.linear('head').forward(pooled);
  }

  dispose(): void {
    this.linears.forEach((l) => l.dispose());
    this.others.forEach((v) => v.dispose());
  }
}
