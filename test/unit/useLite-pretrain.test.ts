/**
 * Pretraining USE-Lite on source domains: the pretrain dataset is tokenised like the target's,
 * `pretrain.trainable: "head"` trains the classifier head alone (the encoder stays as shipped),
 * the base round-trips bit for bit, a second run reuses it, and wrong combinations are named.
 * Sizes are tiny: this is about plumbing, not accuracy.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { checkConfig } from '../../src/core/experiment/semantic';
import type { ExperimentConfig, ModelConfig, PretrainConfig } from '../../src/core/experiment/types';
import { validateExperimentObject } from '../../src/core/experiment/validate';
import { ExperimentError } from '../../src/core/experiment/errors';
import { parseSafetensorsBuffer, toFloat32 } from '../../src/core/io/safetensors';
import { applyAdapterPlan, buildModel } from '../../src/core/models/build';
import type { Linear } from '../../src/core/models/linear';
import type { Model } from '../../src/core/models/model';
import { Rng, STREAMS } from '../../src/core/rng';
import { trainModel } from '../../src/core/train/loop';
import { baseHash, ensureBase, loadModelWeights } from '../../src/core/train/pretrain';
import { prepareRun } from '../../src/core/train/session';
import { loadTaskDataset } from '../../src/core/train/taskData';
import { baseTrain, specOf, teacherConfig } from '../helpers/configs';
import { scratchDirs } from '../helpers/tmp';

const BACKEND = process.env.SYMLORA_TEST_BACKEND ?? 'wasm';
const scratch = scratchDirs('symlora-uselite-pretrain-');

const useLite: ModelConfig = { arch: 'use-lite', classes: 2, maxTokens: 24 };
const headPretrain: PretrainConfig = {
  task: { dataset: 'sentiment', options: { domains: ['imdb', 'yelp'], features: 'text' }, trainSize: 48, valSize: 8, testSize: 8 },
  train: { ...baseTrain, epochs: 2, batchSize: 16, lr: 0.05 },
  seed: 5,
  trainable: 'head',
};

before(async () => {
  await initBackend(BACKEND);
});

/** W as [out, in]; read outside tf.tidy, which would walk a returned typed array element by element (slow for 7 M weights). */
function outIn(layer: Linear): Float32Array {
  const transposed = tf.transpose(layer.weightT);
  const values = (transposed.dataSync() as Float32Array).slice();
  transposed.dispose();
  return values;
}

/** Every tensor of a model by name, as the base file names them (linears as [out, in]). */
function modelTensors(model: Model): Map<string, Float32Array> {
  const tensors = new Map<string, Float32Array>();
  for (const layer of model.linears) {
    tensors.set(`${layer.name}.weight`, outIn(layer));
    tensors.set(`${layer.name}.bias`, (layer.bias.dataSync() as Float32Array).slice());
  }
  for (const [name, v] of model.others) tensors.set(name, (v.dataSync() as Float32Array).slice());
  return tensors;
}

function fileTensors(file: string): Map<string, Float32Array> {
  const st = parseSafetensorsBuffer(readFileSync(file), file);
  return new Map([...st.header.tensors.keys()].map((name) => [name, toFloat32(st.tensor(name), name)]));
}

/** Builds a use-lite model, reads what `read` needs and disposes it: two live use-lite models cannot coexist. */
async function withModel<T>(config: ModelConfig, seed: number, read: (model: Model) => T | Promise<T>): Promise<T> {
  const model = await buildModel(config, new Rng(seed, STREAMS.base));
  try {
    return await read(model);
  } finally {
    model.dispose();
  }
}

/** The shipped encoder with the head pretraining starts from (pretrain.seed's initialisation). */
const startingPoint = () => withModel(useLite, headPretrain.seed, modelTensors);

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** One bases folder and one log for the whole file: every test here needs the same base, built once. */
const basesDir = scratch();
const logs: string[] = [];
const log = (message: string) => logs.push(message);
let shared: ReturnType<typeof ensureBase> | undefined;
const sharedBase = () => (shared ??= ensureBase(useLite, headPretrain, { basesDir, log }));

