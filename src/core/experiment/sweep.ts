/**
 * Sweep expansion: `sweep` maps dotted paths to value lists; the runs are their Cartesian product
 * (keys in file order, last key varying fastest). Each value is applied to the experiment as
 * written (before defaults), so derived defaults follow it (alpha = rank when alpha is not set),
 * and every point is validated like a file of its own.
 */
import { ExperimentError, show, toPointer, type ExperimentIssue } from './errors';
import { ROOT_SCHEMA, resolveSchema, selectBranch } from './defaults';
import { checkObject, copyJson, didYouMean, rawOf } from './validate';
import { checkConfig } from './semantic';
import type { ExperimentConfig, RunSpec } from './types';

export const MAX_RUNS = 10_000;
/** Fields that identify the experiment or the sweep itself; sweeping them makes no sense. */
const UNSWEEPABLE = new Set(['name', 'sweep', '$schema']);

type Json = Record<string, unknown>;

/** One grid point: the value index chosen for each key, in key order. */
interface GridPoint {
  indices: number[];
  assignment: Record<string, unknown>;
}

export function countRuns(config: Pick<ExperimentConfig, 'sweep'>): number {
  return Object.values(config.sweep ?? {}).reduce((product, values) => product * values.length, 1);
}

/** Grid points in stable order: keys in file order, the last key varying fastest. */
function* gridPoints(sweep: Record<string, unknown[]>): Generator<GridPoint> {
  const keys = Object.keys(sweep);
  const indices = keys.map(() => 0);
  if (keys.some((key) => sweep[key].length === 0)) return;
  for (;;) {
    const assignment: Record<string, unknown> = {};
    keys.forEach((key, k) => (assignment[key] = sweep[key][indices[k]]));
    yield { indices: [...indices], assignment };
    let k = keys.length - 1;
    while (k >= 0 && ++indices[k] === sweep[keys[k]].length) indices[k--] = 0;
    if (k < 0) return;
  }
}

/** Why a sweep key is not a settable field of this experiment, or undefined when it is. */
function keyProblem(key: string, config: ExperimentConfig): string | undefined {
  const segments = key.split('.');
  if (UNSWEEPABLE.has(segments[0])) return `"${segments[0]}" cannot be swept`;
  let node = resolveSchema(ROOT_SCHEMA);
  let value: unknown = config;
  for (const segment of segments) {
    const candidates = candidateBranches(node, value);
    const owner = candidates.find((branch) => branch.properties && Object.hasOwn(branch.properties, segment));
    if (!owner) {
      const known = [...new Set(candidates.flatMap((branch) => Object.keys(branch.properties ?? {})))].filter((k) => !UNSWEEPABLE.has(k));
      return `"${key}" is not a field of this experiment: "${segment}" is not one of ${known.join(', ') || '(no fields: not an object)'}${didYouMean(segment, known)}`;
    }
    node = resolveSchema(owner.properties![segment]);
    value = value && typeof value === 'object' ? (value as Json)[segment] : undefined;
  }
  return undefined;
}

/** The schema branches that may describe `value`: the selected one, or all when it is unknown. */
function candidateBranches(node: ReturnType<typeof resolveSchema>, value: unknown) {
  if (!node.oneOf) return [node];
  const selected = selectBranch(node, value);
  return selected ? [selected] : node.oneOf.map(resolveSchema);
}

function keyIssues(config: ExperimentConfig): ExperimentIssue[] {
  const keys = Object.keys(config.sweep);
  const issues: ExperimentIssue[] = [];
  for (const key of keys) {
    const problem = keyProblem(key, config);
    if (problem) issues.push({ path: toPointer(['sweep', key]), message: problem });
    const inner = keys.find((other) => other.startsWith(key + '.'));
    if (inner) issues.push({ path: toPointer(['sweep', inner]), message: `"${inner}" lies inside "${key}", which is swept too; sweep one or the other` });
  }
  const runs = countRuns(config);
  if (runs > MAX_RUNS) {
    issues.push({ path: '/sweep', message: `expands to ${runs.toLocaleString('en-US')} runs; at most ${MAX_RUNS.toLocaleString('en-US')} are allowed` });
  }
  return issues;
}

/** The experiment as written, without its sweep, ready to take a point's values. */
function baseObject(config: ExperimentConfig): Json {
  const base = copyJson(rawOf(config) ?? config) as Json;
  delete base.sweep;
  return base;
}

function setPath(target: Json, key: string, value: unknown): void {
  const segments = key.split('.');
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Json;
  }
  node[segments[segments.length - 1]] = copyJson(value);
}

