/**
 * End-to-end figures through the real trainer process (dist/trainer.js) and the real launcher and
 * queue (src/core/runs): time from Run to the first metric, peak RSS, IPC latency while a run
 * streams, and sweeps at --parallel 1 vs 2: wall time, speed-up and CPU seconds per run, for runs
 * of the paper's USE-Lite task (~20 s) and of its teacher task (~1 s, mostly a trainer's start-up).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expandSweep } from '../src/core/experiment/sweep';
import { loadExperimentFile } from '../src/core/experiment/load';
import type { ExperimentConfig, RunSpec } from '../src/core/experiment/types';
import type { TrainerToHost } from '../src/core/protocol';
import { launchTrainer } from '../src/core/runs/launcher';
import { RunQueue } from '../src/core/runs/queue';
import { quantile } from './stats';

const ROOT = resolve(__dirname, '..');
const TRAINER = join(ROOT, 'dist', 'trainer.js');
const STAMPER = join(ROOT, 'bench', 'ipcStamp.cjs');
const QUICKSTART = join(ROOT, 'examples', 'quickstart.symlora.json');
const PAPER_TEACHER = join(ROOT, 'examples', 'paper', 'teacher-symmetric.symlora.json');
const PAPER_USE_LITE = join(ROOT, 'examples', 'paper', 'use-lite-sentiment.symlora.json');

export interface FirstRunFigures {
  /** ms from launchTrainer() to the trainer's `ready`, `started`, first `metrics` message. */
  readyMs: number;
  startedMs: number;
  firstMetricMs: number;
  totalMs: number;
  peakRssMb: number;
  ipcLatencyMs: { p50: number; p99: number; max: number; messages: number };
  status: string;
  backend?: string;
  /** Shared BLAS library mapped into the trainer (ops.ts loads it through koffi), if any. */
  blasLibrary?: string;
}

