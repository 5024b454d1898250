/**
 * Aggregation over seeds: one group per configuration (its config minus the seed), with mean,
 * standard deviation and 95% CI of a final metric; then the paired comparisons the SymLoRA paper
 * makes: SymLoRA at rank r against LoRA at rank r (equal rank) and SymLoRA at rank 2r against
 * LoRA at rank r (about equal parameters), paired by seed.
 */
import type { RunRecord } from '../protocol';
import {
  canonicalJson,
  configKeyWithoutSeed,
  holmAdjust,
  meanConfidenceInterval,
  pairedTTest,
  wilcoxonSignedRank,
  type MeanEstimate,
  type PairedTTest,
  type WilcoxonTest,
} from '../stats';
import type { ReportRun, SkippedRun } from './collect';

export const RANKED_KINDS = new Set(['lora', 'symlora']);
const KIND_ORDER = ['none', 'head', 'lora', 'symlora', 'full'];

export interface GroupStats {
  key: string;
  experiment: string;
  dataset: string;
  kind: string;
  /** Adapter rank; null for kinds without one (none, head, full). */
  rank: number | null;
  /** Sweep values other than seed, kind and rank (e.g. "adapter.alpha=8"); '' when none. */
  variant: string;
  seeds: number[];
  runIds: string[];
  /** Trainable parameters (adapters + anything else trained, e.g. the head). */
  trainable: number | null;
  /** Parameters in the adapters alone. */
  adapterParams: number | null;
  metric: MeanEstimate;
  testLoss: MeanEstimate | null;
  wallTimeSec: MeanEstimate | null;
  backends: string[];
}

export interface ComparisonSide {
  groupKey: string;
  rank: number;
  trainable: number | null;
  adapterParams: number | null;
  mean: number;
}

export type ComparisonType = 'equal-rank' | 'equal-params';

export interface PairedComparison {
  type: ComparisonType;
  experiment: string;
  dataset: string;
  variant: string;
  symlora: ComparisonSide;
  lora: ComparisonSide;
  /** Seeds present on both sides, the pairs the tests use. */
  seeds: number[];
  /** symlora − lora, per seed, summarised. */
  difference: MeanEstimate | null;
  tTest: PairedTTest;
  /** The t-test's p-value Holm-adjusted over every comparison of the same experiment and variant. */
  holmP: number;
  wilcoxon: WilcoxonTest;
}

export interface Report {
  metric: string;
  runsUsed: number;
  groups: GroupStats[];
  comparisons: PairedComparison[];
  skipped: SkippedRun[];
  warnings: string[];
  backends: string[];
}

export interface AggregateOptions {
  /** Key of summary.final to compare (default testAccuracy). */
  metric?: string;
  /** Keep only runs of this experiment. */
  experiment?: string;
}

interface UsableRun {
  run: ReportRun;
  seed: number;
  value: number;
}

export function aggregateRuns(runs: readonly ReportRun[], skippedBefore: readonly SkippedRun[] = [], options: AggregateOptions = {}): Report {
  const metric = options.metric ?? 'testAccuracy';
  const skipped = [...skippedBefore];
  const warnings: string[] = [];
  const usable: UsableRun[] = [];
  for (const run of runs) {
    if (options.experiment !== undefined && run.record.spec.experiment !== options.experiment) continue;
    const problem = whyUnusable(run.record, metric);
    if (problem) skipped.push({ id: run.id, dir: run.dir, reason: problem });
    else usable.push({ run, seed: run.record.spec.config.seed, value: run.record.summary!.final[metric] });
  }
  const groups = [...groupRuns(usable, warnings).values()].map(summariseGroup).sort(compareGroups);
  const comparisons = compareAdapters(groups);
  const backends = [...new Set(usable.map((u) => u.run.record.backend ?? 'unknown'))].sort();
  return { metric, runsUsed: usable.length, groups: groups.map((g) => g.stats), comparisons, skipped, warnings, backends };
}

function whyUnusable(record: RunRecord, metric: string): string | undefined {
  if (record.status !== 'completed') return `status ${record.status}${record.error ? `: ${record.error}` : ''}`;
  const value = record.summary?.final?.[metric];
  if (typeof value !== 'number' || !Number.isFinite(value)) return `no final ${metric} in its summary`;
  return undefined;
}

/** Groups by config minus seed; a seed seen twice in a group keeps the newest run and warns. */
function groupRuns(usable: readonly UsableRun[], warnings: string[]): Map<string, UsableRun[]> {
  const groups = new Map<string, Map<number, UsableRun>>();
  for (const item of usable) {
    const key = configKeyWithoutSeed(item.run.record.spec);
    const bySeed = groups.get(key) ?? new Map<number, UsableRun>();
    groups.set(key, bySeed);
    const previous = bySeed.get(item.seed);
    if (previous) {
      const [older, newer] = [previous, item].sort((a, b) => (a.run.record.createdAt ?? '').localeCompare(b.run.record.createdAt ?? ''));
      warnings.push(`runs ${older.run.id} and ${newer.run.id} repeat one configuration with seed ${item.seed}; using the newer, ${newer.run.id}`);
      bySeed.set(item.seed, newer);
    } else bySeed.set(item.seed, item);
  }
  return new Map([...groups].map(([key, bySeed]) => [key, [...bySeed.values()].sort((a, b) => a.seed - b.seed)]));
}

