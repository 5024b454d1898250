/**
 * The numbers behind the Compare Runs panel, free of DOM so they are unit-testable: which config
 * fields differ, per-run summaries (final/best validation and test metric, steps/s), grouping of
 * runs that differ only by seed, and mean ± 95% CI curves over a group.
 */
import type { MetricRecord } from '../../src/core/protocol';
import type { RunInfo } from '../../src/core/webviewProtocol';
import type { Point } from '../shared/charts';
import type { Cell } from '../shared/csv';
import { recordValues } from '../shared/series';
import { meanCi95 } from '../shared/stats';

export type Metrics = Record<string, MetricRecord[]>;

const isSeedKey = (key: string) => /(^|\.)seed$/i.test(key);

/** Config paths whose values are not all the same (a path missing from some run counts as differing). */
export function differingConfigKeys(runs: readonly RunInfo[], options: { ignoreSeed?: boolean } = {}): string[] {
  const keys = new Set(runs.flatMap((run) => Object.keys(run.config)));
  return [...keys]
    .filter((key) => !(options.ignoreSeed && isSeedKey(key)))
    .filter((key) => new Set(runs.map((run) => (key in run.config ? JSON.stringify(run.config[key]) : '\u0000missing'))).size > 1)
    .sort();
}

/** Runs that differ only by seed share a key: config without seed paths, adapter kind and rank. */
export function seedGroupKey(run: RunInfo): string {
  const config = Object.entries(run.config)
    .filter(([key]) => !isSeedKey(key))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([run.adapterKind, run.rank, config]);
}

export function groupBySeed(runs: readonly RunInfo[]): RunInfo[][] {
  const groups = new Map<string, RunInfo[]>();
  for (const run of runs) {
    const key = seedGroupKey(run);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()];
}

export interface RunSummary {
  /** 'accuracy' when eval records carry it (higher is better), else 'loss' (lower is better). */
  metric: 'accuracy' | 'loss';
  valFinal?: number;
  valBest?: number;
  testFinal?: number;
  testBest?: number;
  wallTimeSec?: number;
  stepsPerSec?: number;
}

export function primaryMetric(metrics: Metrics): 'accuracy' | 'loss' {
  return Object.values(metrics).some((records) => records.some((r) => r.kind === 'eval' && typeof r.accuracy === 'number')) ? 'accuracy' : 'loss';
}

export function summarizeRun(run: RunInfo, records: readonly MetricRecord[], metric: 'accuracy' | 'loss'): RunSummary {
  const pick = (split: 'val' | 'test') =>
    records
      .filter((r) => r.kind === 'eval' && r.split === split)
      .map((r) => r[metric])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const best = (values: number[]) => (values.length === 0 ? undefined : metric === 'accuracy' ? Math.max(...values) : Math.min(...values));
  const val = pick('val');
  const test = pick('test');
  const fromSummary = (kind: 'final' | 'best', split: string) => findSummaryValue(run.summary?.[kind], split, metric);
  const lastStep = records.reduce((max, r) => Math.max(max, r.step), 0);
  const steps = run.steps ?? (lastStep || undefined);
  const lastTime = records.reduce((max, r) => Math.max(max, r.time), 0);
  const wallTimeSec = run.wallTimeSec ?? (lastTime || undefined);
  return {
    metric,
    valFinal: val.at(-1) ?? fromSummary('final', 'val'),
    valBest: best(val) ?? fromSummary('best', 'val'),
    testFinal: test.at(-1) ?? fromSummary('final', 'test'),
    testBest: best(test) ?? fromSummary('best', 'test'),
    wallTimeSec,
    stepsPerSec: steps !== undefined && wallTimeSec ? steps / wallTimeSec : undefined,
  };
}

