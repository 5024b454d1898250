/**
 * Measures recommended changes to src/core/models/transformer.ts (the lead's file) on a copy of its
 * forward pass: GELU through sigmoid (bench/experiments/gelu.ts) and positions added by broadcasting
 * instead of tf.tile. Usage: node --import tsx bench/experiments/patchedEncoder.ts [lora|symlora|full]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { applyAdapterPlan, buildModel } from '../../src/core/models/build';
import type { Linear } from '../../src/core/models/linear';
import { attention, layerNorm, type LayerNormParams, type TransformerEncoder } from '../../src/core/models/transformer';
import type { TransformerModelConfig } from '../../src/core/experiment/types';
import { Rng } from '../../src/core/rng';
import { crossEntropy } from '../../src/core/train/loss';
import { Adam } from '../../src/core/train/optimizer';
import { adapterFor, WORKLOADS, type AdapterKind } from '../workloads';
import { geluSigmoid } from './gelu';

type Internals = { linear(name: string): Linear; norm(name: string): LayerNormParams; others: Map<string, tf.Variable>; config: TransformerModelConfig };

function patchedForward(model: Internals, x: tf.Tensor2D): tf.Tensor2D {
  const { seqLen: seq, inputDim, dModel: d, heads, layers } = model.config;
  const batch = x.shape[0];
  const tokens = tf.reshape(x, [batch * seq, inputDim]) as tf.Tensor2D;
  const embedded = tf.reshape(model.linear('embed').forward(tokens), [batch, seq, d]);
  let h = tf.reshape(tf.add(embedded, model.others.get('embed.position')!), [batch * seq, d]) as tf.Tensor2D;
  for (let l = 0; l < layers; l++) {
    const p = `encoder.${l}`;
    const a = layerNorm(h, model.norm(`${p}.ln1`));
    const ctx = attention(model.linear(`${p}.attn.q`).forward(a), model.linear(`${p}.attn.k`).forward(a), model.linear(`${p}.attn.v`).forward(a), batch, seq, heads);
    h = tf.add(h, model.linear(`${p}.attn.o`).forward(ctx));
    const f = layerNorm(h, model.norm(`${p}.ln2`));
    const up = geluSigmoid(model.linear(`${p}.ffn.up`).forward(f)) as tf.Tensor2D;
    h = tf.add(h, model.linear(`${p}.ffn.down`).forward(up));
  }
  const pooled = tf.mean(tf.reshape(layerNorm(h, model.norm('final_ln')), [batch, seq, d]), 1) as tf.Tensor2D;
  return model.linear('head').forward(pooled);
}

function cpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }

async function main() {
  const kind = (process.argv[2] ?? 'lora') as AdapterKind;
  await initBackend('wasm');
  const w = WORKLOADS.find((x) => x.name === 'transformer')!;
  const model = (await buildModel(w.model, new Rng(1, 1))) as TransformerEncoder;
  const adapted = applyAdapterPlan(model, adapterFor(kind, w), new Rng(1, 3));
  const opt = new Adam(adapted.trainable);
  const x = tf.randomNormal([w.batch, 64 * 32]) as tf.Tensor2D;
  const y = tf.tensor1d(Array.from({ length: w.batch }, (_, i) => i % 10), 'int32');
  const internals = model as unknown as Internals;
  const forwards = { stock: (t: tf.Tensor2D) => model.forward(t), patched: (t: tf.Tensor2D) => patchedForward(internals, t) };
  const logits = tf.tidy(() => tf.max(tf.abs(tf.sub(forwards.stock(x), forwards.patched(x)))).dataSync()[0]);
  console.log('max |logit difference|', logits);
  for (const [label, forward] of Object.entries(forwards)) {
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(forward(x), y) as tf.Scalar, adapted.trainable);
      opt.apply(adapted.trainable.map((v) => grads[v.name]), 1e-3);
      return value.dataSync()[0];
    });
    step();
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) { const c = cpu(); step(); xs.push(cpu() - c); }
    xs.sort((a, b) => a - b);
    console.log(`${kind} ${label}: step cpu median ${xs[2].toFixed(0)} ms (min ${xs[0].toFixed(0)})`);
  }
}
void main();