/** The BLAS shared object mapped into a process, from /proc/PID/maps. */
function mappedBlas(pid: number | undefined): string | undefined {
  if (!pid) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/maps`, 'utf8')
      .split('\n')
      .find((l) => /lib(open)?blas/.test(l));
    return line?.trim().split(/\s+/).pop();
  } catch {
    return undefined;
  }
}

export interface SweepFigures {
  /** What each run is, e.g. "quickstart, 3 epochs" (a startup-dominated ~1 s run). */
  label: string;
  runs: number;
  /** Whether the queue handed a waiting run to a trainer that completed one (RunQueue reuseTrainers). */
  reuseTrainers: boolean;
  serialMs: number;
  parallelMs: number;
  speedup: number;
  /** CPU seconds the trainers used in each mode: equal totals mean the speed-up is bounded by free cores. */
  serialCpuSec: number;
  parallelCpuSec: number;
  /** The same per run: what one run costs the machine, robust to other load. */
  serialCpuPerRun: number;
  parallelCpuPerRun: number;
  /** Trainer processes started in each mode. */
  serialProcesses: number;
  parallelProcesses: number;
  /** CPU seconds of this process, the host supervising the queue (IPC, run records), in each mode. */
  hostCpuSec: { serial: number; parallel: number };
  /** 1-minute load average just before each mode: wall times mean little when it is above ~1.5 on 2 cores. */
  loadBefore: { serial: number; parallel: number };
  failed: number;
}

/** CPU seconds of this process's exited, waited-for children (cutime + cstime, /proc/self/stat). */
export function childrenCpuSec(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // Fields after "comm)": index 0 is state (field 3), so cutime (16) and cstime (17) are 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

export function quickstartSpecs(): RunSpec[] {
  const config = loadExperimentFile(QUICKSTART);
  return expandSweep(config, QUICKSTART);
}

/** Peak resident memory of a process so far (VmHWM), MB; undefined once it has gone. */
function peakRssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One quickstart run through launchTrainer, with IPC send stamps. */
export async function firstRun(spec: RunSpec = quickstartSpecs()[0]): Promise<FirstRunFigures> {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-bench-'));
  try {
    const t0 = performance.now();
    const handle = launchTrainer({ trainerPath: STAMPER, env: { SYMLORA_BENCH_TRAINER: TRAINER }, spec, options: { runsDir } });
    const marks: Record<string, number> = {};
    const latencies: number[] = [];
    let backend: string | undefined;
    let blasLibrary: string | undefined;
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(handle.pid) ?? 0)), 50);
    handle.on('message', (message: TrainerToHost & { sentAt?: number }) => {
      const now = performance.now();
      marks[message.type] ??= now - t0;
      if (message.type === 'started') backend = message.backend;
      if (message.type === 'metrics' && message.sentAt) latencies.push(performance.timeOrigin + now - message.sentAt);
      if (message.type === 'metrics' && latencies.length === 1) blasLibrary = mappedBlas(handle.pid);
      if (message.type === 'finished') peak = Math.max(peak, peakRssMb(handle.pid) ?? 0);
    });
    const exit = await handle.exited;
    clearInterval(poll);
    const sorted = latencies.sort((a, b) => a - b);
    return {
      readyMs: marks.ready ?? NaN,
      startedMs: marks.started ?? NaN,
      firstMetricMs: marks.metrics ?? NaN,
      totalMs: performance.now() - t0,
      peakRssMb: peak,
      ipcLatencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, messages: sorted.length },
      status: exit.status,
      backend,
      blasLibrary,
    };
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

interface SweepMode {
  ms: number;
  cpuSec: number;
  hostCpuSec: number;
  processes: number;
  load: number;
  failed: number;
}

/** The specs through RunQueue at a concurrency; CPU counts every trainer, reaped before it returns. */
async function sweepWall(specs: RunSpec[], concurrency: number, reuseTrainers: boolean, basesDir: string): Promise<SweepMode> {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-bench-sweep-'));
  try {
    const load = loadavg()[0];
    const queue = new RunQueue({ concurrency, launch: { trainerPath: TRAINER }, reuseTrainers });
    const pids = new Set<number | undefined>();
    queue.on('started', (run) => pids.add(run.handle?.pid));
    const t0 = performance.now();
    const cpu0 = childrenCpuSec();
    const host0 = process.cpuUsage();
    const runs = specs.map((spec) => queue.enqueue(spec, { runsDir, basesDir }));
    const exits = await Promise.all(runs.map((r) => r.done));
    const ms = performance.now() - t0;
    const host = process.cpuUsage(host0);
    // Kept trainers exit after the last run: wait, so that their CPU time is counted.
    await queue.onIdle();
    return {
      ms,
      cpuSec: childrenCpuSec() - cpu0,
      hostCpuSec: (host.user + host.system) / 1e6,
      processes: pids.size,
      load,
      failed: exits.filter((e) => e.status !== 'completed').length,
    };
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

/** Which runs of an experiment's sweep a bench uses: some seeds and ranks (default all), optionally fewer epochs. */
export interface SpecPick {
  seeds?: number[];
  ranks?: number[];
  epochs?: number;
}

/** The runs of an experiment file's sweep that `pick` selects. */
function experimentSpecs(file: string, pick: SpecPick): RunSpec[] {
  const config = loadExperimentFile(file);
  return expandSweep(config, file)
    .filter(
      (spec) => (pick.seeds ?? [spec.config.seed]).includes(spec.config.seed) && (pick.ranks ?? [spec.config.adapter.rank]).includes(spec.config.adapter.rank),
    )
    .map((spec) => (pick.epochs === undefined ? spec : { ...spec, config: { ...spec.config, train: { ...spec.config.train, epochs: pick.epochs } } }));
}

/**
 * An experiment of the paper suite as researchers run it (examples/paper/teacher-symmetric: LoRA
 * and SymLoRA at ranks 1–16, five seeds, 50 runs of 256 steps, ~1 s each), or the part of it at
 * `seeds` and `ranks`, optionally with fewer epochs.
 */
export function paperSpecs(pick: SpecPick = {}): RunSpec[] {
  return experimentSpecs(PAPER_TEACHER, pick);
}

/**
 * The paper suite's USE-Lite sentiment task (adapters inside a pretrained attention encoder,
 * ~20 s a run on this machine): LoRA and SymLoRA at ranks 4 and 8, seeds 0 and 1, 8 runs.
 */
export function useLiteSpecs(pick: SpecPick = { seeds: [0, 1], ranks: [4, 8] }): RunSpec[] {
  return experimentSpecs(PAPER_USE_LITE, pick);
}

/**
 * The same runs at --parallel 1 and at --parallel 2. A shared pretrained base (USE-Lite's) is
 * built first by a one-epoch warm-up run, outside the timing, as a sweep builds it once.
 */
export async function sweep(label: string, specs: RunSpec[], reuseTrainers = false): Promise<SweepFigures> {
  const basesDir = mkdtempSync(join(tmpdir(), 'symlora-bench-bases-'));
  try {
    const first = specs[0];
    if (first.config.pretrain) {
      await sweepWall([{ ...first, config: { ...first.config, train: { ...first.config.train, epochs: 1 } } }], 1, false, basesDir);
    }
    const serial = await sweepWall(specs, 1, reuseTrainers, basesDir);
    const parallel = await sweepWall(specs, 2, reuseTrainers, basesDir);
    return {
      label,
      runs: specs.length,
      reuseTrainers,
      serialMs: serial.ms,
      parallelMs: parallel.ms,
      speedup: serial.ms / parallel.ms,
      serialCpuSec: serial.cpuSec,
      parallelCpuSec: parallel.cpuSec,
      serialCpuPerRun: serial.cpuSec / specs.length,
      parallelCpuPerRun: parallel.cpuSec / specs.length,
      serialProcesses: serial.processes,
      parallelProcesses: parallel.processes,
      hostCpuSec: { serial: serial.hostCpuSec, parallel: parallel.hostCpuSec },
      loadBefore: { serial: serial.load, parallel: parallel.load },
      failed: serial.failed + parallel.failed,
    };
  } finally {
    rmSync(basesDir, { recursive: true, force: true });
  }
}

export type { ExperimentConfig };
