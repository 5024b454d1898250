/**
 * HuggingFace PEFT LoRA interchange.
 *
 * PEFT saves a LoRA adapter as `adapter_model.safetensors` with tensors
 * `base_model.model.<module>.lora_A.weight` (r, in) and `...lora_B.weight` (out, r) and an
 * `adapter_config.json` (peft_type "LORA", r, lora_alpha, target_modules, use_rslora,
 * rank_pattern, alpha_pattern, ...). Its update is scaling·B·A with scaling = lora_alpha / r, or
 * lora_alpha / √r with use_rslora; rank_pattern / alpha_pattern override r and alpha per module.
 *
 * A SymLoRA layer s·Q·diag(λ)·Qᵀ exports exactly as lora_A = Qᵀ, lora_B = Q·diag(λ)·(s / scaling).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdapterFileError,
  layerReader,
  validateLayer,
  type AdapterHandle,
  type AdapterLayerInfo,
  type AdapterBundle,
  type AdapterBundleConfig,
  type AdapterLayerWeights,
  type LoraLayerWeights,
} from './adapterFile';
import { SafetensorsFile, writeSafetensors, type TensorInput } from './safetensors';

export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';
export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_PREFIX = 'base_model.model.';

/** `base_model.model.<module>.lora_A[.<adapter-name>].weight` (older PEFT keeps the adapter name). */
const PEFT_TENSOR = /^base_model\.model\.(.+)\.lora_([AB])(?:\.([^.]+))?\.weight$/;

export function looksLikePeft(names: readonly string[]): boolean {
  return names.some((n) => PEFT_TENSOR.test(n));
}

/** PEFT's LoRA scaling for one module. */
export function peftScaling(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** Whether our scaling rule is PEFT's rsLoRA. */
function isRslora(scaling: string): boolean {
  return scaling.replace(/\s+/g, '') === 'alpha/sqrt(r)';
}

function multiplied(data: Float32Array, factor: number): Float32Array {
  if (factor === 1) return data;
  return Float32Array.from(data, (v) => v * factor);
}

/** Exported lora_A (r, in) and lora_B (out, r) such that peftScale·B·A is the layer's update. */
function exportFactors(w: AdapterLayerWeights, peftScale: number): { A: Float32Array; B: Float32Array } {
  const ratio = w.scale / peftScale;
  if (w.kind === 'lora') return { A: w.A, B: multiplied(w.B, ratio) };
  const n = w.shape[0];
  const r = w.rank;
  const A = new Float32Array(r * n);
  const B = new Float32Array(n * r);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < r; j++) {
      const q = w.Q[i * r + j];
      A[j * n + i] = q;
      // Fold in float64, round once to float32.
      B[i * r + j] = q * w.lambda[j] * ratio;
    }
  }
  return { A, B };
}

/** The adapter as PEFT writes it: adapter_model.safetensors bytes and adapter_config.json text. */
export function toPeft(bundle: AdapterBundle): { safetensors: Buffer; configJson: string } {
  const { config } = bundle;
  const rslora = isRslora(config.scaling);
  if (!(config.alpha > 0)) throw new AdapterFileError(`config.alpha must be > 0 to export to PEFT, got ${config.alpha}`, '<toPeft>');
  const tensors: Record<string, TensorInput> = {};
  const rankPattern: Record<string, number> = {};
  for (const w of bundle.layers) {
    validateLayer(w, '<toPeft>');
    const peftScale = peftScaling(config.alpha, w.rank, rslora);
    const { A, B } = exportFactors(w, peftScale);
    const [out, inp] = w.shape;
    tensors[`${PEFT_PREFIX}${w.layer}.lora_A.weight`] = { dtype: 'F32', shape: [w.rank, inp], data: A };
    tensors[`${PEFT_PREFIX}${w.layer}.lora_B.weight`] = { dtype: 'F32', shape: [out, w.rank], data: B };
    if (w.rank !== config.rank) rankPattern[w.layer] = w.rank;
  }
  const peftConfig = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.alpha,
    lora_bias: false,
    lora_dropout: 0.0,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: config.rank,
    rank_pattern: rankPattern,
    revision: null,
    target_modules: bundle.layers.map((w) => w.layer).sort(),
    task_type: null,
    use_dora: false,
    use_rslora: rslora,
  };
  const metadata = { format: 'pt' };
  return { safetensors: writeSafetensors(tensors, metadata), configJson: `${JSON.stringify(peftConfig, null, 2)}\n` };
}

interface PeftConfig {
  r: number;
  alpha: number;
  rslora: boolean;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  targets: string[];
  baseModel?: string;
}

function readPeftConfig(path: string): PeftConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AdapterFileError(`cannot read the PEFT config: ${(err as Error).message}`, path);
  }
  const fail = (msg: string): never => {
    throw new AdapterFileError(msg, path);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.peft_type !== 'LORA') fail(`peft_type must be "LORA", got ${JSON.stringify(c.peft_type)}`);
  if (c.use_dora === true) fail('use_dora: true (DoRA) adapters are not supported: their magnitude vector changes the update');
  if (!Number.isSafeInteger(c.r) || (c.r as number) <= 0) fail(`r must be a positive integer, got ${JSON.stringify(c.r)}`);
  const alpha = c.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) fail(`lora_alpha must be a number, got ${JSON.stringify(c.lora_alpha)}`);
  if (c.use_rslora !== undefined && typeof c.use_rslora !== 'boolean') fail(`use_rslora must be a boolean, got ${JSON.stringify(c.use_rslora)}`);
  const numberMap = (field: string): Record<string, number> => {
    const v = c[field];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(`${field} must be an object`);
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'number') fail(`${field}.${k} must be a number, got ${JSON.stringify(x)}`);
    return v as Record<string, number>;
  };
  const tm = c.target_modules;
  const targets = typeof tm === 'string' ? [tm] : Array.isArray(tm) ? tm.filter((t): t is string => typeof t === 'string') : [];
  const config: PeftConfig = {
    r: c.r as number,
    alpha: alpha as number,
    rslora: c.use_rslora === true,
    rankPattern: numberMap('rank_pattern'),
    alphaPattern: numberMap('alpha_pattern'),
    targets,
  };
  if (typeof c.base_model_name_or_path === 'string') config.baseModel = c.base_model_name_or_path;
  return config;
}

