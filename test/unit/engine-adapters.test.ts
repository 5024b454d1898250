/**
 * Adapter layers: gradients against float64 finite differences, exact parameter counts,
 * zero-initialised adapters, merge ≡ unmerged, SymLoRA symmetry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/backend';
import { countParams } from '../../src/core/adapters/params';
import { LoraAdapter } from '../../src/core/adapters/lora';
import { SymLoraAdapter } from '../../src/core/adapters/symlora';
import { Linear } from '../../src/core/models/linear';
import { applyAdapterPlan, buildModel } from '../../src/core/models/build';
import { Rng } from '../../src/core/rng';
import { baseAdapter } from '../helpers/configs';
import type { AdapterConfig, ModelConfig } from '../../src/core/experiment/types';

before(async () => {
  await initBackend(process.env.SYMLORA_TEST_BACKEND ?? 'wasm');
});

const adapterCfg = (kind: 'lora' | 'symlora', rank: number, extra: Partial<AdapterConfig> = {}): AdapterConfig => ({
  ...baseAdapter,
  kind,
  rank,
  alpha: 2 * rank,
  ...extra,
});

/** A layer with a random W, a random adapter state (so ΔW ≠ 0) and the same values as float64 arrays. */
function randomLayer(kind: 'lora' | 'symlora', n: number, r: number, seed: number) {
  const rng = new Rng(seed);
  const layer = new Linear('l', n, n, rng);
  const cfg = adapterCfg(kind, r);
  const adapter =
    kind === 'lora'
      ? new LoraAdapter({ layer: 'l', inDim: n, outDim: n, config: cfg, rng, baseWeight: () => layer.weightOutIn() })
      : new SymLoraAdapter({ layer: 'l', inDim: n, outDim: n, config: cfg, rng, baseWeight: () => layer.weightOutIn() });
  layer.attach(adapter);
  // Move away from the zero init so every gradient path is exercised.
  for (const v of adapter.variables()) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', seed + v.size));
  return { layer, adapter };
}

/** Float64 reference of loss = Σ (y ⊙ R), y = x·Wᵀ + b + x·ΔWᵀ, with ΔW built from the adapter's own parametrisation. */
function referenceLoss(
  kind: 'lora' | 'symlora',
  params: Float64Array[],
  w: Float64Array,
  x: Float64Array,
  rmat: Float64Array,
  m: number,
  n: number,
  r: number,
  s: number,
): number {
  const delta = new Float64Array(n * n); // [out, in]
  if (kind === 'lora') {
    const [aT, bT] = params; // aT [n, r] (in×r), bT [r, n] (r×out)
    for (let o = 0; o < n; o++)
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let c = 0; c < r; c++) sum += bT[c * n + o] * aT[i * r + c];
        delta[o * n + i] = s * sum;
      }
  } else {
    const [q, lambda] = params;
    for (let o = 0; o < n; o++)
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let c = 0; c < r; c++) sum += q[o * r + c] * lambda[c] * q[i * r + c];
        delta[o * n + i] = s * sum;
      }
  }
  let loss = 0;
  for (let row = 0; row < m; row++)
    for (let o = 0; o < n; o++) {
      let y = 0;
      for (let i = 0; i < n; i++) y += x[row * n + i] * (w[o * n + i] + delta[o * n + i]);
      loss += y * rmat[row * n + o];
    }
  return loss;
}

