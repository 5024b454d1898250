/**
 * Live progress of the runs in `symlora run`, on stderr. On a terminal: one bar per active run,
 * redrawn in place at most every 100 ms, with a line per finished run scrolling above them. Not on
 * a terminal (CI logs, pipes): plain lines when a run starts, about every 10% or 15 s, and ends.
 */
import type { RunStatus, TrainerToHost } from '../core/protocol';
import type { ExitInfo } from '../core/runs/launcher';
import type { QueuedRun } from '../core/runs/queue';
import { compact, fit, fixed, seconds } from './format';
import type { CliIO } from './io';

interface RunProgress {
  label: string;
  step: number;
  totalSteps: number;
  loss?: number;
  trainAccuracy?: number;
  valAccuracy?: number;
  samplesPerSec?: number;
  startedMs?: number;
  lastLineMs: number;
  lastLineDecile: number;
  state: 'queued' | 'running' | 'done';
}

export interface ProgressView {
  started(run: QueuedRun): void;
  message(run: QueuedRun, message: TrainerToHost): void;
  finished(run: QueuedRun, info: ExitInfo): void;
  /** A line that should scroll above the live bars (warnings, Ctrl-C notices). */
  note(text: string): void;
  close(): void;
}

export function createProgress(io: CliIO, runs: readonly QueuedRun[]): ProgressView {
  return io.isTTY ? new TerminalProgress(io, runs) : new PlainProgress(io, runs);
}

/** `[2/6] symlora r4 s1` plus the sweep values that are not already in it. */
export function runLabel(run: QueuedRun, total: number): string {
  const { adapter, seed } = run.spec.config;
  const shown = new Set(['adapter.kind', 'adapter.rank', 'seed']);
  const extra = Object.entries(run.spec.sweepPoint)
    .filter(([key]) => !shown.has(key))
    .map(([key, value]) => `${key.split('.').pop()}=${JSON.stringify(value)}`);
  return [`[${run.index + 1}/${total}]`, adapter.kind, `r${adapter.rank}`, `s${seed}`, ...extra].join(' ');
}

abstract class BaseProgress implements ProgressView {
  protected readonly state = new Map<string, RunProgress>();

  constructor(
    protected readonly io: CliIO,
    runs: readonly QueuedRun[],
  ) {
    for (const run of runs) {
      this.state.set(run.runId, { label: runLabel(run, runs.length), step: 0, totalSteps: 0, lastLineMs: 0, lastLineDecile: 0, state: 'queued' });
    }
  }

  started(run: QueuedRun): void {
    const progress = this.of(run);
    progress.state = 'running';
    progress.startedMs = Date.now();
    this.changed(run, progress, 'start');
  }

  message(run: QueuedRun, message: TrainerToHost): void {
    const progress = this.of(run);
    if (message.type === 'started') progress.totalSteps = message.totalSteps;
    if (message.type === 'metrics') this.absorb(progress, message.records);
    if (message.type === 'log' && message.level !== 'info') this.note(`${progress.label}: ${message.level}: ${message.message}`);
    if (message.type === 'metrics' || message.type === 'started') this.changed(run, progress, 'update');
  }

  finished(run: QueuedRun, info: ExitInfo): void {
    const progress = this.of(run);
    progress.state = 'done';
    this.changed(run, progress, 'end', info.status);
  }

  abstract note(text: string): void;
  abstract close(): void;
  protected abstract changed(run: QueuedRun, progress: RunProgress, what: 'start' | 'update' | 'end', status?: RunStatus): void;

  protected of(run: QueuedRun): RunProgress {
    return this.state.get(run.runId)!;
  }

  private absorb(progress: RunProgress, records: Extract<TrainerToHost, { type: 'metrics' }>['records']): void {
    for (const record of records) {
      progress.step = Math.max(progress.step, record.step);
      if (record.kind === 'train') {
        progress.loss = record.loss;
        progress.trainAccuracy = record.accuracy;
        progress.samplesPerSec = record.samplesPerSec;
      } else if (record.split === 'val') {
        progress.valAccuracy = record.accuracy;
      }
    }
  }

  protected describe(progress: RunProgress): string {
    const parts = [`step ${progress.step}/${progress.totalSteps || '?'}`];
    if (progress.loss !== undefined) parts.push(`loss ${fixed(progress.loss)}`);
    if (progress.valAccuracy !== undefined) parts.push(`val acc ${fixed(progress.valAccuracy)}`);
    if (progress.samplesPerSec !== undefined) parts.push(`${compact(progress.samplesPerSec)} samples/s`);
    if (progress.startedMs) parts.push(seconds((Date.now() - progress.startedMs) / 1000));
    return parts.join('  ');
  }

  protected fraction(progress: RunProgress): number {
    return progress.totalSteps > 0 ? Math.min(1, progress.step / progress.totalSteps) : 0;
  }
}

class PlainProgress extends BaseProgress {
  note(text: string): void {
    this.io.stderr(text + '\n');
  }

  close(): void {}

  protected changed(run: QueuedRun, progress: RunProgress, what: 'start' | 'update' | 'end', status?: RunStatus): void {
    const now = Date.now();
    if (what === 'start') return this.line(progress, `started ${run.runId}`, now);
    if (what === 'end') return this.line(progress, `${status}  ${this.describe(progress)}`, now);
    const fraction = this.fraction(progress);
    const decile = Math.floor(fraction * 10 + 1e-9);
    if (decile > progress.lastLineDecile || now - progress.lastLineMs >= 15_000) {
      progress.lastLineDecile = decile;
      this.line(progress, `${Math.floor(fraction * 100)}%  ${this.describe(progress)}`, now);
    }
  }

  private line(progress: RunProgress, text: string, now: number): void {
    progress.lastLineMs = now;
    this.io.stderr(`${progress.label}  ${text}\n`);
  }
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

class TerminalProgress extends BaseProgress {
  private drawnLines = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  note(text: string): void {
    this.clear();
    this.io.stderr(text + '\n');
    this.draw();
  }

  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.clear();
    this.closed = true;
  }

  protected changed(_run: QueuedRun, progress: RunProgress, what: 'start' | 'update' | 'end', status?: RunStatus): void {
    if (what === 'end') return this.note(`${progress.label}  ${statusMark(status)} ${status}  ${this.describe(progress)}`);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.clear();
      this.draw();
    }, REDRAW_MS);
  }

  private clear(): void {
    if (this.drawnLines > 0) this.io.stderr(`\x1b[${this.drawnLines}F\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (this.closed) return;
    const width = Math.max(40, this.io.columns - 1);
    const all = [...this.state.values()];
    const active = all.filter((progress) => progress.state === 'running');
    const lines = active.map((progress) => fit(`${progress.label}  ${bar(this.fraction(progress))}  ${this.describe(progress)}`, width));
    const queued = all.filter((progress) => progress.state === 'queued').length;
    const done = all.filter((progress) => progress.state === 'done').length;
    lines.push(fit(`${done}/${all.length} done, ${active.length} running, ${queued} queued — Ctrl-C stops all runs`, width));
    this.io.stderr(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}

function bar(fraction: number): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

function statusMark(status?: RunStatus): string {
  return status === 'completed' ? '✔' : status === 'cancelled' ? '■' : '✖';
}