/** PEFT's per-module override lookup: a pattern key applies when the module name is it or ends with ".<key>". */
function patternValue(pattern: Record<string, number>, module: string, fallback: number): number {
  for (const [key, value] of Object.entries(pattern)) {
    if (module === key || module.endsWith(`.${key}`)) return value;
    try {
      if (new RegExp(`^(.*\\.)?${key}$`).test(module)) return value;
    } catch {
      // Not a valid regular expression: only the literal forms above apply.
    }
  }
  return fallback;
}

function peftLayerInfo(file: SafetensorsFile, module: string, names: { A: string; B: string }, config: PeftConfig): AdapterLayerInfo {
  const a = file.info(names.A);
  const b = file.info(names.B);
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new AdapterFileError(`module "${module}": only Linear LoRA (2-D lora_A/lora_B) is supported, found [${a.shape}] and [${b.shape}]`, file.path);
  }
  const [r, inp] = a.shape as [number, number];
  const [out, rB] = b.shape as [number, number];
  if (r !== rB) throw new AdapterFileError(`module "${module}": lora_A rank ${r} ≠ lora_B rank ${rB}`, file.path);
  const configRank = patternValue(config.rankPattern, module, config.r);
  if (configRank !== r) {
    throw new AdapterFileError(`module "${module}": tensors have rank ${r} but the config gives r = ${configRank}`, file.path);
  }
  const alpha = patternValue(config.alphaPattern, module, config.alpha);
  return { layer: module, kind: 'lora', shape: [out, inp], rank: r, scale: peftScaling(alpha, r, config.rslora) };
}

function readPeftLayer(file: SafetensorsFile, info: AdapterLayerInfo, names: { A: string; B: string }): LoraLayerWeights {
  const w: LoraLayerWeights = {
    kind: 'lora',
    layer: info.layer,
    shape: info.shape,
    rank: info.rank,
    scale: info.scale,
    A: file.readFloat32(names.A),
    B: file.readFloat32(names.B),
  };
  validateLayer(w, file.path);
  return w;
}

/** Groups PEFT tensor names by module; every module needs both factors. */
function peftModules(names: readonly string[], path: string): Map<string, { A: string; B: string }> {
  const partial = new Map<string, { A?: string; B?: string }>();
  for (const name of names) {
    const m = PEFT_TENSOR.exec(name);
    if (!m) continue;
    const entry = partial.get(m[1]) ?? {};
    const which = m[2] as 'A' | 'B';
    if (entry[which])
      throw new AdapterFileError(
        `module "${m[1]}" has two lora_${which} tensors ("${entry[which]}", "${name}"): several adapters in one file are not supported`,
        path,
      );
    entry[which] = name;
    partial.set(m[1], entry);
  }
  const complete = new Map<string, { A: string; B: string }>();
  for (const [module, e] of partial) {
    if (!e.A || !e.B) throw new AdapterFileError(`module "${module}" has lora_${e.A ? 'A' : 'B'} but no lora_${e.A ? 'B' : 'A'}`, path);
    complete.set(module, { A: e.A, B: e.B });
  }
  if (complete.size === 0) throw new AdapterFileError('no PEFT LoRA tensors (base_model.model.<module>.lora_A.weight)', path);
  return complete;
}

/** Opens a PEFT LoRA adapter (weights file + its adapter_config.json) lazily: headers now, tensors per layer. */
export function openPeftFiles(weightsPath: string, configPath: string): AdapterHandle {
  const config = readPeftConfig(configPath);
  const file = SafetensorsFile.open(weightsPath);
  try {
    const modules = peftModules(file.names(), weightsPath);
    const layers = [...modules.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((module) => peftLayerInfo(file, module, modules.get(module)!, config));
    const bundleConfig: AdapterBundleConfig = {
      kind: 'lora',
      rank: config.r,
      alpha: config.alpha,
      scaling: config.rslora ? 'alpha/sqrt(r)' : 'alpha/r',
      targets: config.targets,
    };
    if (config.baseModel) bundleConfig.modelArch = config.baseModel;
    return {
      path: weightsPath,
      format: 'peft',
      config: bundleConfig,
      layers,
      readLayer: layerReader(weightsPath, layers, (info) => readPeftLayer(file, info, modules.get(info.layer)!)),
      close: () => file.close(),
    };
  } catch (err) {
    file.close();
    throw err;
  }
}

/** Reads a whole PEFT LoRA adapter into memory. */
export function fromPeftFiles(weightsPath: string, configPath: string): AdapterBundle {
  const handle = openPeftFiles(weightsPath, configPath);
  try {
    return { config: handle.config, layers: handle.layers.map((l) => handle.readLayer(l.layer)) };
  } finally {
    handle.close();
  }
}

/** Reads a PEFT adapter directory (adapter_model.safetensors + adapter_config.json). */
export function fromPeft(dir: string): AdapterBundle {
  return fromPeftFiles(join(dir, PEFT_WEIGHTS_FILE), join(dir, PEFT_CONFIG_FILE));
}