interface GroupWork {
  stats: GroupStats;
  /** Configuration without seed, kind, rank (and alpha when it is not swept): LoRA and SymLoRA runs of one family are comparable. */
  familyKey: string;
  bySeed: Map<number, number>;
}

function summariseGroup(members: UsableRun[]): GroupWork {
  const first = members[0].run.record;
  const adapter = first.spec.config.adapter;
  const ranked = RANKED_KINDS.has(adapter.kind);
  const finite = (values: Array<number | undefined>) => values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const estimate = (values: number[]) => (values.length ? meanConfidenceInterval(values) : null);
  const stats: GroupStats = {
    key: configKeyWithoutSeed(first.spec),
    experiment: first.spec.experiment,
    dataset: datasetLabel(first),
    kind: adapter.kind,
    rank: ranked ? adapter.rank : null,
    variant: variantLabel(first.spec.sweepPoint),
    seeds: members.map((m) => m.seed),
    runIds: members.map((m) => m.run.id),
    trainable: first.params?.trainable ?? null,
    adapterParams: first.params?.adapter ?? null,
    metric: meanConfidenceInterval(members.map((m) => m.value)),
    testLoss: estimate(finite(members.map((m) => m.run.record.summary?.final.testLoss))),
    wallTimeSec: estimate(finite(members.map((m) => m.run.record.wallTimeSec))),
    backends: [...new Set(members.map((m) => m.run.record.backend ?? 'unknown'))].sort(),
  };
  return { stats, familyKey: familyKey(first), bySeed: new Map(members.map((m) => [m.seed, m.value])) };
}

function datasetLabel(record: RunRecord): string {
  const task = record.spec.config.task;
  if (task.dataset === 'teacher') return `teacher (${task.shift.kind} shift, rank ${task.shift.rank})`;
  return record.dataset?.name ?? task.dataset;
}

function variantLabel(sweepPoint: Record<string, unknown>): string {
  return Object.entries(sweepPoint)
    .filter(([key]) => !['seed', 'adapter.kind', 'adapter.rank'].includes(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

function familyKey(record: RunRecord): string {
  const { seed: _seed, adapter, ...rest } = record.spec.config;
  const { kind: _kind, rank: _rank, alpha, ...adapterRest } = adapter;
  const alphaSwept = Object.hasOwn(record.spec.sweepPoint, 'adapter.alpha');
  return canonicalJson({ experiment: record.spec.experiment, rest, adapter: adapterRest, ...(alphaSwept ? { alpha } : {}) });
}

function compareGroups(a: GroupWork, b: GroupWork): number {
  const kindIndex = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
  return (
    a.stats.experiment.localeCompare(b.stats.experiment) ||
    a.stats.variant.localeCompare(b.stats.variant) ||
    kindIndex(a.stats.kind) - kindIndex(b.stats.kind) ||
    a.stats.kind.localeCompare(b.stats.kind) ||
    (a.stats.rank ?? 0) - (b.stats.rank ?? 0)
  );
}

/** Equal rank (symlora r vs lora r) and equal parameters (symlora 2r vs lora r), within each family. */
function compareAdapters(groups: readonly GroupWork[]): PairedComparison[] {
  const comparisons: PairedComparison[] = [];
  const lora = new Map(groups.filter((g) => g.stats.kind === 'lora').map((g) => [`${g.familyKey}|${g.stats.rank}`, g]));
  for (const type of ['equal-rank', 'equal-params'] as const) {
    for (const sym of groups.filter((g) => g.stats.kind === 'symlora')) {
      const rank = sym.stats.rank!;
      const loraRank = type === 'equal-rank' ? rank : rank / 2;
      const partner = Number.isInteger(loraRank) ? lora.get(`${sym.familyKey}|${loraRank}`) : undefined;
      if (partner) comparisons.push(pairUp(type, sym, partner));
    }
  }
  adjustPerFamily(comparisons);
  return comparisons;
}

/** Holm over the comparisons of one experiment and variant (the family a reader scans at once). */
function adjustPerFamily(comparisons: PairedComparison[]): void {
  const families = new Map<string, PairedComparison[]>();
  for (const c of comparisons) {
    const key = `${c.experiment}\u0000${c.variant}`;
    families.set(key, [...(families.get(key) ?? []), c]);
  }
  for (const family of families.values()) {
    const adjusted = holmAdjust(family.map((c) => c.tTest.p));
    family.forEach((c, i) => (c.holmP = adjusted[i]!));
  }
}

function pairUp(type: ComparisonType, sym: GroupWork, lora: GroupWork): PairedComparison {
  const seeds = [...sym.bySeed.keys()].filter((seed) => lora.bySeed.has(seed)).sort((a, b) => a - b);
  const a = seeds.map((seed) => sym.bySeed.get(seed)!);
  const b = seeds.map((seed) => lora.bySeed.get(seed)!);
  const side = (g: GroupWork): ComparisonSide => ({
    groupKey: g.stats.key,
    rank: g.stats.rank!,
    trainable: g.stats.trainable,
    adapterParams: g.stats.adapterParams,
    mean: g.stats.metric.mean,
  });
  return {
    type,
    experiment: sym.stats.experiment,
    dataset: sym.stats.dataset,
    variant: sym.stats.variant,
    symlora: side(sym),
    lora: side(lora),
    seeds,
    difference: seeds.length ? meanConfidenceInterval(a.map((v, i) => v - b[i])) : null,
    tTest: pairedTTest(a, b),
    holmP: NaN,
    wilcoxon: wilcoxonSignedRank(a, b),
  };
}
