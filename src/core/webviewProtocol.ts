/**
 * Host ⇄ webview message contract (discriminated unions), shared by the extension host and the
 * browser code under webview/. Messages are plain JSON (no classes); the few functions here are
 * pure rules both sides must apply the same way (run-id syntax, thinning what `init` carries).
 *
 * Handshake: a webview first posts `{type:'ready'}`; the host answers with `init` (dashboard,
 * compare) or `inspect` (adapter inspector) and only then streams updates. Webviews assume
 * nothing before that first message.
 */
import type { LayerSpectrum, MetricRecord, MetricSummary, RunStatus, SpectrumRecord } from './protocol';

// ---------------------------------------------------------------------------------------------
// Host ⇄ webview messages
// ---------------------------------------------------------------------------------------------

/** What a chart needs to know about a run (no full spec: webviews get only what they draw). */
export interface RunInfo {
  id: string;
  experiment: string;
  status: RunStatus;
  adapterKind: string;
  rank: number;
  seed: number;
  trainableParams: number;
  backend?: string;
  wallTimeSec?: number;
  /** Optimiser steps done so far (for steps/s); the compare view falls back to the last metric step. */
  steps?: number;
  totalSteps?: number;
  /** Config fields flattened to dotted paths (for the compare table's diff). */
  config: Record<string, string | number | boolean | null>;
  summary?: MetricSummary;
  error?: string;
}

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export type HostToWebview =
  | {
      type: 'init';
      runs: RunInfo[];
      metrics: Record<string, MetricRecord[]>;
      spectra?: Record<string, SpectrumRecord[]>;
      /** Runs the host wants shown first (the webview's own saved selection wins after a reload). */
      selected?: string[];
    }
  | { type: 'runUpdated'; run: RunInfo }
  | { type: 'runRemoved'; runId: string }
  | { type: 'metrics'; runId: string; records: MetricRecord[] }
  | { type: 'spectrum'; runId: string; record: SpectrumRecord }
  | {
      /** Init message of the adapter inspector (custom editor). */
      type: 'inspect';
      title: string;
      /** The run the adapter belongs to, if known (live `spectrum` messages for it are appended). */
      runId?: string;
      /** Snapshots over training, ascending by step (empty for a PEFT file without history). */
      spectra: SpectrumRecord[];
      /** The spectra of the adapter file itself. */
      final: LayerSpectrum[];
    }
  | { type: 'theme'; kind: ThemeKind };

export type ExportFormat = 'csv' | 'markdown' | 'png';

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectRuns'; runIds: string[] }
  | { type: 'openRun'; runId: string }
  /** `content` is text for csv/markdown and a `data:image/png;base64,…` URL for png. */
  | { type: 'exportFile'; format: ExportFormat; suggestedName: string; content: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export const HOST_TO_WEBVIEW_TYPES: readonly HostToWebview['type'][] = ['init', 'runUpdated', 'runRemoved', 'metrics', 'spectrum', 'inspect', 'theme'];

export const WEBVIEW_TO_HOST_TYPES: readonly WebviewToHost['type'][] = ['ready', 'selectRuns', 'openRun', 'exportFile', 'log'];

/** Run ids are plain directory names: letters, digits, '.', '_', '-', never '..'. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

export function isValidRunId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 200 && RUN_ID_PATTERN.test(id) && !id.includes('..');
}

// ---------------------------------------------------------------------------------------------
// Thinning what the host sends (shared so host and webview thin the same way)
// ---------------------------------------------------------------------------------------------

/**
 * Train records per run worth sending in an `init`: postMessage copies every object (100k
 * records cost seconds of structured cloning on a busy machine) while a chart shows at most a
 * few thousand distinct x positions. Live `metrics` messages are small and are sent as they come.
 */
export const MAX_INIT_TRAIN_RECORDS = 20_000;

/**
 * `records` with the train records thinned to at most `maxTrain` by LTTB on the loss curve
 * (first and last kept, peaks preserved); eval records are all kept. Order is preserved.
 */
export function thinMetricRecords(records: readonly MetricRecord[], maxTrain = MAX_INIT_TRAIN_RECORDS): MetricRecord[] {
  const train = records.filter((r) => r.kind === 'train');
  if (train.length <= maxTrain) return records.slice();
  const keep = new Set(
    lttbIndices(
      train.map((r) => r.step),
      train.map((r) => r.loss),
      maxTrain,
    ).map((i) => train[i]),
  );
  return records.filter((r) => r.kind !== 'train' || keep.has(r));
}

/** Indices (ascending, first and last always kept) of the `threshold` points LTTB selects. */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const picked = [0];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const [avgX, avgY] = bucketAverage(xs, ys, Math.floor((bucket + 1) * bucketSize) + 1, Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n));
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((xs[a] - avgX) * (ys[i] - ys[a]) - (xs[a] - xs[i]) * (avgY - ys[a]));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    picked.push(best);
    a = best;
  }
  picked.push(n - 1);
  return picked;
}

function bucketAverage(xs: ArrayLike<number>, ys: ArrayLike<number>, start: number, end: number): [number, number] {
  let sx = 0;
  let sy = 0;
  const count = Math.max(end - start, 1);
  for (let i = start; i < end; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  return end > start ? [sx / count, sy / count] : [xs[xs.length - 1], ys[ys.length - 1]];
}
