/**
 * In-memory adapters and our compact on-disk format.
 *
 * A run directory holds `adapter.safetensors` (tensors `<layer>.lora_A` (r, in) / `<layer>.lora_B`
 * (out, r) for LoRA layers, `<layer>.Q` (n, r) / `<layer>.lambda` (r) for SymLoRA layers; the
 * `__metadata__` carries format, version, the config and each layer's kind and scale, so the file
 * alone is enough) and `adapter_config.json` (the same config, for people and tools). It may also
 * hold `base_layers.safetensors`: the frozen W (out, in) of each adapted layer, named by layer.
 * PEFT adapters (`adapter_model.safetensors` + `adapter_config.json`) are read through peft.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SafetensorsFile, withSafetensors, writeSafetensors, type TensorInput } from './safetensors';
import { looksLikePeft, openPeftFiles, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft';

export interface LoraLayerWeights {
  kind: 'lora';
  layer: string;
  shape: [out: number, inp: number];
  rank: number;
  scale: number;
  /** r×in row-major. */
  A: Float32Array;
  /** out×r row-major. */
  B: Float32Array;
}

export interface SymLoraLayerWeights {
  kind: 'symlora';
  layer: string;
  shape: [n: number, n: number];
  rank: number;
  scale: number;
  /** n×r row-major. */
  Q: Float32Array;
  /** r. */
  lambda: Float32Array;
}

export type AdapterLayerWeights = LoraLayerWeights | SymLoraLayerWeights;

export interface AdapterBundleConfig {
  kind: 'lora' | 'symlora';
  rank: number;
  alpha: number;
  /** 'alpha/r' or 'alpha/sqrt(r)'. */
  scaling: string;
  targets: string[];
  modelArch?: string;
}

export interface AdapterBundle {
  config: AdapterBundleConfig;
  layers: AdapterLayerWeights[];
}

export const FORMAT_NAME = 'symlora-lab';
export const FORMAT_VERSION = '1';
export const ADAPTER_FILE = 'adapter.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const BASE_LAYERS_FILE = 'base_layers.safetensors';
const BASE_LAYERS_CONTENT = 'base-layers';

/** A file or directory that is not a readable adapter; the message names the path and the field. */
export class AdapterFileError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'AdapterFileError';
  }
}

interface LayerEntry {
  name: string;
  kind: 'lora' | 'symlora';
  scale: number;
}

/** Checks array lengths against shape and rank; `where` names the source in errors. */
export function validateLayer(w: AdapterLayerWeights, where: string): void {
  const fail = (msg: string): never => {
    throw new AdapterFileError(`layer "${w.layer}": ${msg}`, where);
  };
  const [out, inp] = w.shape;
  if (![out, inp, w.rank].every((d) => Number.isSafeInteger(d) && d > 0)) fail(`shape [${out}, ${inp}] and rank ${w.rank} must be positive integers`);
  if (!Number.isFinite(w.scale)) fail(`scale must be a finite number, got ${w.scale}`);
  if (w.kind === 'lora') {
    if (w.A.length !== w.rank * inp) fail(`lora_A has ${w.A.length} values, expected ${w.rank}×${inp}`);
    if (w.B.length !== out * w.rank) fail(`lora_B has ${w.B.length} values, expected ${out}×${w.rank}`);
  } else {
    if (out !== inp) fail(`symlora needs a square layer, got [${out}, ${inp}]`);
    if (w.Q.length !== out * w.rank) fail(`Q has ${w.Q.length} values, expected ${out}×${w.rank}`);
    if (w.lambda.length !== w.rank) fail(`lambda has ${w.lambda.length} values, expected ${w.rank}`);
  }
}

