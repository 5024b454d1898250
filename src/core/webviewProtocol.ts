/**
 * Host ⇄ webview message contract (discriminated unions), shared by the extension host and the
 * browser code under webview/. Plain JSON only.
 */
import type { MetricRecord, MetricSummary, RunStatus, SpectrumRecord } from './protocol';

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
  /** Config fields flattened to dotted paths (for the compare table's diff). */
  config: Record<string, string | number | boolean | null>;
  summary?: MetricSummary;
  error?: string;
}

export type HostToWebview =
  | { type: 'init'; runs: RunInfo[]; metrics: Record<string, MetricRecord[]>; spectra?: Record<string, SpectrumRecord[]> }
  | { type: 'runUpdated'; run: RunInfo }
  | { type: 'runRemoved'; runId: string }
  | { type: 'metrics'; runId: string; records: MetricRecord[] }
  | { type: 'spectrum'; runId: string; record: SpectrumRecord }
  | { type: 'theme'; kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'selectRuns'; runIds: string[] }
  | { type: 'openRun'; runId: string }
  | { type: 'exportFile'; format: 'csv' | 'markdown' | 'png'; suggestedName: string; content: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
