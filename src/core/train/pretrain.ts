/**
 * Pretrained bases: `pretrain` in an experiment trains the base model on a source task before the
 * adapters adapt it to the target. A base is defined by the model config and the pretrain block
 * alone, so it is cached under `<bases-dir>/<hash>/` and a 30-run sweep pretrains once. Concurrent
 * runs needing the same base serialise on a lock file; the base directory appears atomically.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../data/registry';
import type { ExperimentConfig, ModelConfig } from '../experiment/types';
import { parseSafetensorsBuffer, toFloat32, writeSafetensors, type TensorInput } from '../io/safetensors';
import { applyAdapterPlan, buildModel } from '../models/build';
import type { Model } from '../models/model';
import { Rng, STREAMS } from '../rng';
import { withLock } from '../runs/lock';
import { trainModel } from './loop';
import * as tf from '@tensorflow/tfjs-core';

export const BASE_FORMAT = 'symlora-lab-base-1';
const WEIGHTS_FILE = 'base.safetensors';
const INFO_FILE = 'base.json';

export type PretrainConfig = NonNullable<ExperimentConfig['pretrain']>;

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
    const entries = Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function baseHash(model: ModelConfig, pretrain: PretrainConfig): string {
  return createHash('sha256').update(canonicalJson({ format: BASE_FORMAT, model, pretrain })).digest('hex').slice(0, 16);
}

function encodeModel(model: Model): Buffer {
  const tensors: Record<string, TensorInput> = {};
  for (const layer of model.linears) {
    tensors[`${layer.name}.weight`] = { dtype: 'F32', shape: [layer.outDim, layer.inDim], data: layer.weightOutIn() };
    tensors[`${layer.name}.bias`] = { dtype: 'F32', shape: [layer.outDim], data: layer.bias.dataSync() as Float32Array };
  }
  for (const [name, v] of model.others) tensors[name] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
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

/**
 * Loads the cached base for (model, pretrain) into `model`, pretraining it first if no process
 * has yet. Returns the base's hash and info.
 */
export async function ensurePretrainedBase(model: Model, pretrain: PretrainConfig, options: PretrainOptions): Promise<BaseInfo> {
  if (pretrain.task.dataset === 'teacher') throw new Error('pretrain.task.dataset cannot be "teacher": pretrain on a real dataset');
  const hash = baseHash(model.config, pretrain);
  const dir = join(options.basesDir, hash);
  mkdirSync(options.basesDir, { recursive: true });
  if (!existsSync(join(dir, INFO_FILE))) {
    await withLock(`${dir}.lock`, async () => {
      if (existsSync(join(dir, INFO_FILE))) return; // built by another process while we waited
      await pretrainInto(dir, hash, model.config, pretrain, options);
    });
  }
  loadModelWeights(model, join(dir, WEIGHTS_FILE));
  return JSON.parse(readFileSync(join(dir, INFO_FILE), 'utf8')) as BaseInfo;
}

async function pretrainInto(dir: string, hash: string, modelConfig: ModelConfig, pretrain: PretrainConfig, options: PretrainOptions): Promise<void> {
  const started = performance.now();
  const task = pretrain.task;
  if (task.dataset === 'teacher') throw new Error('pretrain.task.dataset cannot be "teacher"');
  options.log?.(`pretraining base ${hash} on ${pretrain.task.dataset} (cached for later runs)`);
  const dataset = await loadDataset(task, { seed: pretrain.seed, baseDir: options.baseDir });
  const model = await buildModel(modelConfig, new Rng(pretrain.seed, STREAMS.base));
  try {
    const adapted = applyAdapterPlan(model, { kind: 'full', rank: 1, alpha: 1, scaling: 'alpha/r', targets: [], nonSquare: 'skip', init: 'zero', trainHead: true }, new Rng(pretrain.seed, STREAMS.adapter));
    let lastLogged = 0;
    const result = await trainModel(
      { model, adapted, dataset, train: pretrain.train, seed: pretrain.seed, loss: 'cross-entropy' },
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
