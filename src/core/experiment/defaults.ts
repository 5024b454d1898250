/**
 * Fills every optional field of a schema-valid experiment object so it matches ExperimentConfig.
 * Static defaults come from the schema's `default` keywords (one source of truth); the few that
 * depend on other fields (marked `derivedDefault` in the schema) are computed here.
 */
import schema from '../../../schemas/experiment.schema.json';
import { linearLayout, matchesAny } from '../models/layout';
import type { ExperimentConfig, ModelConfig } from './types';

interface SchemaNode {
  $ref?: string;
  default?: unknown;
  derivedDefault?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  discriminator?: { propertyName: string };
  const?: unknown;
}

type Json = Record<string, unknown>;

const definitions = schema.definitions as unknown as Record<string, SchemaNode>;

const resolved = new WeakMap<SchemaNode, SchemaNode>();

/** A node with its `$ref` followed; sibling keywords (e.g. a local `default`) take precedence. Memoised. */
export function resolveSchema(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  let result = resolved.get(node);
  if (!result) {
    const { $ref, ...siblings } = node;
    const target = definitions[$ref.replace('#/definitions/', '')];
    result = { ...resolveSchema(target), ...siblings };
    resolved.set(node, result);
  }
  return result;
}

/** The branch of a discriminated `oneOf` selected by the value's tag, if any. */
export function selectBranch(node: SchemaNode, value: unknown): SchemaNode | undefined {
  if (!node.oneOf || !node.discriminator || !isObject(value)) return undefined;
  const tag = node.discriminator.propertyName;
  for (const branch of node.oneOf) {
    const candidate = resolveSchema(branch);
    if (candidate.properties?.[tag]?.const === value[tag]) return candidate;
  }
  return undefined;
}

export const ROOT_SCHEMA = schema as unknown as SchemaNode;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Defaults are small JSON values; primitives need no copy. */
function copyJson(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? JSON.parse(JSON.stringify(value)) : value;
}

function fillStatic(value: unknown, rawNode: SchemaNode): void {
  const node = resolveSchema(rawNode);
  const branch = selectBranch(node, value);
  if (branch) fillStatic(value, branch);
  if (isObject(value) && node.properties) {
    for (const key in node.properties) {
      const prop = resolveSchema(node.properties[key]);
      const optional = !node.required?.includes(key);
      if (!Object.hasOwn(value, key) && optional && 'default' in prop && !prop.derivedDefault) {
        value[key] = copyJson(prop.default);
      }
      if (Object.hasOwn(value, key)) fillStatic(value[key], prop);
    }
  }
  if (Array.isArray(value) && node.items) value.forEach((item) => fillStatic(item, node.items!));
}

/** Default `adapter.targets` per architecture: the square layers where a symmetric update fits. */
export function defaultTargets(arch: ModelConfig['arch']): string[] {
  return arch === 'mlp' ? ['hidden.*'] : ['encoder.*.attn.*'];
}

export function defaultValSize(trainSize: number): number {
  return Math.max(1, Math.round(trainSize * 0.1));
}

/**
 * Default teacher-shift targets: the adapter's. A symmetric or antisymmetric shift exists only on
 * square layers, so when the adapter's targets include non-square layers the default names the
 * square ones instead (when there are none, the adapter's targets stay and semantic.ts explains).
 */
export function defaultShiftTargets(model: ModelConfig, kind: string, adapterTargets: string[]): string[] {
  if (kind === 'asymmetric') return [...adapterTargets];
  const matched = linearLayout(model).filter((layer) => !layer.isHead && matchesAny(layer.name, adapterTargets));
  const square = matched.filter((layer) => layer.shape[0] === layer.shape[1]);
  return square.length === matched.length || square.length === 0 ? [...adapterTargets] : square.map((layer) => layer.name);
}

function fillTask(task: Json, model: ModelConfig, adapterTargets: string[]): void {
  task.valSize ??= defaultValSize(task.trainSize as number);
  if (task.dataset === 'teacher') {
    const shift = task.shift as Json;
    shift.targets ??= defaultShiftTargets(model, shift.kind as string, adapterTargets);
  }
}

function fillDerived(config: Json): void {
  const model = config.model as Json;
  if (model.arch === 'transformer') model.ffnDim ??= 4 * (model.dModel as number);
  const adapter = config.adapter as Json;
  adapter.targets ??= defaultTargets(model.arch as ModelConfig['arch']);
  adapter.alpha ??= adapter.rank;
  const modelConfig = model as unknown as ModelConfig;
  fillTask(config.task as Json, modelConfig, adapter.targets as string[]);
  const pretrain = config.pretrain as Json | undefined;
  if (pretrain) fillTask(pretrain.task as Json, modelConfig, adapter.targets as string[]);
}

/**
 * Mutates and returns `obj` (which must already be schema-valid) with every default filled.
 * `$schema` is dropped: it is an editor hint, not part of the experiment.
 */
export function applyDefaults(obj: unknown): ExperimentConfig {
  const config = obj as Json;
  fillStatic(config, ROOT_SCHEMA);
  fillDerived(config);
  delete config.$schema;
  return config as unknown as ExperimentConfig;
}
