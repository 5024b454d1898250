/**
 * Everything between a RunSpec and a trained adapter: backend, data, base model, adapter plan,
 * and the artefacts a run directory holds (adapter bundle, spectra, checkpoints). The trainer
 * process and the tests drive the same functions.
 */
import { countParams } from '../adapters/params';
import { initBackend, type BackendInfo } from '../backend';
import { buildTeacherDataset, type TeacherResult } from '../data/teacher';
import type { Dataset } from '../data/types';
import type { RunSpec } from '../experiment/types';
import { encodeBaseLayers, type AdapterBundle, type AdapterLayerWeights } from '../io/adapterFile';
import { parseSafetensorsBuffer, toFloat32, writeSafetensors, type TensorInput } from '../io/safetensors';
import { layerSpectrum } from '../linalg/spectra';
import { join } from 'node:path';
import { ensureBase, loadModelWeights, type BaseInfo } from './pretrain';
import { loadTaskDataset } from './taskData';
import { applyAdapterPlan, buildModel, type AdaptedModel } from '../models/build';
import type { Model } from '../models/model';
import type { ParamReport, SpectrumRecord } from '../protocol';
import { Rng, STREAMS } from '../rng';
import type { LossKind } from './loss';
import type { Checkpoint } from './loop';

export type RunConfig = RunSpec['config'];

export interface PreparedRun {
  config: RunConfig;
  backend: BackendInfo;
  dataset: Dataset;
  model: Model;
  adapted: AdaptedModel;
  params: ParamReport;
  loss: LossKind;
  teacher?: TeacherResult;
  /** The pretrained base used, if the experiment has `pretrain`. */
  base?: BaseInfo;
  /** Frozen [out, in] weights of the adapted layers, read once (they never change). */
  baseWeights: Map<string, Float32Array>;
  dispose(): void;
}

export interface PrepareOptions {
  /** Backend override (setting or CLI flag); else config.backend. */
  backend?: string;
  /** Folder of the experiment file, for dataset paths relative to it. */
  baseDir?: string;
  /** Called with progress notes (dataset loading, pretraining…). */
  log?: (message: string) => void;
  /** Where pretrained bases are cached (default: .symlora/bases under the cwd). */
  basesDir?: string;
}

