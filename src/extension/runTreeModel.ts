/**
 * The Runs tree as plain data: experiments → runs, with status icon, key metric, tooltip and
 * context value. Pure (no `vscode` import) so it is unit-tested directly; runsTree.ts turns these
 * nodes into TreeItems.
 */
import type { MetricSummary, RunStatus } from '../core/protocol';

export type DisplayStatus = RunStatus | 'unreadable';

/** What the tree needs to know about one run, from disk (listRuns) or from the RunManager. */
export interface RunRow {
  id: string;
  dir?: string;
  status: DisplayStatus;
  experiment?: string;
  adapterKind?: string;
  rank?: number;
  seed?: number;
  sweepPoint?: Record<string, unknown>;
  trainableParams?: number;
  createdAt?: string;
  wallTimeSec?: number;
  summary?: MetricSummary;
  error?: string;
  /** Live progress of a running run. */
  step?: number;
  totalSteps?: number;
  lastLoss?: number;
  hasAdapter?: boolean;
  hasCheckpoint?: boolean;
  /** Config shown in the tooltip (a short JSON excerpt). */
  configText?: string;
}

export interface RunNode {
  kind: 'run';
  id: string;
  experiment: string;
  label: string;
  description: string;
  tooltip: string;
  icon: { id: string; color?: string };
  contextValue: string;
  row: RunRow;
}

export interface ExperimentNode {
  kind: 'experiment';
  id: string;
  label: string;
  description: string;
  contextValue: 'experiment';
  runs: RunNode[];
}

export type TreeNode = ExperimentNode | RunNode;

export const STATUS_ICONS: Record<DisplayStatus, { id: string; color?: string }> = {
  queued: { id: 'clock', color: 'disabledForeground' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  crashed: { id: 'flame', color: 'errorForeground' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  unreadable: { id: 'warning', color: 'list.warningForeground' },
};

const UNNAMED = '(unnamed experiment)';

/** Groups runs by experiment (experiments by newest run first, runs oldest first within one). */
export function buildRunTree(rows: RunRow[]): ExperimentNode[] {
  const groups = new Map<string, RunRow[]>();
  for (const row of rows) {
    const name = row.experiment || UNNAMED;
    groups.set(name, [...(groups.get(name) ?? []), row]);
  }
  const experiments = [...groups].map(([name, runs]) => experimentNode(name, runs.sort(byCreated)));
  const newest = (node: ExperimentNode) => node.runs.at(-1)?.row.createdAt ?? '';
  return experiments.sort((a, b) => newest(b).localeCompare(newest(a)) || a.label.localeCompare(b.label));
}

function byCreated(a: RunRow, b: RunRow): number {
  return (a.createdAt ?? '\uffff').localeCompare(b.createdAt ?? '\uffff') || a.id.localeCompare(b.id);
}

function experimentNode(name: string, rows: RunRow[]): ExperimentNode {
  return {
    kind: 'experiment',
    id: `experiment:${name}`,
    label: name,
    description: statusCounts(rows),
    contextValue: 'experiment',
    runs: rows.map((row) => runNode(name, row)),
  };
}

/** "2 running · 1 queued · 3 completed", in lifecycle order. */
export function statusCounts(rows: { status: DisplayStatus }[]): string {
  const order: DisplayStatus[] = ['running', 'queued', 'completed', 'failed', 'crashed', 'cancelled', 'unreadable'];
  return order
    .map((status) => [status, rows.filter((row) => row.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
}

export function runNode(experiment: string, row: RunRow): RunNode {
  return {
    kind: 'run',
    id: `run:${row.id}`,
    experiment,
    label: runLabel(row),
    description: keyMetric(row),
    tooltip: runTooltip(row),
    icon: STATUS_ICONS[row.status],
    contextValue: runContextValue(row),
    row,
  };
}

/** "symlora r4 · seed 1", plus any other sweep axis ("lr 0.01"). */
export function runLabel(row: RunRow): string {
  const parts: string[] = [];
  if (row.adapterKind)
    parts.push(row.rank !== undefined && row.adapterKind !== 'full' && row.adapterKind !== 'head' ? `${row.adapterKind} r${row.rank}` : row.adapterKind);
  if (row.seed !== undefined) parts.push(`seed ${row.seed}`);
  const shown = new Set(['adapter.kind', 'adapter.rank', 'seed']);
  for (const [key, value] of Object.entries(row.sweepPoint ?? {})) {
    if (!shown.has(key)) parts.push(`${key.split('.').at(-1)} ${formatValue(value)}`);
  }
  return parts.length ? parts.join(' · ') : row.id;
}

/** The one number worth seeing in the tree for this run's state. */
export function keyMetric(row: RunRow): string {
  switch (row.status) {
    case 'queued':
      return 'queued';
    case 'running': {
      const progress = row.step !== undefined ? `step ${row.step}${row.totalSteps ? `/${row.totalSteps}` : ''}` : 'starting';
      return row.lastLoss !== undefined ? `${progress} · loss ${formatNumber(row.lastLoss)}` : progress;
    }
    case 'failed':
    case 'crashed':
    case 'unreadable':
      return firstLine(row.error) || row.status;
    default: {
      const best = pickKeyMetric(row.summary?.final);
      return best ? `${best.label} ${formatNumber(best.value)}` : row.status;
    }
  }
}

/** Prefers test accuracy, then validation accuracy, any accuracy, then a loss. */
export function pickKeyMetric(values: Record<string, number> | undefined): { label: string; value: number } | undefined {
  if (!values) return undefined;
  const keys = Object.keys(values).filter((key) => Number.isFinite(values[key]));
  const rank = (key: string): number => {
    const k = key.toLowerCase();
    const acc = k.includes('acc') ? 0 : k.includes('loss') ? 10 : 20;
    const split = k.includes('test') ? 0 : k.includes('val') ? 1 : 2;
    return acc + split;
  };
  const key = keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))[0];
  if (key === undefined) return undefined;
  return { label: shortMetricName(key), value: values[key] };
}

/** "testAccuracy" / "test.accuracy" / "test_accuracy" → "test acc". */
function shortMetricName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._]/g, ' ')
    .toLowerCase()
    .replace(/accuracy/, 'acc');
}

export function runContextValue(row: RunRow): string {
  return ['run', row.status, row.hasAdapter ? 'adapter' : '', row.hasCheckpoint ? 'checkpoint' : ''].filter(Boolean).join(':');
}

/** Markdown for the hover: id, status, error, parameters, timing and the config excerpt. */
export function runTooltip(row: RunRow): string {
  const lines = [`**${escapeMarkdown(runLabel(row))}** — ${row.status}`, '', `\`${row.id}\``];
  if (row.error) lines.push('', `Error: ${escapeMarkdown(firstLine(row.error))}`);
  if (row.trainableParams !== undefined) lines.push('', `Trainable parameters: ${row.trainableParams.toLocaleString('en-US')}`);
  if (row.wallTimeSec !== undefined) lines.push('', `Wall time: ${formatNumber(row.wallTimeSec)} s`);
  for (const [key, value] of Object.entries(row.summary?.final ?? {})) lines.push('', `${key}: ${formatNumber(value)}`);
  if (row.configText) lines.push('', '```json', row.configText, '```');
  return lines.join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 1e-3) return value.toExponential(2);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return value
    .toPrecision(3)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

function formatValue(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : typeof value === 'string' ? value : JSON.stringify(value);
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim()
      .slice(0, 200) ?? ''
  );
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|]/g, '\\$&');
}
