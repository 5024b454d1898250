/**
 * Pretrained bases: `pretrain` in an experiment trains the base model on a source task before the
 * adapters adapt it to the target. A base is defined by the model config and the pretrain block
 * alone, so it is cached under `<bases-dir>/<hash>/` and a 30-run sweep pretrains once. Concurrent
 * runs needing the same base serialise on a lock file; the base directory appears atomically.
 *
 * `pretrain.trainable` says what pretraining trains: every weight ("all"), or only the classifier
 * head ("head") on top of an encoder that is already pretrained (use-lite's shipped weights). The
 * base file always holds the whole model, so a run starts from exactly the weights pretraining
 * ended with, whatever was trained.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterConfig, ModelConfig, PretrainConfig } from '../experiment/types';
import { parseSafetensorsBuffer, toFloat32, writeSafetensors, type TensorInput } from '../io/safetensors';
import { applyAdapterPlan, buildModel } from '../models/build';
import type { Model } from '../models/model';
import { Rng, STREAMS } from '../rng';
import { withLock } from '../runs/lock';
import type { Dataset, Split } from '../data/types';
import { featureSizeOf, trainModel } from './loop';
import { loadTaskDataset } from './taskData';
import * as tf from '@tensorflow/tfjs-core';

export const BASE_FORMAT = 'symlora-lab-base-1';
const WEIGHTS_FILE = 'base.safetensors';
const INFO_FILE = 'base.json';

export type { PretrainConfig };

export interface BaseInfo {
  format: string;
  hash: string;
  model: ModelConfig;
  pretrain: PretrainConfig;
  dataset: { name: string; version: string; train: number; val: number; test: number };
  summary: { final: Record<string, number>; best: Record<string, number> };
  steps: number;
  wallTimeSec: number;
  createdAt: string;
}

/** Key–order-independent JSON, so equal configs hash equally whatever their field order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function baseHash(model: ModelConfig, pretrain: PretrainConfig): string {
  return createHash('sha256')
    .update(canonicalJson({ format: BASE_FORMAT, model, pretrain }))
    .digest('hex')
    .slice(0, 16);
}

function encodeModel(model: Model): Buffer {
  const tensors: Record<string, TensorInput> = {};
  for (const layer of model.linears) {
    tensors[`${layer.name}.weight`] = { dtype: 'F32', shape: [layer.outDim, layer.inDim], data: layer.weightOutIn() };
    tensors[`${layer.name}.bias`] = { dtype: 'F32', shape: [layer.outDim], data: layer.bias.dataSync() };
  }
  for (const [name, v] of model.others) tensors[name] = { dtype: 'F32', shape: v.shape, data: v.dataSync() };
  return writeSafetensors(tensors, { format: BASE_FORMAT });
}

export function loadModelWeights(model: Model, file: string): void {
  const st = parseSafetensorsBuffer(readFileSync(file), file);
  const read = (name: string, size: number) => {
    if (!st.header.tensors.has(name)) throw new Error(`${file}: missing tensor ${name}`);
    const values = toFloat32(st.tensor(name), name);
    if (values.length !== size) throw new Error(`${file}: ${name} has ${values.length} values, expected ${size}`);
    return values;
  };
  for (const layer of model.linears) {
    layer.setWeightOutIn(read(`${layer.name}.weight`, layer.inDim * layer.outDim));
    layer.bias.assign(tf.tensor1d(read(`${layer.name}.bias`, layer.outDim)));
  }
  for (const [name, v] of model.others) v.assign(tf.tensor(read(name, v.size), v.shape));
}

export interface PretrainOptions {
  basesDir: string;
  baseDir?: string;
  log?: (message: string) => void;
}

export interface PretrainedBase {
  info: BaseInfo;
  /** The whole model's weights; load them with loadModelWeights. */
  weightsFile: string;
}

/**
 * The cached base for (model config, pretrain), pretraining it first if no process has yet.
 * Call it before building the run's model: pretraining builds a model of its own, and two live
 * use-lite models cannot coexist in one process (their variables have fixed names).
 */
export async function ensureBase(modelConfig: ModelConfig, pretrain: PretrainConfig, options: PretrainOptions): Promise<PretrainedBase> {
  if (pretrain.task.dataset === 'teacher') throw new Error('pretrain.task.dataset cannot be "teacher": pretrain on a real dataset');
  pretrainPlan(pretrain); // a bad `trainable` fails before any lock or directory is made
  const hash = baseHash(modelConfig, pretrain);
  const dir = join(options.basesDir, hash);
  mkdirSync(options.basesDir, { recursive: true });
  if (!existsSync(join(dir, INFO_FILE))) {
    await withLock(`${dir}.lock`, async () => {
      if (existsSync(join(dir, INFO_FILE))) return; // built by another process while we waited
      await pretrainInto(dir, hash, modelConfig, pretrain, options);
    });
  }
  return { info: JSON.parse(readFileSync(join(dir, INFO_FILE), 'utf8')) as BaseInfo, weightsFile: join(dir, WEIGHTS_FILE) };
}

/** Loads the cached base for (model, pretrain) into `model` (see ensureBase). Returns the base's info. */
export async function ensurePretrainedBase(model: Model, pretrain: PretrainConfig, options: PretrainOptions): Promise<BaseInfo> {
  const base = await ensureBase(model.config, pretrain, options);
  loadModelWeights(model, base.weightsFile);
  return base.info;
}