/** Our format: the safetensors bytes and the adapter_config.json text. Deterministic. */
export function encodeAdapter(bundle: AdapterBundle): { safetensors: Buffer; configJson: string } {
  const tensors: Record<string, TensorInput> = {};
  const names = new Set<string>();
  for (const w of bundle.layers) {
    validateLayer(w, '<encodeAdapter>');
    if (names.has(w.layer)) throw new AdapterFileError(`layer "${w.layer}" appears twice`, '<encodeAdapter>');
    names.add(w.layer);
    const [out, inp] = w.shape;
    if (w.kind === 'lora') {
      tensors[`${w.layer}.lora_A`] = { dtype: 'F32', shape: [w.rank, inp], data: w.A };
      tensors[`${w.layer}.lora_B`] = { dtype: 'F32', shape: [out, w.rank], data: w.B };
    } else {
      tensors[`${w.layer}.Q`] = { dtype: 'F32', shape: [out, w.rank], data: w.Q };
      tensors[`${w.layer}.lambda`] = { dtype: 'F32', shape: [w.rank], data: w.lambda };
    }
  }
  const layers: LayerEntry[] = bundle.layers.map((w) => ({ name: w.layer, kind: w.kind, scale: w.scale }));
  const metadata = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    content: 'adapter',
    config: JSON.stringify(bundle.config),
    layers: JSON.stringify(layers),
  };
  const configJson = `${JSON.stringify({ format: FORMAT_NAME, version: Number(FORMAT_VERSION), ...bundle.config, layers }, null, 2)}\n`;
  return { safetensors: writeSafetensors(tensors, metadata), configJson };
}

function parseJsonField(text: string | undefined, field: string, path: string): unknown {
  if (text === undefined) throw new AdapterFileError(`__metadata__ has no "${field}"`, path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdapterFileError(`__metadata__.${field} is not valid JSON: ${(err as Error).message}`, path);
  }
}

function parseConfig(raw: unknown, path: string, field: string): AdapterBundleConfig {
  const fail = (msg: string): never => {
    throw new AdapterFileError(`${field}: ${msg}`, path);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be an object');
  const c = raw as Record<string, unknown>;
  if (c.kind !== 'lora' && c.kind !== 'symlora') fail(`.kind must be "lora" or "symlora", got ${JSON.stringify(c.kind)}`);
  if (!Number.isSafeInteger(c.rank) || (c.rank as number) <= 0) fail(`.rank must be a positive integer, got ${JSON.stringify(c.rank)}`);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha)) fail(`.alpha must be a finite number, got ${JSON.stringify(c.alpha)}`);
  if (typeof c.scaling !== 'string') fail(`.scaling must be a string, got ${JSON.stringify(c.scaling)}`);
  if (!Array.isArray(c.targets) || !c.targets.every((t) => typeof t === 'string')) fail('.targets must be an array of strings');
  if (c.modelArch !== undefined && typeof c.modelArch !== 'string') fail('.modelArch must be a string');
  const config: AdapterBundleConfig = {
    kind: c.kind as 'lora' | 'symlora',
    rank: c.rank as number,
    alpha: c.alpha as number,
    scaling: c.scaling as string,
    targets: [...(c.targets as string[])],
  };
  if (c.modelArch !== undefined) config.modelArch = c.modelArch as string;
  return config;
}

