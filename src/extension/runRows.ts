/**
 * Conversions from what is on disk (run summaries and records from src/core/runs) to what the
 * tree (RunRow) and the webviews (RunInfo) show. Pure Node, no `vscode`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../core/protocol';
import { RUN_FILES } from '../core/runs/paths';
import type { RunSummary } from '../core/runs/reader';
import type { RunInfo } from '../core/webviewProtocol';
import type { RunRow } from './runTreeModel';

export function rowFromSummary(summary: RunSummary): RunRow {
  const record = summary.record;
  return {
    id: summary.id,
    dir: summary.dir,
    status: summary.status,
    experiment: summary.experiment,
    adapterKind: summary.adapterKind,
    rank: summary.rank,
    seed: summary.seed,
    sweepPoint: record?.spec.sweepPoint,
    trainableParams: summary.trainableParams,
    createdAt: summary.createdAt,
    wallTimeSec: summary.wallTimeSec,
    summary: summary.summary,
    error: summary.error,
    step: record?.steps,
    totalSteps: record?.totalSteps,
    hasAdapter: existsSync(join(summary.dir, RUN_FILES.adapter)),
    hasCheckpoint: existsSync(join(summary.dir, RUN_FILES.checkpoints)),
    configText: record ? configExcerpt(record) : undefined,
  };
}

/** The parts of the config worth a hover: model, task, adapter, train (no description). */
export function configExcerpt(record: RunRecord): string {
  const { model, task, adapter, train } = record.spec.config;
  const text = JSON.stringify({ model, task, adapter, train }, null, 1);
  return text.length > 1500 ? `${text.slice(0, 1500)}\n…` : text;
}

/** What a webview gets about a run (see RunInfo: flattened config, no full spec). */
export function toRunInfo(record: RunRecord, status = record.status): RunInfo {
  const config = record.spec.config;
  return {
    id: record.id,
    experiment: record.spec.experiment,
    status,
    adapterKind: config.adapter.kind,
    rank: config.adapter.rank,
    seed: config.seed,
    trainableParams: record.params?.trainable ?? 0,
    backend: record.backend,
    wallTimeSec: record.wallTimeSec,
    steps: record.steps,
    totalSteps: record.totalSteps,
    config: flattenConfig(config),
    summary: record.summary,
    error: record.error,
  };
}

type Scalar = string | number | boolean | null;

/** {"a": {"b": 1, "c": [1, 2]}} → {"a.b": 1, "a.c": "[1,2]"} (arrays stay one cell). */
export function flattenConfig(value: unknown, prefix = '', into: Record<string, Scalar> = {}): Record<string, Scalar> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flattenConfig(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into[prefix] = isScalar(value) ? value : JSON.stringify(value);
  }
  return into;
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** What the RunManager knows about a run it started (a subset of LiveRun, to keep this module vscode- and process-free). */
export interface LiveRunState {
  runId: string;
  runDir: string;
  spec: RunRecord['spec'];
  status: RunRecord['status'];
  step?: number;
  totalSteps?: number;
  lastLoss?: number;
  params?: RunRecord['params'];
  error?: string;
}

/**
 * Disk rows with the live state of runs this window started laid over them: a queued run has no
 * run.json yet, and a running one's progress arrives faster than the file watcher.
 */
export function mergeLiveRows(disk: RunRow[], live: LiveRunState[]): RunRow[] {
  const byId = new Map(disk.map((row) => [row.id, row]));
  for (const run of live) {
    const base = byId.get(run.runId);
    const config = run.spec.config;
    const liveActive = run.status === 'queued' || run.status === 'running';
    // A finished run's disk record is the truth (summary, final error); live state fills gaps.
    if (base && !liveActive) continue;
    byId.set(run.runId, {
      ...base,
      id: run.runId,
      dir: run.runDir,
      status: run.status,
      experiment: run.spec.experiment,
      adapterKind: config.adapter.kind,
      rank: config.adapter.rank,
      seed: config.seed,
      sweepPoint: run.spec.sweepPoint,
      trainableParams: run.params?.trainable ?? base?.trainableParams,
      createdAt: base?.createdAt ?? '\uffff',
      error: run.error ?? base?.error,
      step: run.step ?? base?.step,
      totalSteps: run.totalSteps ?? base?.totalSteps,
      lastLoss: run.lastLoss,
    });
  }
  return [...byId.values()];
}