/** Summary maps may name a metric 'val.accuracy', 'val_accuracy' or 'valAccuracy'. */
function findSummaryValue(map: Record<string, number> | undefined, split: string, metric: string): number | undefined {
  if (!map) return undefined;
  const capitalised = metric[0].toUpperCase() + metric.slice(1);
  for (const key of [`${split}.${metric}`, `${split}_${metric}`, `${split}${capitalised}`, `${split}/${metric}`]) {
    if (typeof map[key] === 'number') return map[key];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Table rows
// ---------------------------------------------------------------------------------------------

export interface TableColumn {
  key: string;
  label: string;
  numeric: boolean;
  /** Numeric columns that get "± CI" in grouped mode. */
  aggregated?: boolean;
}

export interface TableModel {
  columns: TableColumn[];
  rows: Record<string, Cell>[];
}

const SUMMARY_COLUMNS: [keyof RunSummary, string][] = [
  ['valFinal', 'val final'],
  ['valBest', 'val best'],
  ['testFinal', 'test final'],
  ['testBest', 'test best'],
];

export function buildTable(runs: readonly RunInfo[], metrics: Metrics, grouped: boolean): TableModel {
  const metric = primaryMetric(metrics);
  const diffKeys = differingConfigKeys(runs, { ignoreSeed: grouped });
  const columns: TableColumn[] = [
    { key: 'run', label: grouped ? 'runs' : 'run', numeric: false },
    ...diffKeys.map((key) => ({ key: `config:${key}`, label: key, numeric: runs.every((r) => typeof r.config[key] !== 'string') })),
    { key: 'adapter', label: 'adapter', numeric: false },
    { key: 'rank', label: 'rank', numeric: true },
    { key: 'trainableParams', label: 'trainable params', numeric: true },
    ...SUMMARY_COLUMNS.map(([key, label]) => ({ key, label: `${label} ${metric === 'accuracy' ? 'acc' : 'loss'}`, numeric: true, aggregated: true })),
    { key: 'wallTimeSec', label: 'wall time (s)', numeric: true, aggregated: true },
    { key: 'stepsPerSec', label: 'steps/s', numeric: true, aggregated: true },
    { key: 'backend', label: 'backend', numeric: false },
  ];
  // Drop summary columns no run has (e.g. no test split).
  const perRun = runs.map((run) => ({ run, summary: summarizeRun(run, metrics[run.id] ?? [], metric) }));
  const present = columns.filter((c) => !c.aggregated || perRun.some(({ summary }) => summary[c.key as keyof RunSummary] !== undefined));
  const rows = grouped ? groupRows(perRun, diffKeys) : perRun.map(({ run, summary }) => runRow(run, summary, diffKeys));
  return { columns: present, rows };
}

function runRow(run: RunInfo, summary: RunSummary, diffKeys: string[]): Record<string, Cell> {
  return {
    run: run.id,
    ...Object.fromEntries(diffKeys.map((key) => [`config:${key}`, run.config[key] ?? null])),
    adapter: run.adapterKind,
    rank: run.rank,
    trainableParams: run.trainableParams,
    ...Object.fromEntries(SUMMARY_COLUMNS.map(([key]) => [key, summary[key] as number | undefined])),
    wallTimeSec: summary.wallTimeSec,
    stepsPerSec: summary.stepsPerSec,
    backend: run.backend ?? null,
  };
}

function groupRows(perRun: { run: RunInfo; summary: RunSummary }[], diffKeys: string[]): Record<string, Cell>[] {
  const byKey = new Map<string, { run: RunInfo; summary: RunSummary }[]>();
  for (const entry of perRun) byKey.set(seedGroupKey(entry.run), [...(byKey.get(seedGroupKey(entry.run)) ?? []), entry]);
  return [...byKey.values()].map((members) => {
    const first = runRow(members[0].run, members[0].summary, diffKeys);
    const row: Record<string, Cell> = { ...first, run: groupLabel(members.map((m) => m.run)), n: members.length };
    for (const key of [...SUMMARY_COLUMNS.map(([k]) => k), 'wallTimeSec', 'stepsPerSec'] as (keyof RunSummary)[]) {
      const values = members.map((m) => m.summary[key]).filter((v): v is number => typeof v === 'number');
      const ci = meanCi95(values);
      row[key] = ci.n > 0 ? ci.mean : undefined;
      row[`${key}:ci`] = ci.n > 1 ? ci.halfWidth : undefined;
      row[`${key}:n`] = ci.n;
    }
    row.backend = [...new Set(members.map((m) => m.run.backend).filter(Boolean))].join(', ') || null;
    return row;
  });
}

export function groupLabel(runs: readonly RunInfo[]): string {
  if (runs.length === 1) return runs[0].id;
  const seeds = runs.map((r) => r.seed).sort((a, b) => a - b);
  return `${runs[0].adapterKind} r${runs[0].rank} (seeds ${seeds.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Curves
// ---------------------------------------------------------------------------------------------

export function seriesPoints(records: readonly MetricRecord[], key: string): Point[] {
  const points: Point[] = [];
  for (const record of records) {
    for (const [k, y] of recordValues(record)) if (k === key) points.push({ x: record.step, y });
  }
  return points;
}

export interface BandCurve {
  mean: Point[];
  lower: Point[];
  upper: Point[];
}

/** Mean and 95% t-interval across runs, at each step some run logged (n counts the runs present). */
export function meanBand(curves: readonly Point[][]): BandCurve {
  const byStep = new Map<number, number[]>();
  for (const curve of curves) for (const { x, y } of curve) byStep.set(x, [...(byStep.get(x) ?? []), y]);
  const out: BandCurve = { mean: [], lower: [], upper: [] };
  for (const x of [...byStep.keys()].sort((a, b) => a - b)) {
    const { mean, halfWidth } = meanCi95(byStep.get(x)!);
    if (!Number.isFinite(mean)) continue;
    out.mean.push({ x, y: mean });
    out.lower.push({ x, y: mean - halfWidth });
    out.upper.push({ x, y: mean + halfWidth });
  }
  return out;
}

/** Metric keys present in any run, in a stable, readable order. */
export function availableSeries(metrics: Metrics): string[] {
  const order = ['val.accuracy', 'val.loss', 'train.loss', 'train.accuracy', 'test.accuracy', 'test.loss', 'lr', 'samplesPerSec'];
  const present = new Set(Object.values(metrics).flatMap((records) => records.flatMap((r) => recordValues(r).map(([k]) => k))));
  return order.filter((k) => present.has(k));
}
