/**
 * Reading runs for the webviews: RunInfo from run.json (or from a live run not yet on disk) and
 * metric / spectrum history from the JSONL files. Every run id goes through runDirFor, so nothing
 * outside the runs directory is read. Pure Node, no `vscode`.
 */
import type { MetricRecord, RunRecord, SpectrumRecord } from '../core/protocol';
import { readMetrics, readRunRecord, readSpectra, summaryOf } from '../core/runs/reader';
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

export function readMetricHistory(runsDir: string, runId: string, max = MAX_HISTORY_RECORDS): MetricRecord[] {
  const records = readMetrics(runDirFor(runsDir, runId)).records;
  return records.length > max ? records.slice(-max) : records;
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
