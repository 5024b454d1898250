/**
 * Reading runs for the webviews: RunInfo from run.json (or from a live run not yet on disk) and
 * metric / spectrum history from the JSONL files. Every run id goes through runDirFor, so nothing
 * outside the runs directory is read. Pure Node, no `vscode`.
 */
import type { MetricRecord, RunRecord, SpectrumRecord } from '../core/protocol';
import { readRunRecord, readSpectra, summaryOf, visitMetrics } from '../core/runs/reader';
import { isValidRunId, type RunInfo } from '../core/webviewProtocol';
import type { LiveRunState } from './runRows';
import { toRunInfo } from './runRows';
import { runDirFor } from './runsDir';

/** Webviews decimate long histories; past this many records per run only the tail is sent. */
export const MAX_HISTORY_RECORDS = 20_000;

export function readRunInfo(runsDir: string, runId: string, live?: LiveRunState): RunInfo | undefined {
  const dir = runDirFor(runsDir, runId);
  let record: RunRecord | undefined;
  try {
    record = readRunRecord(dir);
  } catch {
    record = undefined;
  }
  if (record && !(live && isActive(live))) return toRunInfo(record, summaryOf(record, dir).status as RunRecord['status']);
  if (live) return liveRunInfo(live, record);
  return undefined;
}

export function liveRunInfo(run: LiveRunState, record?: RunRecord): RunInfo {
  const base: RunRecord = record ?? {
    schemaVersion: 1,
    id: run.runId,
    status: run.status,
    spec: run.spec,
    versions: {},
    createdAt: new Date().toISOString(),
  };
  const info = toRunInfo({ ...base, params: run.params ?? base.params, totalSteps: run.totalSteps ?? base.totalSteps }, run.status);
  return { ...info, ...(run.step !== undefined ? { steps: run.step } : {}), ...(run.error ? { error: run.error } : {}) };
}

/**
 * A run's metric history for a view, streamed from metrics.jsonl with at most ~`max` records held:
 * when they no longer fit, the largest stream (train, val or test) drops every other record and its
 * stride doubles, so a run of millions of steps comes back evenly thinned from its first step to its
 * last, small streams stay whole, and the host never holds the whole file.
 */
export function readMetricHistory(runsDir: string, runId: string, max = MAX_HISTORY_RECORDS): MetricRecord[] {
  const streams = new Map<string, ThinnedStream>();
  let line = 0;
  let total = 0;
  visitMetrics(runDirFor(runsDir, runId), (record) => {
    const key = streamOf(record);
    const stream = streams.get(key) ?? streams.set(key, { kept: [], stride: 1, seen: 0 }).get(key)!;
    const entry = { record, index: stream.seen++, line: line++ };
    stream.newest = entry;
    if (entry.index % stream.stride !== 0) return;
    stream.kept.push(entry);
    if (++total > max) {
      const largest = [...streams.values()].reduce((a, b) => (b.kept.length > a.kept.length ? b : a));
      largest.stride *= 2;
      total -= largest.kept.length;
      largest.kept = largest.kept.filter((e) => e.index % largest.stride === 0);
      total += largest.kept.length;
    }
  });
  // Each stream's newest record stays, so the view (and SentSteps) continue from the true last step.
  const entries = [...streams.values()].flatMap((s) => (s.newest && s.kept.at(-1) !== s.newest ? [...s.kept, s.newest] : s.kept));
  return entries.sort((a, b) => a.line - b.line).map((e) => e.record);
}

interface ThinnedStream {
  kept: { record: MetricRecord; index: number; line: number }[];
  stride: number;
  seen: number;
  newest?: { record: MetricRecord; index: number; line: number };
}

function streamOf(record: MetricRecord): string {
  return record.kind === 'train' ? 'train' : record.split;
}

export function readSpectrumHistory(runsDir: string, runId: string): SpectrumRecord[] {
  return readSpectra(runDirFor(runsDir, runId)).records;
}

function isActive(run: LiveRunState): boolean {
  return run.status === 'queued' || run.status === 'running';
}

/** Remembers the last step sent per record stream, so live records already in the history are not sent twice. */
export class SentSteps {
  private readonly last = new Map<string, number>();

  static key(runId: string, record: MetricRecord): string {
    return record.kind === 'train' ? `${runId}/train` : `${runId}/${record.split}`;
  }

  noteHistory(runId: string, records: MetricRecord[]): void {
    for (const record of records) this.bump(SentSteps.key(runId, record), record.step);
  }

  /** The records not yet sent, and marks them sent. */
  fresh(runId: string, records: MetricRecord[]): MetricRecord[] {
    return records.filter((record) => {
      const key = SentSteps.key(runId, record);
      if (record.step <= (this.last.get(key) ?? -Infinity)) return false;
      this.bump(key, record.step);
      return true;
    });
  }

  forget(runId: string): void {
    for (const key of [...this.last.keys()]) if (key.startsWith(`${runId}/`)) this.last.delete(key);
  }

  private bump(key: string, step: number): void {
    this.last.set(key, Math.max(step, this.last.get(key) ?? -Infinity));
  }
}

const MAX_RESTORED_RUNS = 200;

/** Run ids from a webview's saved state; anything that is not a valid id is dropped. */
export function restoredRunIds(state: unknown): string[] {
  if (typeof state !== 'object' || state === null) return [];
  const record = state as Record<string, unknown>;
  const ids = Array.isArray(record.selected) ? record.selected : Array.isArray(record.runIds) ? record.runIds : [];
  return ids.filter(isValidRunId).slice(0, MAX_RESTORED_RUNS);
}
