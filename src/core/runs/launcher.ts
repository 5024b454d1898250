/**
 * Starts one trainer process (dist/trainer.js) and supervises it: typed IPC messages, the
 * process's output kept in `stderr.log` (and the last lines in memory for error messages),
 * graceful stop then force, and — the one case where the host writes run.json — marking a run
 * `crashed` when its trainer exits without having sent `finished`.
 * A trainer that completed a run may offer to take another (a second `ready`); with
 * `keepIdleTrainer` the handle then ends its run without ending the process, and hands the
 * process on (takeIdleTrainer) for the next run's `reuse` — see RunQueue.
 * Shared by the CLI and the extension's RunManager; no vscode import.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { RunSpec } from '../experiment/types';
import type { HostToTrainer, RunStatus, StartRunOptions, TrainerToHost } from '../protocol';
import { TERMINAL_STATUSES } from '../protocol';
import { SafeEmitter } from './emitter';
import { RUN_FILES } from './paths';
import { RunWriter } from './writer';

export interface LaunchOptions {
  /** Path of the bundled trainer (dist/trainer.js). */
  trainerPath: string;
  /** A Node binary; when absent, the current executable runs as Node (ELECTRON_RUN_AS_NODE=1 inside VS Code). */
  nodePath?: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  spec: RunSpec;
  options: StartRunOptions;
  /** Send `start` when the trainer says `ready` (default), or right after spawning. */
  startOn?: 'ready' | 'spawn';
  /** Lines of output kept in memory for error messages. */
  tailLines?: number;
  /** A trainer still alive this long after `finished` is disconnected, then killed (default 5000). */
  exitAfterFinishedMs?: number;
  /** A trainer process waiting after an earlier run (takeIdleTrainer): this run starts in it, no new process. */
  reuse?: IdleTrainer;
  /**
   * When the run completes and the trainer offers to take another, keep the process for
   * takeIdleTrainer() (the run ends with code and signal null). Otherwise it is disconnected at once and exits.
   */
  keepIdleTrainer?: boolean;
  /**
   * Scheduling niceness of the trainer (0 = the host's own priority; default TRAINER_NICENESS).
   * Lowering it never needs a privilege.
   */
  niceness?: number;
}

/**
 * Trainers run below normal priority: a training run keeps a core busy for as long as it lasts,
 * and on a small machine the editor (VS Code's UI, its extension host) must still get the CPU at
 * once when the user types or opens the palette. On an otherwise idle machine the trainer loses
 * nothing: priority only matters when threads compete.
 */
export const TRAINER_NICENESS = 10;

export interface ExitInfo {
  /** null when the process was killed by a signal, or lives on for another run (keepIdleTrainer). */
  code: number | null;
  signal: NodeJS.Signals | null;
  status: RunStatus;
  error?: string;
  runId?: string;
  runDir?: string;
}

export type TrainerEvents = {
  message: [TrainerToHost];
  exit: [ExitInfo];
  /** A line the trainer wrote to stderr or stdout. */
  output: [string];
};

const FORCE_AFTER_TERM_MS = 2000;

/** A trainer process between runs: it completed one, said `ready` again, and waits for `start`. */
export class IdleTrainer {
  private claimed = false;

  constructor(private readonly child: ChildProcess) {
    // Nobody listens to it while it waits: a late error must not become an uncaught exception.
    this.guard('on');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Alive, connected and not yet given to a run. */
  get usable(): boolean {
    return !this.claimed && this.child.connected && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** For the handle that runs the next spec in this process (once). */
  claim(): ChildProcess {
    if (this.claimed) throw new Error(`internal: idle trainer ${this.child.pid} was already given to a run`);
    this.claimed = true;
    // The run's handle listens from now on (and a process serving many runs must not gather listeners).
    this.guard('off');
    return this.child;
  }

  private guard(method: 'on' | 'off'): void {
    const targets: (EventEmitter | null)[] = [this.child, this.child.stdout, this.child.stderr];
    for (const target of targets) {
      if (method === 'on') target?.on('error', ignore);
      else target?.off('error', ignore);
    }
  }

  /** Lets the process go: an idle trainer exits when disconnected; SIGKILL if it has not within 2 s. Resolves on exit. */
  close(): Promise<void> {
    this.claimed = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), FORCE_AFTER_TERM_MS);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
  }
}