export async function prepareRun(spec: RunSpec, options: PrepareOptions = {}): Promise<PreparedRun> {
  const config = spec.config;
  const backend = await initBackend(options.backend ?? config.backend);
  // The base first: pretraining builds its own model, which must not live beside this run's.
  const pretrained = config.pretrain
    ? await ensureBase(config.model, config.pretrain, { basesDir: options.basesDir ?? join('.symlora', 'bases'), baseDir: options.baseDir, log: options.log })
    : undefined;
  const model = await buildModel(config.model, new Rng(config.seed, STREAMS.base));
  try {
    if (pretrained) loadModelWeights(model, pretrained.weightsFile);
    const base = pretrained?.info;
    let teacher: TeacherResult | undefined;
    let dataset: Dataset;
    if (config.task.dataset === 'teacher') {
      teacher = buildTeacherDataset(model, config.task, config.adapter.targets, config.seed);
      dataset = teacher.dataset;
    } else {
      options.log?.(`loading dataset ${config.task.dataset}`);
      dataset = await loadTaskDataset(config.model, config.task, { seed: config.seed, baseDir: options.baseDir, log: options.log });
    }
    checkInputShape(config, dataset);
    const adapted = applyAdapterPlan(model, config.adapter, new Rng(config.seed, STREAMS.adapter));
    const params = countParams(config.model, config.adapter);
    checkParamCount(params, adapted);
    const baseWeights = new Map<string, Float32Array>();
    for (const layer of model.linears) if (layer.adapter) baseWeights.set(layer.name, layer.weightOutIn());
    const loss: LossKind = config.task.dataset === 'teacher' && config.task.labels === 'logits' ? 'mse' : 'cross-entropy';
    return { config, backend, dataset, model, adapted, params, loss, teacher, base, baseWeights, dispose: () => model.dispose() };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

function checkInputShape(config: RunConfig, dataset: Dataset): void {
  const featureSize = dataset.inputShape.reduce((a, b) => a * b, 1);
  const m = config.model;
  const expected = m.arch === 'mlp' ? m.inputDim : m.arch === 'transformer' ? m.seqLen * m.inputDim : featureSize;
  if (featureSize !== expected) {
    throw new Error(
      `model expects ${expected} input features per example (${m.arch === 'transformer' ? 'model.seqLen × model.inputDim' : 'model.inputDim'}), ` +
        `but dataset ${dataset.name} has input shape [${dataset.inputShape.join(', ')}] = ${featureSize}`,
    );
  }
  const classes = (m as { classes: number }).classes;
  if (classes < dataset.numClasses) {
    throw new Error(`model.classes is ${classes} but dataset ${dataset.name} has ${dataset.numClasses} classes`);
  }
}

/** The config-derived count (shown before the run) must equal the live variables' sizes. */
function checkParamCount(params: ParamReport, adapted: AdaptedModel): void {
  const live = adapted.trainable.reduce((sum, v) => sum + v.size, 0);
  if (live !== params.trainable) {
    throw new Error(`internal: trainable parameters counted from the config (${params.trainable}) differ from the model's (${live})`);
  }
}

export function adapterWeights(run: PreparedRun): AdapterLayerWeights[] {
  return run.model.linears.filter((l) => l.adapter).map((l) => l.adapter!.exportWeights(l.name));
}

export function adapterBundle(run: PreparedRun): AdapterBundle | undefined {
  const { kind, rank, alpha, scaling, targets } = run.config.adapter;
  if (kind !== 'lora' && kind !== 'symlora') return undefined;
  return { config: { kind, rank, alpha, scaling, targets, modelArch: run.config.model.arch }, layers: adapterWeights(run) };
}

export function spectrumSnapshot(run: PreparedRun, step: number, time: number): SpectrumRecord | undefined {
  const weights = adapterWeights(run);
  if (weights.length === 0) return undefined;
  return { step, time, layers: weights.map((w) => layerSpectrum(w, run.baseWeights.get(w.layer))) };
}

/** `base_layers.safetensors`: the frozen W of each adapted layer, so spectra can be put in context later. */
export function baseLayersFile(run: PreparedRun): Buffer | undefined {
  const layers = run.model.linears
    .filter((l) => run.baseWeights.has(l.name))
    .map((l) => ({ layer: l.name, shape: [l.outDim, l.inDim] as [number, number], W: run.baseWeights.get(l.name)! }));
  return layers.length > 0 ? encodeBaseLayers(layers) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints: trainable tensors + Adam moments, in safetensors, named by the adapter plan.
// ---------------------------------------------------------------------------------------------

export function encodeCheckpoint(run: PreparedRun, ckpt: Checkpoint): Buffer {
  const tensors: Record<string, TensorInput> = {};
  run.adapted.trainable.forEach((v, i) => {
    const name = run.adapted.names[i];
    tensors[`param/${name}`] = { dtype: 'F32', shape: v.shape, data: ckpt.trainable[i] };
    tensors[`adam_m/${name}`] = { dtype: 'F32', shape: v.shape, data: ckpt.optimizer.m[i] };
    tensors[`adam_v/${name}`] = { dtype: 'F32', shape: v.shape, data: ckpt.optimizer.v[i] };
  });
  const metadata: Record<string, string> = {
    format: 'symlora-lab-checkpoint',
    step: String(ckpt.step),
    time: String(ckpt.time),
    optimizerStep: String(ckpt.optimizer.step),
  };
  if (ckpt.bestValAccuracy !== undefined) metadata.bestValAccuracy = String(ckpt.bestValAccuracy);
  if (ckpt.bestValLoss !== undefined) metadata.bestValLoss = String(ckpt.bestValLoss);
  return writeSafetensors(tensors, metadata);
}

export function decodeCheckpoint(run: PreparedRun, bytes: Uint8Array, label: string): Checkpoint {
  const file = parseSafetensorsBuffer(bytes, label);
  const meta = file.header.metadata ?? {};
  if (meta.format !== 'symlora-lab-checkpoint') throw new Error(`${label}: not a SymLoRA Lab checkpoint`);
  const read = (prefix: string) =>
    run.adapted.names.map((name, i) => {
      const key = `${prefix}/${name}`;
      if (!file.header.tensors.has(key)) throw new Error(`${label}: missing tensor ${key} (was the checkpoint made with another config?)`);
      const values = toFloat32(file.tensor(key), key);
      if (values.length !== run.adapted.trainable[i].size)
        throw new Error(`${label}: ${key} has ${values.length} values, expected ${run.adapted.trainable[i].size}`);
      return values;
    });
  const num = (key: string) => (meta[key] !== undefined ? Number(meta[key]) : undefined);
  return {
    step: num('step') ?? 0,
    time: num('time') ?? 0,
    trainable: read('param'),
    optimizer: { step: num('optimizerStep') ?? 0, m: read('adam_m'), v: read('adam_v') },
    bestValAccuracy: num('bestValAccuracy'),
    bestValLoss: num('bestValLoss'),
  };
}
