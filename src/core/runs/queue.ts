/**
 * A FIFO queue of trainer processes with a concurrency limit, shared by the CLI (--parallel) and
 * the extension's RunManager. Each enqueued run gets its id reserved at once (its directory is
 * created exclusively), so ids shown to the user while a run waits are the ids it will have.
 *
 * Every run gets its own trainer process by default: a crash, a leak or a stray allocation dies
 * with its run. With `reuseTrainers`, a trainer that completed a run leak-free is handed the next
 * waiting run that asks for the same backend instead: in a sweep of short runs the start-up of a
 * trainer (Node, the bundle, wasm, V8 warming up) costs more CPU than the
 * training. A trainer nobody needs right away is closed, so none lingers.
 */
import { availableParallelism } from 'node:os';
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from '../experiment/types';
import type { StartRunOptions, TrainerToHost } from '../protocol';
import { SafeEmitter } from './emitter';
import { isUnusedRunDir, reserveRunDir } from './ids';
import { launchTrainer, type ExitInfo, type IdleTrainer, type LaunchOptions, type TrainerHandle } from './launcher';

export type QueuedRunState = 'queued' | 'running' | 'done';

export interface QueuedRun {
  readonly runId: string;
  readonly runDir: string;
  readonly spec: RunSpec;
  readonly options: StartRunOptions;
  /** 0-based position in enqueue order. */
  readonly index: number;
  state: QueuedRunState;
  handle?: TrainerHandle;
  exit?: ExitInfo;
  /** Resolves when the run ends (or is cancelled before starting). */
  readonly done: Promise<ExitInfo>;
}

export interface RunQueueOptions {
  /** Runs at once (default: the number of cores). */
  concurrency?: number;
  /** How to start a trainer (path, node, env); spec and options come from each run. */
  launch: Omit<LaunchOptions, 'spec' | 'options' | 'reuse' | 'keepIdleTrainer'>;
  /** Run the next waiting run in a trainer that completed one, rather than a new process (default false: a process per run). */
  reuseTrainers?: boolean;
  /** Grace period for stop() before the trainer is killed. */
  stopGraceMs?: number;
}

export type RunQueueEvents = {
  queued: [QueuedRun];
  started: [QueuedRun];
  message: [QueuedRun, TrainerToHost];
  finished: [QueuedRun, ExitInfo];
  idle: [];
};

interface RunEntry extends QueuedRun {
  resolve(info: ExitInfo): void;
}