function ignore(): void {
  /* see IdleTrainer */
}

export class TrainerHandle extends SafeEmitter<TrainerEvents> {
  readonly exited: Promise<ExitInfo>;
  private child: ChildProcess;
  private resolveExit!: (info: ExitInfo) => void;
  private exitInfo?: ExitInfo;
  private finishedMessage?: Extract<TrainerToHost, { type: 'finished' }>;
  private stopRequested = false;
  private forced = false;
  private started = false;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly output: OutputLog;
  /** Removes this run's listeners from the child, when the process is handed on to another run. */
  private readonly detachers: (() => void)[] = [];
  private idle?: IdleTrainer;
  private _runId?: string;
  private _runDir?: string;

  constructor(private readonly opts: LaunchOptions) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.output = new OutputLog(opts.tailLines ?? 50, (line) => this.emit('output', line));
    if (opts.options.runId) this.setRun(opts.options.runId, join(opts.options.runsDir, opts.options.runId));
    this.child = opts.reuse ? this.adopt(opts.reuse) : this.spawn();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get runId(): string | undefined {
    return this._runId;
  }
  get runDir(): string | undefined {
    return this._runDir;
  }
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }
  /** The last lines the trainer printed (for error messages). */
  outputTail(): string[] {
    return this.output.tail();
  }

  /** Asks the trainer to stop (it checkpoints and marks the run cancelled); SIGTERM after `graceMs`, SIGKILL soon after. */
  stop(graceMs = 5000, reason?: string): Promise<ExitInfo> {
    if (this.exitInfo) return this.exited;
    if (!this.stopRequested) {
      this.stopRequested = true;
      // Not started yet: there is nothing to checkpoint, so end the process right away.
      if (!this.started) this.signal('SIGTERM');
      else this.send({ type: 'stop', reason });
      this.later(graceMs, () => {
        this.forced = true;
        this.signal('SIGTERM');
        this.later(FORCE_AFTER_TERM_MS, () => this.signal('SIGKILL'));
      });
    }
    return this.exited;
  }

  /** Kills the trainer at once (SIGKILL). A run killed this way after stop() is cancelled, else crashed. */
  kill(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** The process, if this run completed and its trainer waits for another (keepIdleTrainer); once. */
  takeIdleTrainer(): IdleTrainer | undefined {
    const idle = this.idle;
    this.idle = undefined;
    return idle;
  }

  private spawn(): ChildProcess {
    const { trainerPath, nodePath, execArgv, env } = this.opts;
    const childEnv = { ...process.env, ...env };
    if (!nodePath) childEnv.ELECTRON_RUN_AS_NODE = '1';
    const child = fork(trainerPath, [], {
      execPath: nodePath ?? process.execPath,
      execArgv: execArgv ?? [],
      env: childEnv,
      serialization: 'json',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    lowerPriority(child.pid, this.opts.niceness ?? TRAINER_NICENESS);
    this.attach(child);
    if (this.opts.startOn === 'spawn') child.once('spawn', () => this.sendStart());
    return child;
  }

  /** Runs this spec in a trainer that is waiting after an earlier run: it is ready, so `start` goes at once. */
  private adopt(idle: IdleTrainer): ChildProcess {
    const alive = idle.usable;
    const child = (this.child = idle.claim());
    this.attach(child);
    if (alive) this.sendStart();
    // It died while idle: its exit event has passed, so end the run here (crashed, nothing ran).
    else setImmediate(() => this.safely(() => this.finalize(child.exitCode, child.signalCode)));
    return child;
  }

  private attach(child: ChildProcess): void {
    const on = (target: EventEmitter | null, event: string, fn: Parameters<EventEmitter['on']>[1]) => {
      if (!target) return;
      target.on(event, fn);
      this.detachers.push(() => target.off(event, fn));
    };
    on(child.stdout, 'data', (chunk: Buffer) => this.output.write(chunk));
    on(child.stderr, 'data', (chunk: Buffer) => this.output.write(chunk));
    on(child, 'message', (message: unknown) => this.safely(() => this.onMessage(message as TrainerToHost)));
    on(child, 'exit', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exitCode = code;
      this.exitSignal = signal;
      // 'close' does not come when the host disconnected the channel, so also finish once output ends.
      void outputEnded(child).then(() => this.safely(() => this.finalize(code, signal)));
    });
    on(child, 'close', (code: number | null, signal: NodeJS.Signals | null) =>
      this.safely(() => this.finalize(code ?? this.exitCode, signal ?? this.exitSignal)),
    );
    on(child, 'error', (error: Error) => this.safely(() => this.onSpawnError(error)));
  }

  private detach(): void {
    for (const off of this.detachers.splice(0)) off();
  }

  private onMessage(message: TrainerToHost): void {
    if (!message || typeof message !== 'object') return;
    // A `ready` after `finished` is the process offering itself for another run, not part of this one.
    if (message.type === 'ready' && this.finishedMessage) return this.onTrainerIdle();
    if (message.type === 'ready') this.sendStart();
    if (message.type === 'started') this.setRun(message.runId, message.runDir);
    if (message.type === 'finished') this.onFinished(message);
    this.emit('message', message);
  }

  /** The run is over; make sure the process does not linger (e.g. a handle left open). */
  private onFinished(message: Extract<TrainerToHost, { type: 'finished' }>): void {
    this.finishedMessage = message;
    this.later(this.opts.exitAfterFinishedMs ?? 5000, () => {
      if (this.child.connected) this.child.disconnect();
      this.later(FORCE_AFTER_TERM_MS, () => this.signal('SIGKILL'));
    });
  }

  /** The run completed and its trainer waits for another: keep the process for the queue, or let it exit now. */
  private onTrainerIdle(): void {
    if (!this.opts.keepIdleTrainer || this.stopRequested || this.finishedMessage?.status !== 'completed') {
      if (this.child.connected) this.child.disconnect();
      return;
    }
    this.detach();
    this.idle = new IdleTrainer(this.child);
    this.finalize(null, null);
  }

  private sendStart(): void {
    if (this.started || this.stopRequested) return;
    this.started = true;
    this.send({ type: 'start', spec: this.opts.spec, options: this.opts.options });
  }

  private setRun(runId: string, runDir: string): void {
    this._runId = runId;
    this._runDir = runDir;
    this.output.attach(join(runDir, RUN_FILES.stderr));
  }

  private onSpawnError(error: Error): void {
    this.output.write(Buffer.from(`symlora: cannot run the trainer (${this.opts.nodePath ?? process.execPath} ${this.opts.trainerPath}): ${error.message}\n`));
    // A process that never started emits no 'close': finish here.
    if (this.child.pid === undefined) this.finalize(null, null);
  }

  private finalize(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    this.output.flush();
    for (const timer of this.timers) clearTimeout(timer);
    const info = this.exitInfoFor(code, signal);
    this.recordOutcome(info);
    this.exitInfo = info;
    this.output.close();
    this.resolveExit(info);
    this.emit('exit', info);
  }

  private exitInfoFor(code: number | null, signal: NodeJS.Signals | null): ExitInfo {
    const base = { code, signal, runId: this._runId, runDir: this._runDir };
    const finished = this.finishedMessage;
    if (finished) return { ...base, status: finished.status, ...(finished.error ? { error: finished.error } : {}) };
    if (this.stopRequested) {
      const error = this.forced ? 'stopped by the user; the trainer did not finish in time and was killed' : 'stopped by the user';
      return { ...base, status: 'cancelled', error };
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.output.tail().join('\n');
    return { ...base, status: 'crashed', error: `the trainer ${how} without a final status${tail ? `\n${tail}` : ''}` };
  }

  /** Makes run.json agree with the outcome when the trainer could not write it itself. */
  private recordOutcome(info: ExitInfo): void {
    if (!this._runDir) return;
    try {
      const writer = openOrCreate(this._runDir, this.opts, info.status);
      if (!writer) return;
      if (TERMINAL_STATUSES.includes(writer.record().status)) return;
      writer.finish(info.status, info.error ? { error: info.error } : {});
    } catch (error) {
      info.error = `${info.error ?? ''}${info.error ? '\n' : ''}(could not record the outcome in run.json: ${(error as Error).message})`;
    }
  }

  private send(message: HostToTrainer): void {
    if (!this.child.connected) return;
    try {
      this.child.send(message, (error) => {
        if (error) this.output.write(Buffer.from(`symlora: could not send '${message.type}' to the trainer: ${error.message}\n`));
      });
    } catch {
      /* channel closed between the check and the send: the exit handler takes over */
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exitInfo || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.child.kill(signal);
    } catch {
      /* already gone */
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      process.stderr.write(`symlora: launcher error: ${(error as Error).stack ?? String(error)}\n`);
    }
  }
}

/** Resolves when the child's stdout and stderr have closed (so the output tail is complete), or after 1 s. */
function outputEnded(child: ChildProcess): Promise<void> {
  const closed = (stream: NodeJS.ReadableStream | null) =>
    new Promise<void>((resolve) => {
      if (!stream || (stream as unknown as { closed?: boolean }).closed) resolve();
      else stream.once('close', () => resolve());
    });
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1000));
  return Promise.race([Promise.all([closed(child.stdout), closed(child.stderr)]).then(() => undefined), timeout]);
}

