/**
 * Typed contracts shared by the trainer process, the CLI, the extension host and the webviews.
 * Everything here is plain JSON: no classes, no functions, no tensor types, so webview code can
 * import it without pulling in Node or TensorFlow.js.
 */
import type { RunSpec } from './experiment/types';

// ---------------------------------------------------------------------------------------------
// Run records on disk (`<runs-dir>/<run-id>/`)
// ---------------------------------------------------------------------------------------------

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'crashed' | 'cancelled';
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'crashed', 'cancelled'];

export interface LayerParamCount {
  layer: string;
  /** Weight shape [out, in]. */
  shape: [number, number];
  /** The adapter placed on this layer ('lora', 'symlora', 'full', 'head' or 'frozen'). */
  adapter: string;
  trainable: number;
}

export interface ParamReport {
  /** Trainable parameters in total (adapters + anything else trained, e.g. the head). */
  trainable: number;
  /** Trainable parameters in the adapters alone. */
  adapter: number;
  /** All parameters of the base model. */
  base: number;
  layers: LayerParamCount[];
  /** Targets matched but skipped (non-square for symlora with nonSquare: 'skip'). */
  skipped: string[];
}

export interface MetricSummary {
  final: Record<string, number>;
  best: Record<string, number>;
}

/** `run.json`: written atomically (temp file + rename) by the trainer, the one writer of a run dir. */
export interface RunRecord {
  schemaVersion: 1;
  id: string;
  status: RunStatus;
  spec: RunSpec;
  /** The compute backend actually used ('tensorflow', 'wasm' or 'cpu'), once known. */
  backend?: string;
  versions: Record<string, string>;
  params?: ParamReport;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  wallTimeSec?: number;
  steps?: number;
  totalSteps?: number;
  summary?: MetricSummary;
  /** Human-readable error for failed / crashed runs (e.g. "diverged: loss is NaN at step 812"). */
  error?: string;
  /** Present when this run resumed another one's checkpoint. */
  resumedFrom?: { runId: string; step: number };
  /** Hash of the pretrained base used, if any. */
  baseHash?: string;
  /** The data the run saw: name, version (package or file hash) and split sizes. */
  dataset?: { name: string; version: string; train: number; val: number; test: number; info: Record<string, string | number | boolean> };
  pid?: number;
  host?: string;
}

/** One line of `metrics.jsonl`. Step records every log step; eval records on the validation / test split. */
export type MetricRecord =
  | {
      kind: 'train';
      step: number;
      epoch: number;
      /** Seconds since the run started. */
      time: number;
      loss: number;
      accuracy?: number;
      lr: number;
      samplesPerSec: number;
    }
  | {
      kind: 'eval';
      split: 'val' | 'test';
      step: number;
      epoch: number;
      time: number;
      loss: number;
      accuracy?: number;
    };

/** Spectrum of one adapted layer's update ΔW (scaled), as logged to `spectra.jsonl`. */
export interface LayerSpectrum {
  layer: string;
  adapter: 'lora' | 'symlora';
  /** symlora: signed eigenvalues of s·Q·diag(λ)·Qᵀ, descending by magnitude. lora: eigenvalues of the symmetric part. */
  eigenvalues: number[];
  /** Singular values of ΔW, descending. */
  singularValues: number[];
  /** ‖QᵀQ − I‖_F for symlora; undefined for lora. */
  orthogonalityError?: number;
  /** exp(entropy) of the normalised singular values. */
  effectiveRank: number;
  /** ‖ΔW‖₂ / ‖W‖₂; absent when the base weight is not known (e.g. a PEFT file alone). */
  relativeNorm?: number;
  /** Fraction of ‖ΔW‖_F² in the top-k singular directions, k = 1..r. */
  energy?: number[];
  /** Cosines of principal angles between ΔW's top directions and W's own top directions. */
  alignment?: number[];
}

/** One line of `spectra.jsonl`. */
export interface SpectrumRecord {
  step: number;
  time: number;
  layers: LayerSpectrum[];
}

// ---------------------------------------------------------------------------------------------
// Trainer process IPC (host ⇄ child over process.send)
// ---------------------------------------------------------------------------------------------

export interface StartRunOptions {
  runsDir: string;
  /** Use this run id (the host reserves it); else the trainer makes one. */
  runId?: string;
  /** Resume from this run directory's last checkpoint. */
  resumeFrom?: string;
  /** Overrides config.backend (e.g. from a VS Code setting or SYMLORA_BACKEND). */
  backend?: string;
  /** Minimum milliseconds between streamed train-metric messages. */
  streamIntervalMs?: number;
  /** Cache of pretrained bases (default: `bases` beside the runs dir). */
  basesDir?: string;
}

export type HostToTrainer = { type: 'start'; spec: RunSpec; options: StartRunOptions } | { type: 'stop'; reason?: string };

export type TrainerToHost =
  | { type: 'ready'; pid: number }
  | { type: 'started'; runId: string; runDir: string; backend: string; params: ParamReport; totalSteps: number }
  | { type: 'metrics'; runId: string; records: MetricRecord[] }
  | { type: 'spectrum'; runId: string; record: SpectrumRecord }
  | { type: 'log'; runId?: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'finished'; runId: string; status: RunStatus; summary?: MetricSummary; error?: string; wallTimeSec: number };
