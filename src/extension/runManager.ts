/**
 * The extension host's view of training: a RunQueue (src/core/runs) with settings read live,
 * plus the state the UI shows (queued / running with progress / done) and events for the tree,
 * the status bar, progress notifications and the dashboard. No `vscode` import, so it is tested
 * with real trainer processes outside VS Code.
 */
import type { RunSpec } from '../core/experiment/types';
import type { MetricRecord, ParamReport, RunStatus, SpectrumRecord, StartRunOptions, TrainerToHost } from '../core/protocol';
import { SafeEmitter } from '../core/runs/emitter';
import type { ExitInfo } from '../core/runs/launcher';
import { RunQueue, type QueuedRun } from '../core/runs/queue';

export interface RunManagerSettings {
  /** Runs at once (≥ 1; the caller turns the setting's 0 into the core count). */
  concurrency: number;
  /** A Node binary for the trainer; undefined = VS Code's own runtime as Node. */
  nodePath?: string;
  /** Backend override; undefined = what the experiment says. */
  backend?: string;
  runsDir: string;
  stopGraceMs: number;
  /** Hand a queued run to a trainer that completed one leak-free (RunQueue reuseTrainers); default off. */
  reuseTrainers?: boolean;
}

export interface RunManagerOptions {
  trainerPath: string;
  settings: () => RunManagerSettings;
  env?: NodeJS.ProcessEnv;
  /** Minimum ms between streamed metric messages from a trainer. */
  streamIntervalMs?: number;
}

export interface LiveRun {
  runId: string;
  runDir: string;
  spec: RunSpec;
  status: RunStatus;
  step?: number;
  totalSteps?: number;
  lastLoss?: number;
  backend?: string;
  params?: ParamReport;
  error?: string;
  /** The trainer's last output lines (for a crash report). */
  outputTail?: string[];
  resumedFrom?: string;
}

export type RunManagerEvents = {
  /** A run was queued, started, progressed or ended. */
  changed: [LiveRun];
  metrics: [string, MetricRecord[]];
  spectrum: [string, SpectrumRecord];
  finished: [LiveRun, ExitInfo];
  log: ['info' | 'warn' | 'error', string];
};

export class RunManager extends SafeEmitter<RunManagerEvents> {
  private readonly queue: RunQueue;
  private readonly runs = new Map<string, LiveRun>();
  private disposed = false;

  constructor(private readonly opts: RunManagerOptions) {
    super();
    const settings = opts.settings;
    // Getters: the queue spreads `launch` when it starts each run, so settings apply live.
    const launch = {
      trainerPath: opts.trainerPath,
      get nodePath() {
        return settings().nodePath;
      },
      env: opts.env,
    };
    this.queue = new RunQueue({
      concurrency: settings().concurrency,
      launch,
      stopGraceMs: settings().stopGraceMs,
      get reuseTrainers() {
        return settings().reuseTrainers ?? false;
      },
    });
    this.queue.on('started', (entry) => this.update(entry.runId, { status: 'running' }));
    this.queue.on('message', (entry, message) => this.onMessage(entry, message));
    this.queue.on('finished', (entry, info) => this.onFinished(entry, info));
  }

  /** Re-reads the settings (call on a configuration change). */
  applySettings(): void {
    this.queue.setConcurrency(this.opts.settings().concurrency);
  }

  /** Queues runs; each gets its id (and folder) at once. */
  start(specs: RunSpec[], extra: { resumeFrom?: string } = {}): LiveRun[] {
    if (this.disposed) throw new Error('the run manager has been shut down');
    const { runsDir, backend } = this.opts.settings();
    return specs.map((spec) => {
      const options: StartRunOptions = {
        runsDir,
        streamIntervalMs: this.opts.streamIntervalMs ?? 50,
        ...(backend ? { backend } : {}),
        ...(extra.resumeFrom ? { resumeFrom: extra.resumeFrom } : {}),
      };
      const entry = this.queue.enqueue(spec, options);
      const run: LiveRun = { runId: entry.runId, runDir: entry.runDir, spec, status: 'queued', resumedFrom: extra.resumeFrom };
      this.runs.set(entry.runId, run);
      this.emit('changed', run);
      return run;
    });
  }

  /** Stops one run: a queued one is dropped, a running one asked to checkpoint, then killed. */
  stop(runId: string): Promise<ExitInfo> | undefined {
    return this.queue.cancel(runId, this.opts.settings().stopGraceMs);
  }

  stopAll(): Promise<void> {
    return this.queue.stopAll(this.opts.settings().stopGraceMs);
  }

  /** Kills the trainer at once (tests and "the process hangs"). */
  kill(runId: string): Promise<ExitInfo> | undefined {
    const entry = this.queue.get(runId);
    return entry?.handle?.kill() ?? entry?.done;
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }

  /** Runs this manager started that have not ended yet. */
  active(): LiveRun[] {
    return [...this.runs.values()].filter((run) => run.status === 'queued' || run.status === 'running');
  }

  all(): LiveRun[] {
    return [...this.runs.values()];
  }

  counts(): { running: number; queued: number } {
    return { running: this.queue.activeCount, queued: this.queue.queuedCount };
  }

  isActive(runId: string): boolean {
    const status = this.runs.get(runId)?.status;
    return status === 'queued' || status === 'running';
  }

  /** Resolves when nothing runs or waits. */
  whenIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Stops every child: gracefully within the grace period, then by force. Nothing outlives this. */
  async dispose(graceMs = Math.min(this.opts.settings().stopGraceMs, 4000)): Promise<void> {
    this.disposed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs + 500)));
    const outcome = await Promise.race([this.queue.stopAll(graceMs).then(() => 'stopped' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.queue.killAll();
  }

  private onMessage(entry: QueuedRun, message: TrainerToHost): void {
    switch (message.type) {
      case 'started':
        this.update(entry.runId, { status: 'running', backend: message.backend, params: message.params, totalSteps: message.totalSteps });
        break;
      case 'metrics': {
        const lastTrain = [...message.records].reverse().find((record) => record.kind === 'train');
        const lastStep = message.records.at(-1)?.step;
        this.update(entry.runId, { step: lastStep, ...(lastTrain ? { lastLoss: lastTrain.loss } : {}) });
        this.emit('metrics', entry.runId, message.records);
        break;
      }
      case 'spectrum':
        this.emit('spectrum', entry.runId, message.record);
        break;
      case 'log':
        this.emit('log', message.level, `[${entry.runId}] ${message.message}`);
        break;
      default:
        break;
    }
  }

  private onFinished(entry: QueuedRun, info: ExitInfo): void {
    const tail = entry.handle?.outputTail();
    const run = this.update(entry.runId, { status: info.status, error: info.error, outputTail: tail });
    if (run) this.emit('finished', run, info);
  }

  private update(runId: string, patch: Partial<LiveRun>): LiveRun | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) (run as unknown as Record<string, unknown>)[key] = value;
    this.emit('changed', run);
    return run;
  }
}
