import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { type Matrix } from 'ml-matrix';
import { readAdapter, type AdapterBundle, type AdapterLayerWeights } from '../../src/core/io/adapterFile';
import { fromPeft, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, toPeft } from '../../src/core/io/peft';
import { withSafetensors, writeSafetensors, type TensorInput } from '../../src/core/io/safetensors';
import { denseLora, denseSymlora } from '../../src/core/linalg/spectra';
import { randomLoraLayer, randomSymloraLayer, Rng } from '../helpers/random';
import { scratchDirs } from '../helpers/tmp';

const freshDir = scratchDirs('peft-test-');

const rng = new Rng(7);

function bundle(scaling: 'alpha/r' | 'alpha/sqrt(r)'): AdapterBundle {
  const r = 4;
  const alpha = 16;
  const s = scaling === 'alpha/r' ? alpha / r : alpha / Math.sqrt(r);
  return {
    config: { kind: 'symlora', rank: r, alpha, scaling, targets: ['hidden.*'] },
    layers: [
      randomSymloraLayer(rng, 'hidden.0', 32, r, s, Float32Array.from([0.7, -0.3, 0.05, -1.2])),
      randomSymloraLayer(rng, 'hidden.1', 32, 2, alpha / 2),
      randomLoraLayer(rng, 'hidden.2', 10, 32, r, s),
    ],
  };
}

function denseUpdate(w: AdapterLayerWeights): Matrix {
  return w.kind === 'lora' ? denseLora(w.A, w.B, w.shape[0], w.shape[1], w.rank, w.scale) : denseSymlora(w.Q, w.lambda, w.shape[0], w.rank, w.scale);
}

function assertSameUpdate(actual: Matrix, expected: Matrix, label: string): void {
  const err = actual.clone().sub(expected).norm('frobenius') / expected.norm('frobenius');
  assert.ok(err < 1e-6, `${label}: relative error ${err}`);
}

function writePeft(exported: { safetensors: Buffer; configJson: string }): string {
  const dir = freshDir();
  writeFileSync(join(dir, PEFT_WEIGHTS_FILE), exported.safetensors);
  writeFileSync(join(dir, PEFT_CONFIG_FILE), exported.configJson);
  return dir;
}

for (const scaling of ['alpha/r', 'alpha/sqrt(r)'] as const) {
  test(`toPeft (${scaling}): PEFT's own scaling·B·A reproduces every layer's update`, () => {
    const b = bundle(scaling);
    const exported = toPeft(b);
    const config = JSON.parse(exported.configJson) as Record<string, unknown>;
    assert.equal(config.peft_type, 'LORA');
    assert.equal(config.r, 4);
    assert.equal(config.lora_alpha, 16);
    assert.equal(config.use_rslora, scaling === 'alpha/sqrt(r)');
    assert.equal(config.task_type, null);
    assert.equal(config.bias, 'none');
    assert.equal(config.fan_in_fan_out, false);
    assert.deepEqual(config.target_modules, ['hidden.0', 'hidden.1', 'hidden.2']);
    assert.deepEqual(config.rank_pattern, { 'hidden.1': 2 });
    const dir = writePeft(exported);
    withSafetensors(join(dir, PEFT_WEIGHTS_FILE), (file) => {
      for (const w of b.layers) {
        const prefix = `base_model.model.${w.layer}`;
        const [out, inp] = w.shape;
        // PEFT's scaling, computed from the exported config the way PEFT does it.
        const r = (config.rank_pattern as Record<string, number>)[w.layer] ?? (config.r as number);
        const peftScale = (config.lora_alpha as number) / (config.use_rslora ? Math.sqrt(r) : r);
        const A = file.readFloat32(`${prefix}.lora_A.weight`, [r, inp]);
        const B = file.readFloat32(`${prefix}.lora_B.weight`, [out, r]);
        assertSameUpdate(denseLora(A, B, out, inp, r, peftScale), denseUpdate(w), w.layer);
        if (w.kind === 'symlora') {
          // lora_A = Qᵀ exactly
          for (let i = 0; i < out; i++) for (let j = 0; j < r; j++) assert.equal(A[j * inp + i], w.Q[i * r + j]);
        }
      }
    });
  });
}