for (const kind of ['lora', 'symlora'] as const) {
  test(`${kind}: autodiff gradients match float64 central differences`, () => {
    const n = 6,
      r = 3,
      m = 5;
    const { layer, adapter } = randomLayer(kind, n, r, 7);
    const rng = new Rng(99);
    const x = rng.fillNormal(new Float32Array(m * n));
    const rmat = rng.fillNormal(new Float32Array(m * n));
    const vars = adapter.variables();
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(layer.forward(tf.tensor2d(x, [m, n])), tf.tensor2d(rmat, [m, n]))) as tf.Scalar, vars);
      return vars.map((v) => Array.from(g[v.name].dataSync()));
    });
    const params = vars.map((v) => Float64Array.from(v.dataSync()));
    const w = Float64Array.from(layer.weightOutIn());
    const f = () => referenceLoss(kind, params, w, Float64Array.from(x), Float64Array.from(rmat), m, n, r, adapter.scale);
    const eps = 1e-6;
    params.forEach((p, pi) => {
      for (let i = 0; i < p.length; i++) {
        const orig = p[i];
        p[i] = orig + eps;
        const up = f();
        p[i] = orig - eps;
        const down = f();
        p[i] = orig;
        const numeric = (up - down) / (2 * eps);
        const analytic = grads[pi][i];
        assert.ok(
          Math.abs(numeric - analytic) <= 1e-3 * Math.max(1, Math.abs(numeric)),
          `${kind} param ${pi}[${i}]: autodiff ${analytic} vs numeric ${numeric}`,
        );
      }
    });
    layer.dispose();
  });

  test(`${kind}: merged layer gives the unmerged outputs, and unmerge restores W`, () => {
    const n = 12,
      r = 4,
      m = 8;
    const { layer } = randomLayer(kind, n, r, 3);
    const x = tf.randomNormal([m, n], 0, 1, 'float32', 5) as tf.Tensor2D;
    const before = layer.weightOutIn();
    const unmerged = layer.forward(x).dataSync().slice();
    layer.merge();
    const merged = layer.forward(x).dataSync().slice();
    merged.forEach((v, i) => assert.ok(Math.abs(v - unmerged[i]) < 1e-4 * Math.max(1, Math.abs(v)), `output ${i}: ${v} vs ${unmerged[i]}`));
    assert.ok(
      layer.weightOutIn().some((v, i) => Math.abs(v - before[i]) > 1e-3),
      'merge must change W',
    );
    layer.unmerge();
    layer.weightOutIn().forEach((v, i) => assert.ok(Math.abs(v - before[i]) < 1e-5, `W[${i}] restored`));
    x.dispose();
    layer.dispose();
  });
}

test('symlora: ΔW is symmetric (to float32 rounding); lora ΔW generally is not', () => {
  const { layer: sl, adapter: sa } = randomLayer('symlora', 10, 3, 11);
  const d = sa.denseDelta().arraySync();
  const scale = Math.max(...d.flat().map(Math.abs));
  for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) assert.ok(Math.abs(d[i][j] - d[j][i]) <= 1e-6 * scale, `ΔW[${i}][${j}] vs ΔW[${j}][${i}]`);
  const { layer: ll, adapter: la } = randomLayer('lora', 10, 3, 11);
  const e = la.denseDelta().arraySync();
  assert.ok(e.some((row, i) => row.some((v, j) => Math.abs(v - e[j][i]) > 1e-3)));
  sl.dispose();
  ll.dispose();
});

for (const init of ['zero', 'eig'] as const) {
  test(`zero-initialised adapters leave the model's outputs unchanged (symlora init ${init}, lora)`, async () => {
    const model: ModelConfig = { arch: 'mlp', inputDim: 8, hidden: [8, 8], classes: 3, activation: 'relu' };
    const x = tf.randomNormal([6, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    for (const kind of ['lora', 'symlora'] as const) {
      const m = await buildModel(model, new Rng(4));
      const plain = m.forward(x).dataSync().slice();
      applyAdapterPlan(m, adapterCfg(kind, 2, { init }), new Rng(5));
      assert.ok(m.linears.filter((l) => l.adapter).length === 2);
      assert.deepEqual(Array.from(m.forward(x).dataSync()), Array.from(plain));
      m.dispose();
    }
    x.dispose();
  });
}

test('eig init: Q holds the top eigenvectors of sym(W) and is orthonormal', async () => {
  const m = await buildModel({ arch: 'mlp', inputDim: 8, hidden: [8], classes: 2, activation: 'relu' }, new Rng(4));
  applyAdapterPlan(m, adapterCfg('symlora', 3, { init: 'eig' }), new Rng(5));
  const layer = m.linears[0];
  const q = (layer.adapter as SymLoraAdapter).exportWeights('hidden.0').Q;
  const w = layer.weightOutIn();
  const n = 8,
    r = 3;
  for (let c = 0; c < r; c++) {
    // sym(W)·q_c is parallel to q_c.
    const v = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => 0.5 * (w[i * n + j] + w[j * n + i]) * q[j * r + c]).reduce((a, b) => a + b, 0),
    );
    const lambda = v.reduce((s, vi, i) => s + vi * q[i * r + c], 0);
    v.forEach((vi, i) => assert.ok(Math.abs(vi - lambda * q[i * r + c]) < 1e-4, `eigen residual col ${c}`));
    for (let d = 0; d < r; d++) {
      const dot = Array.from({ length: n }, (_, i) => q[i * r + c] * q[i * r + d]).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(dot - (c === d ? 1 : 0)) < 1e-5);
    }
  }
  m.dispose();
});