export class RunQueue extends SafeEmitter<RunQueueEvents> {
  private concurrencyLimit: number;
  private readonly entries: RunEntry[] = [];
  private readonly waiting: RunEntry[] = [];
  /** Trainers that completed a run, by the backend they were asked for; empty again after each pump. */
  private readonly idleTrainers: { trainer: IdleTrainer; backend: string }[] = [];
  /** Idle trainers told to exit and not gone yet (onIdle waits for them). */
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly opts: RunQueueOptions) {
    super();
    this.concurrencyLimit = validConcurrency(opts.concurrency ?? availableParallelism());
  }

  get concurrency(): number {
    return this.concurrencyLimit;
  }

  /** Changes the limit live (e.g. a settings change); extra slots start waiting runs at once. */
  setConcurrency(limit: number): void {
    this.concurrencyLimit = validConcurrency(limit);
    this.pump();
  }

  get runs(): readonly QueuedRun[] {
    return this.entries;
  }

  get activeCount(): number {
    return this.entries.filter((entry) => entry.state === 'running').length;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  get(runId: string): QueuedRun | undefined {
    return this.entries.find((entry) => entry.runId === runId);
  }

  enqueue(spec: RunSpec, options: StartRunOptions): QueuedRun {
    const { id, dir } = options.runId ? { id: options.runId, dir: join(options.runsDir, options.runId) } : reserveRunDir(options.runsDir, spec);
    let resolve!: (info: ExitInfo) => void;
    const done = new Promise<ExitInfo>((r) => (resolve = r));
    const entry: RunEntry = { runId: id, runDir: dir, spec, options: { ...options, runId: id }, index: this.entries.length, state: 'queued', done, resolve };
    this.entries.push(entry);
    this.waiting.push(entry);
    this.emit('queued', entry);
    this.pump();
    return entry;
  }

  /** Cancels a waiting run (its reserved folder is removed) or stops a running one gracefully. */
  cancel(runId: string, graceMs = this.opts.stopGraceMs): Promise<ExitInfo> | undefined {
    const entry = this.entries.find((candidate) => candidate.runId === runId);
    if (!entry) return undefined;
    if (entry.state === 'queued') this.dropWaiting(entry);
    else if (entry.state === 'running') void entry.handle!.stop(graceMs);
    return entry.done;
  }

  /** Cancels every waiting run and stops every running one; resolves when all have ended. */
  async stopAll(graceMs = this.opts.stopGraceMs): Promise<void> {
    for (const entry of [...this.waiting]) this.dropWaiting(entry);
    await Promise.all(this.entries.filter((entry) => entry.state === 'running').map((entry) => entry.handle!.stop(graceMs)));
  }

  /** Cancels waiting runs and SIGKILLs running ones (a second Ctrl-C, or deactivation timing out). */
  async killAll(): Promise<void> {
    for (const entry of [...this.waiting]) this.dropWaiting(entry);
    await Promise.all(this.entries.filter((entry) => entry.state === 'running').map((entry) => entry.handle!.kill()));
  }

  /** Resolves once nothing is running or waiting, and every trainer process the queue kept has exited. */
  async onIdle(): Promise<void> {
    if (!this.isIdle()) await new Promise<void>((resolve) => this.once('idle', resolve));
    await Promise.all(this.closing);
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.activeCount === 0;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.activeCount < this.concurrencyLimit) this.start(this.waiting.shift()!);
    this.closeIdleTrainers();
  }

  private start(entry: RunEntry): void {
    entry.state = 'running';
    const backend = backendAskedFor(entry);
    const reuseTrainers = this.opts.reuseTrainers ?? false;
    // The option may be turned off while a trainer waits (a live setting): then it is not used.
    const reuse = reuseTrainers ? this.takeIdleTrainer(backend) : undefined;
    const handle = launchTrainer({ ...this.opts.launch, spec: entry.spec, options: entry.options, reuse, keepIdleTrainer: reuseTrainers });
    entry.handle = handle;
    handle.on('message', (message) => this.emit('message', entry, message));
    handle.on('exit', (info) => {
      const trainer = handle.takeIdleTrainer();
      if (trainer) this.idleTrainers.push({ trainer, backend });
      this.settle(entry, info);
    });
    this.emit('started', entry);
  }

  private takeIdleTrainer(backend: string): IdleTrainer | undefined {
    const index = this.idleTrainers.findIndex((idle) => idle.backend === backend && idle.trainer.usable);
    return index < 0 ? undefined : this.idleTrainers.splice(index, 1)[0].trainer;
  }

  private closeIdleTrainers(): void {
    for (const { trainer } of this.idleTrainers.splice(0)) {
      const closed = trainer.close().finally(() => this.closing.delete(closed));
      this.closing.add(closed);
    }
  }

  private dropWaiting(entry: RunEntry): void {
    this.waiting.splice(this.waiting.indexOf(entry), 1);
    removeReservedDir(entry.runDir);
    this.settle(entry, { code: null, signal: null, status: 'cancelled', error: 'cancelled before it started', runId: entry.runId, runDir: entry.runDir });
  }

  private settle(entry: RunEntry, info: ExitInfo): void {
    if (entry.state === 'done') return;
    entry.state = 'done';
    entry.exit = info;
    entry.resolve(info);
    this.emit('finished', entry, info);
    this.pump();
    if (this.isIdle()) this.emit('idle');
  }
}

/**
 * A trainer process keeps the backend its first run initialised, and 'auto' then means "the one
 * already loaded": so a process only takes runs that ask for the same backend as the one it served.
 */
function backendAskedFor(entry: QueuedRun): string {
  return entry.options.backend ?? entry.spec.config.backend ?? 'auto';
}

function validConcurrency(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${limit}`);
  return limit;
}

function removeReservedDir(dir: string): void {
  if (!isUnusedRunDir(dir)) return;
  try {
    rmdirSync(dir);
  } catch {
    /* not empty (someone wrote into it) or already gone: leave it */
  }
}