function parseLayerEntries(raw: unknown, path: string): LayerEntry[] {
  if (!Array.isArray(raw)) throw new AdapterFileError('__metadata__.layers must be an array', path);
  return raw.map((e: unknown, i) => {
    const entry = e as Partial<LayerEntry> | null;
    const where = `__metadata__.layers[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new AdapterFileError(`${where} must be an object`, path);
    if (typeof entry.name !== 'string' || entry.name === '') throw new AdapterFileError(`${where}.name must be a non-empty string`, path);
    if (entry.kind !== 'lora' && entry.kind !== 'symlora')
      throw new AdapterFileError(`${where}.kind must be "lora" or "symlora", got ${JSON.stringify(entry.kind)}`, path);
    if (typeof entry.scale !== 'number' || !Number.isFinite(entry.scale)) throw new AdapterFileError(`${where}.scale must be a finite number`, path);
    return { name: entry.name, kind: entry.kind, scale: entry.scale };
  });
}

function shapeOf(file: SafetensorsFile, name: string, dims: number): number[] {
  const info = file.info(name);
  if (info.shape.length !== dims) throw new AdapterFileError(`tensor "${name}" must be ${dims}-D, found shape [${info.shape.join(', ')}]`, file.path);
  return info.shape;
}

/** What a layer is, from the header alone (no tensor data read). */
export interface AdapterLayerInfo {
  layer: string;
  kind: 'lora' | 'symlora';
  shape: [out: number, inp: number];
  rank: number;
  scale: number;
}

/**
 * An adapter opened lazily: config and layer list come from the header; each layer's tensors are
 * read only when asked for, so a multi-gigabyte PEFT file is never held in memory at once.
 */
export interface AdapterHandle {
  /** The weights file actually opened. */
  path: string;
  format: 'symlora-lab' | 'peft';
  config: AdapterBundleConfig;
  layers: AdapterLayerInfo[];
  readLayer(layer: string): AdapterLayerWeights;
  close(): void;
}

function ourLayerInfo(file: SafetensorsFile, entry: LayerEntry): AdapterLayerInfo {
  const { name, kind, scale } = entry;
  const need = (t: string): string => {
    if (!file.tensors.has(t)) throw new AdapterFileError(`layer "${name}" (${kind}) is missing tensor "${t}"`, file.path);
    return t;
  };
  if (kind === 'lora') {
    const [r, inp] = shapeOf(file, need(`${name}.lora_A`), 2) as [number, number];
    const [out, rB] = shapeOf(file, need(`${name}.lora_B`), 2) as [number, number];
    if (rB !== r) throw new AdapterFileError(`layer "${name}": lora_A rank ${r} ≠ lora_B rank ${rB}`, file.path);
    return { layer: name, kind, shape: [out, inp], rank: r, scale };
  }
  const [n, r] = shapeOf(file, need(`${name}.Q`), 2) as [number, number];
  const [rl] = shapeOf(file, need(`${name}.lambda`), 1) as [number];
  if (rl !== r) throw new AdapterFileError(`layer "${name}": Q rank ${r} ≠ lambda length ${rl}`, file.path);
  return { layer: name, kind, shape: [n, n], rank: r, scale };
}

function readOurLayer(file: SafetensorsFile, info: AdapterLayerInfo): AdapterLayerWeights {
  const { layer, shape, rank, scale } = info;
  const w: AdapterLayerWeights =
    info.kind === 'lora'
      ? { kind: 'lora', layer, shape, rank, scale, A: file.readFloat32(`${layer}.lora_A`), B: file.readFloat32(`${layer}.lora_B`) }
      : { kind: 'symlora', layer, shape, rank, scale, Q: file.readFloat32(`${layer}.Q`), lambda: file.readFloat32(`${layer}.lambda`) };
  validateLayer(w, file.path);
  return w;
}

/** Our adapter files carry this metadata; base_layers.safetensors shares the format name but not the content. */
function isOurAdapter(metadata: Record<string, string>): boolean {
  return metadata.format === FORMAT_NAME && metadata.content !== BASE_LAYERS_CONTENT;
}

/** Layer lookup shared by both handle kinds. */
export function layerReader(
  path: string,
  infos: AdapterLayerInfo[],
  read: (info: AdapterLayerInfo) => AdapterLayerWeights,
): (layer: string) => AdapterLayerWeights {
  const byName = new Map(infos.map((i) => [i.layer, i]));
  return (layer) => {
    const info = byName.get(layer);
    if (!info) throw new AdapterFileError(`no adapted layer "${layer}"`, path);
    return read(info);
  };
}

/** Opens our own adapter.safetensors (self-describing through its metadata). */
export function openOurAdapterFile(path: string): AdapterHandle {
  const file = SafetensorsFile.open(path);
  try {
    const md = file.metadata;
    if (md.content === BASE_LAYERS_CONTENT) throw new AdapterFileError('this file holds the frozen base layers of a run, not an adapter', path);
    if (md.format !== FORMAT_NAME) throw new AdapterFileError(`__metadata__.format is ${JSON.stringify(md.format)}, expected "${FORMAT_NAME}"`, path);
    if (md.version !== FORMAT_VERSION) {
      throw new AdapterFileError(`__metadata__.version ${JSON.stringify(md.version)} is not supported (this build reads "${FORMAT_VERSION}")`, path);
    }
    const config = parseConfig(parseJsonField(md.config, 'config', path), path, '__metadata__.config');
    const layers = parseLayerEntries(parseJsonField(md.layers, 'layers', path), path).map((e) => ourLayerInfo(file, e));
    return {
      path,
      format: 'symlora-lab',
      config,
      layers,
      readLayer: layerReader(path, layers, (info) => readOurLayer(file, info)),
      close: () => file.close(),
    };
  } catch (err) {
    file.close();
    throw err;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    throw new AdapterFileError(`cannot read: ${(err as Error).message}`, path);
  }
}

/**
 * Opens an adapter from a run directory (adapter.safetensors), one of our .safetensors files, or a
 * PEFT LoRA directory / adapter_model.safetensors (with adapter_config.json beside it). Only
 * headers are read here. Close the handle when done.
 */
export function openAdapter(pathOrDir: string): AdapterHandle {
  if (isDirectory(pathOrDir)) {
    const ours = join(pathOrDir, ADAPTER_FILE);
    if (existsSync(ours)) return openOurAdapterFile(ours);
    const peft = join(pathOrDir, PEFT_WEIGHTS_FILE);
    if (existsSync(peft)) return openPeftFiles(peft, join(pathOrDir, PEFT_CONFIG_FILE));
    throw new AdapterFileError(`no ${ADAPTER_FILE} (SymLoRA Lab run) or ${PEFT_WEIGHTS_FILE} (PEFT) in this directory`, pathOrDir);
  }
  const kind = withSafetensors(pathOrDir, (file) => {
    if (file.metadata.format === FORMAT_NAME) return 'ours';
    return looksLikePeft(file.names()) ? 'peft' : 'unknown';
  });
  if (kind === 'ours') return openOurAdapterFile(pathOrDir);
  if (kind === 'peft') return openPeftFiles(pathOrDir, join(dirname(pathOrDir), PEFT_CONFIG_FILE));
  throw new AdapterFileError(`not a LoRA/SymLoRA adapter: no "${FORMAT_NAME}" metadata and no PEFT "base_model.model.*.lora_A.weight" tensors`, pathOrDir);
}

/** Reads a whole adapter into memory (see openAdapter for the accepted paths and for lazy reading). */
export function readAdapter(pathOrDir: string): AdapterBundle {
  const handle = openAdapter(pathOrDir);
  try {
    return { config: handle.config, layers: handle.layers.map((l) => handle.readLayer(l.layer)) };
  } finally {
    handle.close();
  }
}

/** Cheap check (header and sibling config only) for the custom editor: is this an adapter we can show? */
export function isAdapterFile(path: string): boolean {
  try {
    return withSafetensors(path, (file) => {
      if (file.metadata.format === FORMAT_NAME) return isOurAdapter(file.metadata);
      if (!looksLikePeft(file.names())) return false;
      const config = join(dirname(path), PEFT_CONFIG_FILE);
      if (!existsSync(config)) return false;
      const parsed = JSON.parse(readFileSync(config, 'utf8')) as { peft_type?: unknown };
      return parsed.peft_type === 'LORA';
    });
  } catch {
    return false;
  }
}

/** The frozen base weights to store beside an adapter (tensor name = layer name, [out, in] F32). */
export function encodeBaseLayers(layers: { layer: string; shape: [number, number]; W: Float32Array }[]): Buffer {
  const tensors: Record<string, TensorInput> = {};
  for (const l of layers) tensors[l.layer] = { dtype: 'F32', shape: [...l.shape], data: l.W };
  return writeSafetensors(tensors, { format: FORMAT_NAME, content: BASE_LAYERS_CONTENT });
}

/**
 * The base weights of the given layers from `base_layers.safetensors` next to an adapter (a run
 * dir, or the directory of an adapter file). Layers absent from the file are simply not returned;
 * a present tensor with the wrong shape is an error.
 */
export function readBaseLayers(adapterPath: string, layers: { layer: string; shape: [number, number] }[]): Map<string, Float32Array> {
  const dir = isDirectory(adapterPath) ? adapterPath : dirname(adapterPath);
  const path = join(dir, BASE_LAYERS_FILE);
  const result = new Map<string, Float32Array>();
  if (!existsSync(path)) return result;
  withSafetensors(path, (file) => {
    for (const { layer, shape } of layers) {
      if (file.tensors.has(layer)) result.set(layer, file.readFloat32(layer, shape));
    }
  });
  return result;
}
