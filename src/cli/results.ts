/** The outcome of each run, read back from its run.json (the source of truth), for tables and --json. */
import type { MetricSummary, RunRecord, RunStatus } from '../core/protocol';
import type { ExitInfo } from '../core/runs/launcher';
import type { QueuedRun } from '../core/runs/queue';
import { readRunRecord } from '../core/runs/reader';
import { fixed, integer, seconds, table, type Column } from './format';

export interface RunResult {
  id: string;
  status: RunStatus;
  dir: string;
  adapterKind: string;
  rank: number;
  seed: number;
  trainableParams?: number;
  backend?: string;
  wallTimeSec?: number;
  final: Record<string, number>;
  best: Record<string, number>;
  error?: string;
}

export function resultOf(run: QueuedRun): RunResult {
  const info: ExitInfo = run.exit ?? { code: null, signal: null, status: 'crashed', error: 'no exit information' };
  const record = tryRead(run.runDir);
  const summary: MetricSummary = record?.summary ?? { final: {}, best: {} };
  const error = record?.error ?? info.error;
  return {
    id: run.runId,
    // The exit info wins: a run cancelled before it started has no run.json at all.
    status: record && isTerminal(record.status) ? record.status : info.status,
    dir: run.runDir,
    adapterKind: run.spec.config.adapter.kind,
    rank: run.spec.config.adapter.rank,
    seed: run.spec.config.seed,
    trainableParams: record?.params?.trainable,
    backend: record?.backend,
    wallTimeSec: record?.wallTimeSec,
    final: summary.final ?? {},
    best: summary.best ?? {},
    ...(error ? { error } : {}),
  };
}

function isTerminal(status: RunStatus): boolean {
  return status !== 'queued' && status !== 'running';
}

function tryRead(dir: string): RunRecord | undefined {
  try {
    return readRunRecord(dir);
  } catch {
    return undefined;
  }
}

const RESULT_COLUMNS: Column<RunResult>[] = [
  { title: 'run', value: (r) => r.id },
  { title: 'kind', value: (r) => r.adapterKind },
  { title: 'rank', value: (r) => String(r.rank), align: 'right' },
  { title: 'seed', value: (r) => String(r.seed), align: 'right' },
  { title: 'trainable', value: (r) => integer(r.trainableParams), align: 'right' },
  { title: 'val acc', value: (r) => fixed(r.final.valAccuracy), align: 'right' },
  { title: 'best val', value: (r) => fixed(r.best.valAccuracy), align: 'right' },
  { title: 'test acc', value: (r) => fixed(r.final.testAccuracy), align: 'right' },
  { title: 'time', value: (r) => seconds(r.wallTimeSec), align: 'right' },
  { title: 'backend', value: (r) => r.backend ?? '-' },
  { title: 'status', value: (r) => r.status },
];

export function resultsTable(results: RunResult[]): string {
  return table(results, RESULT_COLUMNS);
}

/** The first lines of each failed run's error, so the user sees why without opening files. */
export function failureNotes(results: RunResult[]): string {
  return results
    .filter((r) => r.status !== 'completed' && r.error)
    .map((r) => `${r.id} ${r.status}: ${shorten(r.error!).join('\n    ')}\n  (log: ${r.dir}/stderr.log)\n`)
    .join('');
}

/** The headline and the last lines of a long error (where a stack trace ends up saying what went wrong). */
function shorten(error: string, keep = 10): string[] {
  const lines = error.split('\n');
  return lines.length <= keep + 2 ? lines : [lines[0], `… (${lines.length - 1 - keep} more lines in the log)`, ...lines.slice(-keep)];
}
