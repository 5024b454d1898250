/**
 * Schema validation of an experiment object (already parsed from JSON) against
 * schemas/experiment.schema.json, with ajv's errors turned into one readable issue per problem.
 */
import type { ErrorObject } from 'ajv';
import schema from '../../../schemas/experiment.schema.json';
// Compiled from the schema at install and build time (scripts/gen-validator.mjs), not at start-up.
import validate from './generated/experimentValidator.cjs';
import { ExperimentError, show, toPointer, type ExperimentIssue } from './errors';
import { applyDefaults } from './defaults';
import type { ExperimentConfig } from './types';

/** Deepest nesting accepted anywhere in an experiment (the schema itself needs 6). */
export const MAX_DEPTH = 64;

/** Issue plus where to point in the source: at the key itself (unknown/invalid keys) or its value. */
export interface LocatedIssue extends ExperimentIssue {
  atKey?: boolean;
}

/** Rejects what JSON cannot carry (NaN, ±Infinity, functions, class instances) and absurd nesting. */
export function jsonShapeIssues(value: unknown): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  const path: (string | number)[] = [];
  const walk = (v: unknown): void => {
    if (issues.length >= 20 || v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (path.length > MAX_DEPTH) {
      issues.push({ path: toPointer(path), message: `nested deeper than ${MAX_DEPTH} levels` });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path: toPointer(path), message: `must be a finite number (got ${String(v)})` });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visit(i, v[i]);
    } else if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      for (const key of Object.keys(v)) visit(key, (v as Record<string, unknown>)[key]);
    } else {
      issues.push({ path: toPointer(path), message: `must be a JSON value (got ${typeof v})` });
    }
  };
  const visit = (segment: string | number, v: unknown): void => {
    path.push(segment);
    walk(v);
    path.pop();
  };
  walk(value);
  return issues;
}

/** Schema violations of `value`, one readable issue per problem. */
export function schemaIssues(value: unknown): LocatedIssue[] {
  if (validate(value)) return [];
  const issues: LocatedIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = describeAjvError(error);
    if (!issue) continue;
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

type Params = Record<string, unknown>;

function describeAjvError(error: ErrorObject): LocatedIssue | undefined {
  const params = error.params as Params;
  const path = error.instancePath;
  const got = `(got ${show(error.data)})`;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  // The propertyNames error that follows carries the key name; drop the bare inner one.
  if (error.schemaPath.includes('/propertyNames/')) return undefined;
  switch (error.keyword) {
    case 'required':
      return { path: `${path}/${escape(String(params.missingProperty))}`, message: `missing required property "${String(params.missingProperty)}"` };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys(parent.properties ?? {}).filter((k) => k !== '$schema');
      return {
        path: `${path}/${escape(name)}`,
        atKey: true,
        message: `unknown property "${name}"${didYouMean(name, allowed)} (allowed: ${allowed.join(', ')})`,
      };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const names = (parent.propertyNames ?? {}) as Record<string, unknown>;
      const why = names.patternErrorMessage ?? 'invalid name';
      return { path: `${path}/${escape(name)}`, atKey: true, message: `invalid key ${show(name)}: ${String(why)}` };
    }
    case 'discriminator':
      return describeDiscriminator(error, params);
    case 'type':
      return { path, message: `must be ${article(String(params.type))} ${got}` };
    case 'minimum':
      return { path, message: `must be ≥ ${String(params.limit)} ${got}` };
    case 'maximum':
      return { path, message: `must be ≤ ${String(params.limit)} ${got}` };
    case 'exclusiveMinimum':
      return { path, message: `must be > ${String(params.limit)} ${got}` };
    case 'exclusiveMaximum':
      return { path, message: `must be < ${String(params.limit)} ${got}` };
    case 'enum': {
      const allowed = params.allowedValues as unknown[];
      const hint =
        typeof error.data === 'string'
          ? didYouMean(
              error.data,
              allowed.filter((v): v is string => typeof v === 'string'),
            )
          : '';
      return { path, message: `must be one of ${allowed.map((v) => show(v)).join(', ')} ${got}${hint}` };
    }
    case 'const':
      return { path, message: `must be ${show(params.allowedValue)} ${got}` };
    case 'minItems':
      return { path, message: `must have at least ${String(params.limit)} item${plural(params.limit)} (got ${count(error.data)})` };
    case 'maxItems':
      return { path, message: `must have at most ${String(params.limit)} item${plural(params.limit)} (got ${count(error.data)})` };
    case 'uniqueItems':
      return {
        path,
        message: `must not repeat a value (items ${String(params.j)} and ${String(params.i)} are both ${show((error.data as unknown[])[params.i as number])})`,
      };
    case 'minLength':
      return { path, message: `must be at least ${String(params.limit)} character${plural(params.limit)} long ${got}` };
    case 'maxLength':
      return { path, message: `must be at most ${String(params.limit)} characters long (got ${String((error.data as string).length)})` };
    case 'pattern':
      return { path, message: `${String(parent.patternErrorMessage ?? `must match ${String(params.pattern)}`)} ${got}` };
    case 'maxProperties':
      return { path, message: `must have at most ${String(params.limit)} entries (got ${count(error.data)})` };
    default:
      return { path, message: error.message ?? `is invalid (${error.keyword})` };
  }
}