/** Validates one grid point as a file of its own: schema, defaults, semantic checks. */
function resolvePoint(base: Json, point: GridPoint): { config?: ExperimentConfig; issues: ExperimentIssue[] } {
  const object = copyJson(base);
  for (const [key, value] of Object.entries(point.assignment)) setPath(object, key, value);
  const { config, issues } = checkObject(object, false);
  if (!config) return { issues };
  const semantic = checkConfig(config);
  return semantic.errors.length ? { issues: semantic.errors } : { config, issues: [] };
}

/** Re-homes a point's issue onto the sweep value that caused it (or /sweep), naming the point. */
function pointIssue(point: GridPoint, keys: string[], issue: ExperimentIssue): ExperimentIssue {
  let k = keys.findIndex((key) => {
    const pointer = toPointer(key.split('.'));
    return issue.path === pointer || issue.path.startsWith(pointer + '/');
  });
  if (k < 0 && keys.length === 1) k = 0; // a single swept key is the cause wherever the issue lands
  const path = k >= 0 ? toPointer(['sweep', keys[k], point.indices[k]]) : '/sweep';
  return { path, message: `sweep point ${show(point.assignment, 200)}: ${issue.path || '(document)'}: ${issue.message}` };
}

const MAX_POINT_ISSUES = 10;

/**
 * Leaf fields that no other field's validity depends on (no semantic check or schema branch reads
 * them). A point's validity then factorises: each of their values needs checking once, not in
 * every combination with the other keys.
 */
const INDEPENDENT_KEYS = new Set([
  'seed',
  'backend',
  'description',
  'train.lr',
  'train.optimizer',
  'train.weightDecay',
  'train.schedule',
  'train.evalEvery',
  'train.spectrumEvery',
  'train.checkpointEvery',
  'train.gradClip',
  'pretrain.seed',
]);

/**
 * The points whose validity implies every point's: the full grid of the dependent keys (independent
 * keys at their first value), plus each other value of an independent key once.
 */
function* pointsToCheck(sweep: Record<string, unknown[]>): Generator<GridPoint> {
  const keys = Object.keys(sweep);
  const dependent = Object.fromEntries(keys.map((key) => [key, INDEPENDENT_KEYS.has(key) ? sweep[key].slice(0, 1) : sweep[key]]));
  yield* gridPoints(dependent);
  const first = gridPoints(dependent).next().value as GridPoint;
  for (let k = 0; k < keys.length; k++) {
    if (!INDEPENDENT_KEYS.has(keys[k])) continue;
    for (let v = 1; v < sweep[keys[k]].length; v++) {
      const indices = [...first.indices];
      indices[k] = v;
      yield { indices, assignment: { ...first.assignment, [keys[k]]: sweep[keys[k]][v] } };
    }
  }
}

/** Errors in the sweep: bad keys, too many runs, and grid points that do not validate. */
export function checkSweep(config: ExperimentConfig): ExperimentIssue[] {
  const issues = keyIssues(config);
  if (issues.length || Object.keys(config.sweep).length === 0) return issues;
  const keys = Object.keys(config.sweep);
  const base = baseObject(config);
  const seen = new Set<string>();
  for (const point of pointsToCheck(config.sweep)) {
    for (const issue of resolvePoint(base, point).issues) {
      const located = pointIssue(point, keys, issue);
      const signature = `${located.path} ${issue.path} ${issue.message}`;
      if (seen.has(signature)) continue;
      seen.add(signature);
      issues.push(located);
      if (issues.length >= MAX_POINT_ISSUES) return issues;
    }
  }
  return issues;
}

/**
 * The runs of an experiment: one per grid point (one when there is no sweep), each re-validated.
 * Throws ExperimentError naming the sweep point when one is invalid.
 */
export function expandSweep(config: ExperimentConfig, sourceFile?: string): RunSpec[] {
  const file = sourceFile ?? config.name;
  const keyErrors = keyIssues(config);
  if (keyErrors.length) throw new ExperimentError(file, keyErrors);
  const keys = Object.keys(config.sweep);
  const base = baseObject(config);
  const runs: RunSpec[] = [];
  for (const point of gridPoints(config.sweep)) {
    const resolved = resolvePoint(base, point);
    if (!resolved.config)
      throw new ExperimentError(
        file,
        resolved.issues.map((issue) => (keys.length ? pointIssue(point, keys, issue) : issue)),
      );
    const { sweep: _sweep, ...runConfig } = resolved.config;
    runs.push({ experiment: config.name, ...(sourceFile !== undefined && { sourceFile }), sweepPoint: point.assignment, config: runConfig });
  }
  return runs;
}
