/** Pretrained bases: built once per definition (even by concurrent runs), cached, and loaded exactly. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/core/backend';
import { buildModel } from '../../src/core/models/build';
import { Rng } from '../../src/core/rng';
import { baseHash, ensurePretrainedBase, type PretrainConfig } from '../../src/core/train/pretrain';
import { prepareRun } from '../../src/core/train/session';
import type { ModelConfig } from '../../src/core/experiment/types';
import { baseTrain, specOf, teacherConfig } from '../helpers/configs';

before(async () => {
  await initBackend(process.env.SYMLORA_TEST_BACKEND ?? 'wasm');
});

const model: ModelConfig = { arch: 'mlp', inputDim: 64, hidden: [32, 32], classes: 10, activation: 'relu' };
const pretrain: PretrainConfig = {
  task: { dataset: 'digits', options: { imageSize: 8 }, trainSize: 800, valSize: 200, testSize: 200 },
  train: { ...baseTrain, epochs: 3, batchSize: 64, lr: 0.005 },
  seed: 3,
  trainable: 'all',
};

test('the base hash depends on the model and pretrain block only, not on key order', () => {
  const reordered = JSON.parse(
    JSON.stringify({ trainable: pretrain.trainable, seed: pretrain.seed, train: pretrain.train, task: pretrain.task }),
  ) as PretrainConfig;
  assert.equal(baseHash(model, reordered), baseHash(model, pretrain));
  assert.notEqual(baseHash(model, { ...pretrain, seed: 4 }), baseHash(model, pretrain));
  assert.notEqual(baseHash(model, { ...pretrain, trainable: 'head' }), baseHash(model, pretrain));
  assert.notEqual(baseHash({ ...model, hidden: [32] }, pretrain), baseHash(model, pretrain));
});

test('concurrent runs needing one base pretrain it once, and every run loads the same weights', async () => {
  const basesDir = mkdtempSync(join(tmpdir(), 'symlora-bases-'));
  try {
    const logs: string[] = [];
    const models = await Promise.all([0, 1, 2].map((seed) => buildModel(model, new Rng(seed))));
    const infos = await Promise.all(models.map((m) => ensurePretrainedBase(m, pretrain, { basesDir, log: (msg) => logs.push(msg) })));
    assert.equal(logs.filter((l) => l.startsWith('pretraining base')).length, 1, logs.join('\n'));
    assert.deepEqual(
      readdirSync(basesDir).filter((f) => !f.endsWith('.lock')),
      [infos[0].hash],
    );
    assert.ok(infos.every((i) => i.hash === infos[0].hash));
    assert.ok(infos[0].summary.final.testAccuracy > 0.8, `pretrained digits accuracy ${infos[0].summary.final.testAccuracy}`);
    const w = models.map((m) => Array.from(m.linears[1].weightOutIn()));
    assert.deepEqual(w[1], w[0]);
    assert.deepEqual(w[2], w[0]);
    models.forEach((m) => m.dispose());

    // A run with `pretrain` records the base and starts from it.
    const config = teacherConfig({ model, adapter: { kind: 'lora', rank: 2 } });
    const run = await prepareRun(specOf({ ...config, task: { dataset: 'digits', options: {}, trainSize: 200, valSize: 50, testSize: 50 }, pretrain }), {
      basesDir,
    });
    assert.equal(run.base?.hash, infos[0].hash);
    assert.deepEqual(Array.from(run.model.linears[1].weightOutIn()), w[0]);
    run.dispose();
  } finally {
    rmSync(basesDir, { recursive: true, force: true });
  }
});
