/**
 * Host ⇄ webview message contract (discriminated unions), shared by the extension host and the
 * browser code under webview/. Plain JSON only: no classes, no functions.
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

export const HOST_TO_WEBVIEW_TYPES: readonly HostToWebview['type'][] = [
  'init',
  'runUpdated',
  'runRemoved',
  'metrics',
  'spectrum',
  'inspect',
  'theme',
];

export const WEBVIEW_TO_HOST_TYPES: readonly WebviewToHost['type'][] = ['ready', 'selectRuns', 'openRun', 'exportFile', 'log'];

/** Run ids are plain directory names: letters, digits, '.', '_', '-', never '..'. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

export function isValidRunId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 200 && RUN_ID_PATTERN.test(id) && !id.includes('..');
}