export function launchTrainer(opts: LaunchOptions): TrainerHandle {
  return new TrainerHandle(opts);
}

/** The run's writer, or a fresh run.json in a reserved (still empty) directory if the trainer died before writing one. */
function openOrCreate(runDir: string, opts: LaunchOptions, status: RunStatus): RunWriter | undefined {
  if (existsSync(join(runDir, RUN_FILES.record))) return RunWriter.reopen(runDir);
  if (!existsSync(runDir) || !opts.options.runId) return undefined;
  if (status === 'cancelled') {
    // Stopped before it began: leave no trace, as for a run cancelled while queued.
    removeIfUnused(runDir);
    return undefined;
  }
  const writer = RunWriter.create(opts.options.runsDir, opts.spec, { runId: opts.options.runId });
  writer.update({ pid: undefined });
  return writer;
}

function removeIfUnused(dir: string): void {
  try {
    if (readdirSync(dir).every((name) => name === RUN_FILES.stderr)) rmSync(dir, { recursive: true });
  } catch {
    /* already gone, or in use: leave it */
  }
}

/** Buffers output until the run dir is known, then appends it to stderr.log; keeps the last lines. */
class OutputLog {
  private pending: Buffer[] = [];
  private file?: string;
  private lines: string[] = [];
  private partial = '';
  private closed = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly keep: number,
    private readonly onLine: (line: string) => void,
  ) {}

  write(chunk: Buffer): void {
    if (this.file) this.append(chunk);
    else if (!this.closed) this.pending.push(chunk);
    this.split(this.decoder.write(chunk));
  }

  attach(file: string): void {
    if (this.file) return;
    this.file = file;
    const pending = this.pending;
    this.pending = [];
    // Written even when empty, so every run directory has its stderr.log.
    this.append(Buffer.concat(pending));
  }

  flush(): void {
    if (this.partial) this.pushLine(this.partial);
    this.partial = '';
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }

  tail(): string[] {
    return [...this.lines, ...(this.partial ? [this.partial] : [])];
  }

  private append(chunk: Buffer): void {
    try {
      appendFileSync(this.file!, chunk);
    } catch {
      /* the run dir may be gone or read-only: the in-memory tail still carries the message */
    }
  }

  private split(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.pushLine(line);
  }

  private pushLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    this.onLine(line);
  }
}

/**
 * Called as soon as fork() returns, before the child's Node has started its worker threads (V8's,
 * libuv's, OpenBLAS's), which inherit the niceness on Linux, where it is per thread (tested).
 * Best effort: a platform or process that refuses (it has exited already) keeps its priority.
 */
function lowerPriority(pid: number | undefined, niceness: number): void {
  if (pid === undefined || niceness <= 0) return;
  try {
    setPriority(pid, Math.min(19, niceness));
  } catch {
    // not fatal: the run trains at normal priority
  }
}