test('trainable "head": pretraining changes the head only, and the base reloads bit for bit', async () => {
  const base = await sharedBase();
  assert.equal(base.info.hash, baseHash(useLite, headPretrain));
  assert.equal(base.info.pretrain.trainable, 'head');
  assert.equal(base.info.dataset.train, 48);
  assert.ok(
    logs.some((l) => /pretraining base \w+ \(the head\)/.test(l)),
    logs.join('\n'),
  );

  const stored = fileTensors(base.weightsFile);
  const shipped = await startingPoint();
  assert.deepEqual([...stored.keys()].sort(), [...shipped.keys()].sort(), 'the base holds every linear and every other parameter');
  const changed = [...stored].filter(([name, values]) => !sameBits(values, shipped.get(name)!)).map(([name]) => name);
  assert.ok(changed.includes('head.weight'), `the head was trained; changed: ${changed.join(', ')}`);
  assert.deepEqual(
    changed.filter((name) => !name.startsWith('head.')),
    [],
    'nothing below the head changed',
  );

  // Loaded into a model built with another seed (another random head), every tensor is the stored one.
  const loaded = await withModel(useLite, 99, (model) => {
    loadModelWeights(model, base.weightsFile);
    return modelTensors(model);
  });
  for (const [name, values] of stored) assert.ok(sameBits(loaded.get(name)!, values), `${name} reloads bit-identically`);
});

test('head-only pretraining on cached embeddings matches training the head through the encoder', async () => {
  const base = await sharedBase();
  const viaEncoder = await withModel(useLite, headPretrain.seed, async (model) => {
    const dataset = await loadTaskDataset(useLite, headPretrain.task as Extract<PretrainConfig['task'], { options: unknown }>, { seed: headPretrain.seed });
    const adapted = applyAdapterPlan(
      model,
      { kind: 'head', rank: 1, alpha: 1, scaling: 'alpha/r', targets: [], nonSquare: 'skip', init: 'zero', trainHead: true },
      new Rng(headPretrain.seed, STREAMS.adapter),
    );
    await trainModel({ model, adapted, dataset, train: headPretrain.train, seed: headPretrain.seed, loss: 'cross-entropy' });
    return model.linears.at(-1)!.weightOutIn();
  });
  const stored = fileTensors(base.weightsFile).get('head.weight')!;
  const drift = stored.reduce((max, v, i) => Math.max(max, Math.abs(v - viaEncoder[i])), 0);
  assert.ok(drift < 1e-4, `head weights differ by up to ${drift}`);
});

test('runs on a use-lite base pretrain it once, start from its weights, and tokenise both tasks alike', async () => {
  const config: Omit<ExperimentConfig, 'sweep'> = {
    ...teacherConfig({ adapter: { kind: 'symlora', rank: 2, targets: ['encoder.1.attn.q'], trainHead: false } }),
    model: useLite,
    task: { dataset: 'sentiment', options: { domains: ['amazon'], features: 'text' }, trainSize: 16, valSize: 8, testSize: 8 },
    pretrain: headPretrain,
  };
  const heads: Float32Array[] = [];
  for (const seed of [0, 1]) {
    const run = await prepareRun(specOf({ ...config, seed }), { backend: BACKEND, basesDir, log });
    try {
      assert.equal(run.base?.hash, baseHash(useLite, headPretrain));
      assert.deepEqual(run.dataset.inputShape, [useLite.maxTokens]);
      heads.push(run.model.linears.at(-1)!.weightOutIn());
    } finally {
      run.dispose();
    }
  }
  // Whether the first run or an earlier test built it, the base was pretrained once.
  assert.equal(logs.filter((l) => l.startsWith('pretraining base')).length, 1, `runs reuse the base:\n${logs.join('\n')}`);
  assert.ok(sameBits(heads[0], heads[1]), 'both runs start from the pretrained head, whatever their seed');
});