/** The adapter plan that trains what `pretrain.trainable` names: "full" for every weight, "head" for the head alone. */
function pretrainPlan(pretrain: PretrainConfig): AdapterConfig {
  const kinds = { all: 'full', head: 'head' } as const;
  const kind = Object.hasOwn(kinds, pretrain.trainable) ? kinds[pretrain.trainable] : undefined;
  if (!kind) throw new Error(`pretrain.trainable: expected "all" or "head", got ${JSON.stringify(pretrain.trainable)}`);
  return { kind, rank: 1, alpha: 1, scaling: 'alpha/r', targets: [], nonSquare: 'skip', init: 'zero', trainHead: true };
}

/** A model whose head reads a fixed-size embedding of the input (use-lite's 512-d sentence vector). */
interface EmbeddingModel extends Model {
  embed(x: tf.Tensor2D): tf.Tensor2D;
}

function hasEmbedding(model: Model): model is EmbeddingModel {
  return typeof (model as Partial<EmbeddingModel>).embed === 'function';
}

const EMBED_BATCH = 128;

/**
 * Head-only pretraining without re-running a frozen encoder every epoch: nothing below the head
 * changes, so each text is embedded once and the head trains on the embeddings. Same batches and
 * updates as training through the encoder (up to float rounding), at a fraction of the cost.
 */
function headOnEmbeddings(model: EmbeddingModel, dataset: Dataset, log?: (message: string) => void): { model: Model; dataset: Dataset } {
  const head = model.linears[model.linears.length - 1]; // Model.linears: head last
  const featureSize = featureSizeOf(dataset);
  const embedSplit = (split: Split): Split => {
    const x = new Float32Array(split.count * head.inDim);
    for (let start = 0; start < split.count; start += EMBED_BATCH) {
      const count = Math.min(EMBED_BATCH, split.count - start);
      const rows = split.x.subarray(start * featureSize, (start + count) * featureSize);
      // dataSync outside tidy: tidy would walk a returned typed array element by element.
      const embedding = tf.tidy(() => model.embed(tf.tensor2d(rows, [count, featureSize])));
      x.set(embedding.dataSync(), start * head.inDim);
      embedding.dispose();
    }
    return { ...split, x };
  };
  log?.(`pretraining: embedding ${dataset.train.count + dataset.val.count + dataset.test.count} texts once (the encoder is frozen)`);
  const embedded: Dataset = {
    ...dataset,
    inputShape: [head.inDim],
    train: embedSplit(dataset.train),
    val: embedSplit(dataset.val),
    test: embedSplit(dataset.test),
  };
  const headOnly: Model = { config: model.config, linears: [head], others: new Map(), forward: (x) => head.forward(x), dispose: () => {} };
  return { model: headOnly, dataset: embedded };
}

async function pretrainInto(dir: string, hash: string, modelConfig: ModelConfig, pretrain: PretrainConfig, options: PretrainOptions): Promise<void> {
  const started = performance.now();
  const task = pretrain.task;
  if (task.dataset === 'teacher') throw new Error('pretrain.task.dataset cannot be "teacher"');
  const what = pretrain.trainable === 'head' ? 'the head' : 'every weight';
  options.log?.(`pretraining base ${hash} (${what}) on ${pretrain.task.dataset} (cached for later runs)`);
  const dataset = await loadTaskDataset(modelConfig, task, { seed: pretrain.seed, baseDir: options.baseDir, log: options.log });
  const model = await buildModel(modelConfig, new Rng(pretrain.seed, STREAMS.base));
  try {
    const adapted = applyAdapterPlan(model, pretrainPlan(pretrain), new Rng(pretrain.seed, STREAMS.adapter));
    const setup = pretrain.trainable === 'head' && hasEmbedding(model) ? headOnEmbeddings(model, dataset, options.log) : { model, dataset };
    let lastLogged = 0;
    const result = await trainModel(
      { model: setup.model, adapted, dataset: setup.dataset, train: pretrain.train, seed: pretrain.seed, loss: 'cross-entropy' },
      {
        onEval: (r) => {
          if (r.split === 'val' && r.time - lastLogged > 2) {
            lastLogged = r.time;
            options.log?.(`pretraining: epoch ${r.epoch.toFixed(1)}, val accuracy ${(r.accuracy ?? 0).toFixed(3)}`);
          }
        },
      },
    );
    const info: BaseInfo = {
      format: BASE_FORMAT,
      hash,
      model: modelConfig,
      pretrain,
      dataset: { name: dataset.name, version: dataset.version, train: dataset.train.count, val: dataset.val.count, test: dataset.test.count },
      summary: result.summary,
      steps: result.steps,
      wallTimeSec: (performance.now() - started) / 1000,
      createdAt: new Date().toISOString(),
    };
    // Build in a temp dir and rename: readers never see a half-written base.
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, WEIGHTS_FILE), encodeModel(model));
    writeFileSync(join(tmp, INFO_FILE), JSON.stringify(info, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    options.log?.(`pretrained base ${hash}: test accuracy ${(result.summary.final.testAccuracy ?? NaN).toFixed(3)} in ${info.wallTimeSec.toFixed(1)} s`);
  } finally {
    model.dispose();
  }
}