test('exact trainable-parameter counts: LoRA 2nr, SymLoRA nr + r, per layer and in total, equal to the live variables', async () => {
  const model: ModelConfig = { arch: 'mlp', inputDim: 20, hidden: [32, 32, 32], classes: 10, activation: 'relu' };
  const n = 32,
    r = 4;
  // hidden.0 is 32×20 (non-square), hidden.1 and hidden.2 are 32×32.
  const lora = countParams(model, adapterCfg('lora', r));
  assert.equal(lora.adapter, r * (20 + 32) + 2 * (2 * n * r));
  const sym = countParams(model, adapterCfg('symlora', r));
  assert.equal(sym.adapter, 2 * (n * r + r));
  assert.deepEqual(sym.skipped, ['hidden.0']);
  const symFallback = countParams(model, adapterCfg('symlora', r, { nonSquare: 'lora' }));
  assert.equal(symFallback.adapter, r * (20 + 32) + 2 * (n * r + r));
  const withHead = countParams(model, adapterCfg('symlora', r, { trainHead: true }));
  assert.equal(withHead.trainable, withHead.adapter + 10 * 32 + 10);
  const base = 32 * 20 + 32 + 2 * (32 * 32 + 32) + 10 * 32 + 10;
  assert.equal(countParams(model, { ...baseAdapter, kind: 'full' }).trainable, base);
  assert.equal(countParams(model, { ...baseAdapter, kind: 'head' }).trainable, 10 * 32 + 10);
  assert.equal(countParams(model, { ...baseAdapter, kind: 'none' }).trainable, 0);

  const transformer: ModelConfig = { arch: 'transformer', inputDim: 6, seqLen: 5, dModel: 16, heads: 4, layers: 2, ffnDim: 32, classes: 3 };
  const adapterConfigs: AdapterConfig[] = [
    adapterCfg('lora', 2, { targets: ['encoder.*'] }),
    adapterCfg('symlora', 2, { targets: ['encoder.*'], nonSquare: 'lora' }),
    { ...baseAdapter, kind: 'full' },
    { ...baseAdapter, kind: 'head' },
  ];
  const modelConfigs: ModelConfig[] = [model, transformer];
  for (const cfg of adapterConfigs) {
    for (const modelConfig of modelConfigs) {
      const report = countParams(modelConfig, cfg);
      const m = await buildModel(modelConfig, new Rng(1));
      const adapted = applyAdapterPlan(m, cfg, new Rng(2));
      assert.equal(
        adapted.trainable.reduce((s, v) => s + v.size, 0),
        report.trainable,
        `${modelConfig.arch} ${cfg.kind}`,
      );
      const allBase = m.linears.reduce((s, l) => s + l.weightT.size + l.bias.size, 0) + [...m.others.values()].reduce((s, v) => s + v.size, 0);
      assert.equal(report.base, allBase);
      m.dispose();
    }
  }
  // Attention projections are square: symlora r=2 on d=16 gives 16·2 + 2 per projection.
  const attnOnly = countParams(transformer, adapterCfg('symlora', 2, { targets: ['encoder.*.attn.*'] }));
  assert.equal(attnOnly.adapter, 2 * 4 * (16 * 2 + 2));
});

test('weightOutIn is the [out, in] transpose of the stored [in, out] weight, and setWeightOutIn its inverse (non-square)', () => {
  const layer = new Linear('wide', 3, 5, new Rng(7));
  const inOut = layer.weightT.arraySync() as number[][];
  const outIn = layer.weightOutIn();
  assert.equal(outIn.length, 15);
  for (let o = 0; o < 5; o++) for (let i = 0; i < 3; i++) assert.equal(outIn[o * 3 + i], Math.fround(inOut[i][o]));
  const values = Float32Array.from({ length: 15 }, (_, k) => k - 7);
  layer.setWeightOutIn(values);
  assert.deepEqual(layer.weightOutIn(), values);
  layer.dispose();
});
