/**
 * Adapters inside USE-Lite's attention: zero-initialised adapters leave the pretrained model
 * unchanged, training moves only adapters and head (gradients reach layer 0 through the packed
 * token layout), full fine-tuning runs on wasm, and the config-side counts match the live model.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { loadDataset } from '../../src/core/data/registry';
import type { Dataset } from '../../src/core/data/types';
import type { AdapterConfig } from '../../src/core/experiment/types';
import { applyAdapterPlan, buildModel } from '../../src/core/models/build';
import { tokenizeDataset, useLiteLinears, useLiteOtherParams, type UseLiteEncoder } from '../../src/core/models/useLite';
import { gatherRows } from '../../src/core/models/useLite/rows';
import { Rng } from '../../src/core/rng';
import { crossEntropy } from '../../src/core/train/loss';
import { Adam } from '../../src/core/train/optimizer';

const MAX_TOKENS = 64;
let data: Dataset;

before(async () => {
  await initBackend('wasm');
  const task = { dataset: 'sentiment' as const, options: { domains: ['amazon'], features: 'text' }, trainSize: 64, valSize: 0, testSize: 16 };
  data = await tokenizeDataset(await loadDataset(task, { seed: 1 }), MAX_TOKENS);
});

function adapterConfig(kind: AdapterConfig['kind'], targets: string[]): AdapterConfig {
  return { kind, rank: 4, alpha: 8, scaling: 'alpha/r', targets, nonSquare: 'skip', init: 'zero', trainHead: true };
}

async function freshModel(seed = 0): Promise<UseLiteEncoder> {
  return (await buildModel({ arch: 'use-lite', classes: 2, maxTokens: MAX_TOKENS }, new Rng(seed))) as UseLiteEncoder;
}

const batchX = (rows: number) => tf.tensor2d(data.train.x.subarray(0, rows * MAX_TOKENS), [rows, MAX_TOKENS]);
const snapshot = (v: tf.Tensor) => (v.dataSync() as Float32Array).slice();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test('zero-initialised LoRA and SymLoRA inside attention leave the outputs unchanged', async () => {
  for (const kind of ['lora', 'symlora'] as const) {
    const model = await freshModel();
    const before = tf.tidy(() => snapshot(model.forward(batchX(8))));
    const adapted = applyAdapterPlan(model, adapterConfig(kind, ['encoder.*.attn.q', 'encoder.*.attn.v']), new Rng(0, 3));
    assert.equal(adapted.names.filter((n) => n.startsWith('encoder.')).length, 8, adapted.names.join(', '));
    const after = tf.tidy(() => snapshot(model.forward(batchX(8))));
    assert.ok(maxAbsDiff(before, after) < 1e-6, kind);
    model.dispose();
  }
});

test('training moves adapters (both layers) and head only, and the loss falls', async () => {
  const model = await freshModel();
  const adapted = applyAdapterPlan(
    model,
    adapterConfig('symlora', ['encoder.*.attn.q', 'encoder.*.attn.k', 'encoder.*.attn.v', 'encoder.1.attn.o']),
    new Rng(0, 3),
  );
  const frozen = ['encoder.0.attn.q', 'encoder.1.attn.v', 'encoder.1.ffn.up', 'pooler'].map((n) => ({ n, before: snapshot(model.linear(n).weightT) }));
  const embedBefore = snapshot(model.others.get('embed.tokens')!);
  const adaptersBefore = adapted.trainable.map(snapshot);
  const optimizer = new Adam(adapted.trainable);
  const x = batchX(16);
  const labels = tf.tensor1d(data.train.y.subarray(0, 16), 'int32');
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), labels), adapted.trainable);
    losses.push(value.dataSync()[0]);
    optimizer.apply(
      adapted.trainable.map((v) => grads[v.name]),
      0.01,
    );
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
  assert.ok(losses.at(-1)! < losses[0] * 0.8, `loss ${losses[0]} → ${losses.at(-1)}`);
  for (const { n, before } of frozen) assert.equal(maxAbsDiff(before, snapshot(model.linear(n).weightT)), 0, `${n} is frozen`);
  assert.equal(maxAbsDiff(embedBefore, snapshot(model.others.get('embed.tokens')!)), 0);
  adapted.trainable.forEach((v, i) => {
    // λ starts at 0 and Q is orthonormal: every λ must have moved, in layer 0 as in layer 1.
    if (adapted.names[i].endsWith('lambda')) assert.ok(maxAbsDiff(adaptersBefore[i], snapshot(v)) > 0, `${adapted.names[i]} did not move`);
  });
  assert.ok(adapted.names.includes('encoder.0.attn.q.lambda'));
  optimizer.dispose();
  model.dispose();
});

test('full fine-tuning runs on wasm: the embedding gets gradients only for the tokens it saw', async () => {
  const model = await freshModel();
  const adapted = applyAdapterPlan(model, adapterConfig('full', []), new Rng(0, 3));
  const embed = model.others.get('embed.tokens')!;
  assert.ok(adapted.trainable.includes(embed));
  const x = batchX(4);
  const seen = new Set(Array.from(x.dataSync()).filter((id) => id >= 0));
  const { grads } = tf.variableGrads(() => crossEntropy(model.forward(x), tf.tensor1d(data.train.y.subarray(0, 4), 'int32')), [embed]);
  const g = grads[embed.name].arraySync() as number[][];
  const touched = g.map((row, id) => (row.some((v) => v !== 0) ? id : -1)).filter((id) => id >= 0);
  assert.deepEqual(
    touched.sort((a, b) => a - b),
    [...seen].sort((a, b) => a - b),
  );
  model.dispose();
});

test('gatherRows: gathers rows and sums the gradient of repeated rows', () => {
  const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  const idx = tf.tensor1d([2, 0, 2], 'int32');
  assert.deepEqual(gatherRows(table, idx).arraySync(), [
    [5, 6],
    [1, 2],
    [5, 6],
  ]);
  const weights = tf.tensor2d([1, 10, 100, 1000, 2, 20], [3, 2]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), weights)))(table);
  assert.deepEqual(grad.arraySync(), [
    [100, 1000],
    [0, 0],
    [3, 30],
  ]);
});

test('config-side shapes and counts equal the live model', async () => {
  const model = await freshModel();
  const layout = useLiteLinears(2);
  const linearParams = layout.reduce((s, l) => s + l.shape[0] * l.shape[1] + l.shape[0], 0);
  const live = model.linears.reduce((s, l) => s + l.weightT.size + l.bias.size, 0);
  assert.equal(linearParams, live);
  const others = useLiteOtherParams().reduce((s, o) => s + o.count, 0);
  assert.equal(
    others,
    [...model.others.values()].reduce((s, v) => s + v.size, 0),
  );
  // Every float weight in model.json's manifest (the fixed timing table aside) is used, once.
  const head = model.linear('head');
  assert.equal(live + others - head.weightT.size - head.bias.size, 6_975_744);
  model.dispose();
});