test('PEFT export reads back (fromPeft and readAdapter) as LoRA layers with the same updates', () => {
  const b = bundle('alpha/r');
  const dir = writePeft(toPeft(b));
  for (const back of [fromPeft(dir), readAdapter(dir), readAdapter(join(dir, PEFT_WEIGHTS_FILE))]) {
    assert.equal(back.config.kind, 'lora');
    assert.equal(back.config.scaling, 'alpha/r');
    assert.deepEqual(
      back.layers.map((l) => l.layer),
      ['hidden.0', 'hidden.1', 'hidden.2'],
    );
    back.layers.forEach((w, i) => {
      assert.equal(w.kind, 'lora');
      assertSameUpdate(denseUpdate(w), denseUpdate(b.layers[i]), w.layer);
    });
  }
});

function peftDir(tensors: Record<string, TensorInput>, config: Record<string, unknown>): string {
  const dir = freshDir();
  writeFileSync(join(dir, PEFT_WEIGHTS_FILE), writeSafetensors(tensors, { format: 'pt' }));
  writeFileSync(join(dir, PEFT_CONFIG_FILE), JSON.stringify(config));
  return dir;
}

test('fromPeft reads F16 weights, adapter-named keys and rank/alpha patterns', () => {
  const dir = peftDir(
    {
      'base_model.model.model.layers.0.q_proj.lora_A.default.weight': { dtype: 'F16', shape: [2, 3], data: [1, 0.5, -1, 2, 0, 0.25] },
      'base_model.model.model.layers.0.q_proj.lora_B.default.weight': { dtype: 'F16', shape: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] },
      'base_model.model.model.layers.0.v_proj.lora_A.weight': { dtype: 'BF16', shape: [1, 3], data: [1, 1, 1] },
      'base_model.model.model.layers.0.v_proj.lora_B.weight': { dtype: 'BF16', shape: [4, 1], data: [1, 2, 3, 4] },
      'base_model.model.classifier.modules_to_save.weight': { dtype: 'F32', shape: [1], data: [0] },
    },
    {
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      use_rslora: false,
      target_modules: ['q_proj', 'v_proj'],
      rank_pattern: { v_proj: 1 },
      alpha_pattern: { v_proj: 3 },
    },
  );
  const b = fromPeft(dir);
  assert.deepEqual(
    b.layers.map((l) => [l.layer, l.rank, l.scale]),
    [
      ['model.layers.0.q_proj', 2, 2],
      ['model.layers.0.v_proj', 1, 3],
    ],
  );
  const q = b.layers[0];
  assert.ok(q.kind === 'lora');
  assert.deepEqual(Array.from(q.A), [1, 0.5, -1, 2, 0, 0.25]);
  assert.deepEqual(q.shape, [4, 3]);
  assert.deepEqual(b.config.targets, ['q_proj', 'v_proj']);
});

test('fromPeft rejects what it cannot represent, naming the file and field', () => {
  const pair = {
    'base_model.model.fc.lora_A.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) },
    'base_model.model.fc.lora_B.weight': { dtype: 'F32', shape: [4, 2], data: new Float32Array(8) },
  } satisfies Record<string, TensorInput>;
  assert.throws(() => fromPeft(peftDir(pair, { peft_type: 'IA3', r: 2 })), /adapter_config.json: peft_type must be "LORA", got "IA3"/);
  assert.throws(() => fromPeft(peftDir(pair, { peft_type: 'LORA', r: 2, use_dora: true })), /DoRA/);
  assert.throws(() => fromPeft(peftDir(pair, { peft_type: 'LORA', r: 0 })), /r must be a positive integer, got 0/);
  assert.throws(() => fromPeft(peftDir(pair, { peft_type: 'LORA', r: 3, lora_alpha: 8 })), /module "fc": tensors have rank 2 but the config gives r = 3/);
  assert.throws(
    () => fromPeft(peftDir({ 'base_model.model.fc.lora_A.weight': pair['base_model.model.fc.lora_A.weight'] }, { peft_type: 'LORA', r: 2 })),
    /module "fc" has lora_A but no lora_B/,
  );
  assert.throws(() => fromPeft(peftDir({ x: { dtype: 'F32', shape: [1], data: [1] } }, { peft_type: 'LORA', r: 2 })), /no PEFT LoRA tensors/);
  const noConfig = freshDir();
  writeFileSync(join(noConfig, PEFT_WEIGHTS_FILE), writeSafetensors(pair));
  assert.throws(() => readAdapter(noConfig), /adapter_config.json: cannot read the PEFT config/);
  assert.throws(() => toPeft({ ...bundle('alpha/r'), config: { ...bundle('alpha/r').config, alpha: 0 } }), /alpha must be > 0/);
});