test('a bad trainable value is refused before anything is built', async () => {
  const empty = scratch();
  await assert.rejects(
    ensureBase(useLite, { ...headPretrain, trainable: 'encoder' as never }, { basesDir: empty }),
    /pretrain\.trainable: expected "all" or "head", got "encoder"/,
  );
  assert.deepEqual(readdirSync(empty), [], 'no lock or base directory was made');
});

/** An experiment object with a use-lite model and a pretrain block (schema-level, before defaults). */
function experiment(pretrain: Record<string, unknown>, model: Record<string, unknown> = { arch: 'use-lite', classes: 2 }) {
  return {
    name: 'pt',
    model,
    pretrain,
    task: { dataset: 'sentiment', options: { domains: ['amazon'], features: 'text' }, trainSize: 300, valSize: 200, testSize: 500 },
    adapter: { kind: 'lora', rank: 4, targets: ['encoder.1.attn.q'] },
  };
}

const sourceText = { dataset: 'sentiment', options: { domains: ['imdb', 'yelp'], features: 'text' }, trainSize: 1600, valSize: 200, testSize: 200 };

function issuesOf(object: object) {
  const result = checkConfig(validateExperimentObject(object, 'x.symlora.json'));
  return { errors: result.errors.map(({ path, message }) => ({ path, message })), warnings: result.warnings.map(({ path, message }) => ({ path, message })) };
}

test('trainable defaults to "all"; use-lite with "head" is clean, with "all" it warns about the cost', () => {
  assert.equal(validateExperimentObject(experiment({ task: sourceText }), 'x').pretrain?.trainable, 'all');
  assert.deepEqual(issuesOf(experiment({ task: sourceText, trainable: 'head' })), { errors: [], warnings: [] });
  const { errors, warnings } = issuesOf(experiment({ task: sourceText }));
  assert.deepEqual(errors, []);
  assert.deepEqual(
    warnings.map((w) => w.path),
    ['/pretrain/trainable'],
  );
  assert.match(warnings[0].message, /"all" fine-tunes all [\d,]+ weights of USE-Lite .*"head" keeps the shipped encoder/);
});

test('wrong pretrain combinations are errors naming the field', () => {
  // A random mlp body under a trained head is not a pretrained base.
  const mlp = { arch: 'mlp', inputDim: 512, hidden: [64], classes: 2 };
  const bow = { dataset: 'sentiment', options: { domains: ['imdb'], features: 'bow', vocabSize: 512 }, trainSize: 500 };
  const mlpHead = issuesOf({
    ...experiment({ task: bow, trainable: 'head' }, mlp),
    task: { ...bow, options: { ...bow.options, domains: ['amazon'] } },
    adapter: { kind: 'lora' },
  });
  assert.deepEqual(
    mlpHead.errors.map((e) => e.path),
    ['/pretrain/trainable'],
  );
  assert.match(mlpHead.errors[0].message, /"head" trains only the classifier head, but an "mlp" base starts from random weights.*use "all"/);

  // use-lite reads text: a bag-of-words source task is named as the pretrain task.
  const bowSource = issuesOf(experiment({ task: bow, trainable: 'head' }));
  assert.deepEqual(
    bowSource.errors.map((e) => e.path),
    ['/model/arch'],
  );
  assert.match(bowSource.errors[0].message, /pretrain\.task "sentiment" gives numeric features/);

  // The teacher task is built from the base itself; it cannot pretrain it.
  const teacher = issuesOf(experiment({ task: { dataset: 'teacher' }, trainable: 'head' }));
  assert.deepEqual(
    teacher.errors.map((e) => e.path),
    ['/pretrain/task/dataset'],
  );
  assert.match(teacher.errors[0].message, /pretraining needs a real dataset, not "teacher"/);

  // The schema rejects an unknown value, at the field.
  assert.throws(
    () => validateExperimentObject(experiment({ task: sourceText, trainable: 'encoder' }), 'x.symlora.json'),
    (err: unknown) => err instanceof ExperimentError && /\/pretrain\/trainable/.test(err.message) && /"all", "head"|all, head/.test(err.message),
  );
});