/** A wrong or missing `arch` / `dataset`: say which values are allowed. */
function describeDiscriminator(error: ErrorObject, params: Params): LocatedIssue | undefined {
  const tag = String(params.tag);
  const path = `${error.instancePath}/${tag}`;
  if (params.tagValue === undefined) return undefined; // "missing required property" already says it
  const parent = (error.parentSchema ?? {}) as { oneOf?: { $ref?: string }[] };
  const allowed = (parent.oneOf ?? []).map((branch) => tagValueOf(branch.$ref, tag));
  return { path, message: `must be one of ${allowed.map((v) => show(v)).join(', ')} (got ${show(params.tagValue)})` };
}

function tagValueOf(ref: string | undefined, tag: string): unknown {
  const name = (ref ?? '').replace('#/definitions/', '');
  const definitions = schema.definitions as Record<string, { properties?: Record<string, { const?: unknown }> }>;
  return definitions[name]?.properties?.[tag]?.const;
}

/** `; did you mean "x"?` for a near miss (case or up to two edits), else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  if (word.length > 100) return '';
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, candidate);
    if (distance < bestDistance && distance < Math.max(2, candidate.length / 2)) [best, bestDistance] = [candidate, distance];
  }
  return best === undefined ? '' : `; did you mean "${best}"?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function article(type: string): string {
  const names: Record<string, string> = {
    integer: 'an integer',
    array: 'an array',
    object: 'an object',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? `of type ${t}`)
    .join(' or ');
}

function plural(n: unknown): string {
  return n === 1 ? '' : 's';
}

function count(data: unknown): number {
  if (Array.isArray(data)) return data.length;
  return data && typeof data === 'object' ? Object.keys(data).length : 0;
}

/** Original (pre-defaults) objects, so a sweep re-derives defaults such as alpha = rank per point. */
const rawByConfig = new WeakMap<ExperimentConfig, Record<string, unknown>>();

/** The object a config was validated from (before defaults), if it came through this module. */
export function rawOf(config: ExperimentConfig): Record<string, unknown> | undefined {
  return rawByConfig.get(config);
}

/** Schema issues (JSON shape first), without throwing. */
export function objectIssues(obj: unknown): LocatedIssue[] {
  const shape = jsonShapeIssues(obj);
  return shape.length ? shape : schemaIssues(obj);
}

/**
 * Validates and fills defaults, returning either the config or the issues (never throws).
 * `remember` keeps the pre-defaults object for rawOf() (sweeps need it; sweep points do not).
 */
export function checkObject(obj: unknown, remember = true): { config?: ExperimentConfig; issues: LocatedIssue[] } {
  const issues = objectIssues(obj);
  if (issues.length) return { issues };
  const config = applyDefaults(copyJson(obj));
  if (remember) rawByConfig.set(config, copyJson(obj) as Record<string, unknown>);
  return { config, issues };
}

/** Deep copy of a value already known to be plain JSON (faster than structuredClone). */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Validates a parsed experiment against the schema and fills every default.
 * Throws ExperimentError (issues carry JSON pointers, no line numbers) when invalid.
 * Semantic checks (layers, ranks, sweep points) are separate: see semantic.ts / sweep.ts.
 */
export function validateExperimentObject(obj: unknown, file: string): ExperimentConfig {
  const { config, issues } = checkObject(obj);
  if (!config) throw new ExperimentError(file, issues.map(stripLocation));
  return config;
}

export function stripLocation({ atKey: _atKey, ...issue }: LocatedIssue): ExperimentIssue {
  return issue;
}
