/**
 * End-to-end figures through the real trainer process (dist/trainer.js) and the real launcher and
 * queue (src/core/runs): time from Run to the first metric, peak RSS, IPC latency while a run
 * streams, and the wall time of an 8-run sweep at --parallel 1 vs 2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    const line = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => /lib(open)?blas/.test(l));
    return line?.trim().split(/\s+/).pop();
  } catch {
    return undefined;
  }
}

export interface SweepFigures {
  runs: number;
  serialMs: number;
  parallelMs: number;
  speedup: number;
  /** CPU seconds the trainers used in each mode: equal totals mean the speed-up is bounded by free cores. */
  serialCpuSec: number;
  parallelCpuSec: number;
  failed: number;
}

/** CPU seconds of this process's exited, waited-for children (cutime + cstime, /proc/self/stat). */
function childrenCpuSec(): number {
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

/** 8 quickstart-sized runs (2 adapter kinds × 4 seeds) through RunQueue at a concurrency. */
async function sweepWall(specs: RunSpec[], concurrency: number): Promise<{ ms: number; cpuSec: number; failed: number }> {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-bench-sweep-'));
  try {
    const queue = new RunQueue({ concurrency, launch: { trainerPath: TRAINER } });
    const t0 = performance.now();
    const cpu0 = childrenCpuSec();
    const runs = specs.map((spec) => queue.enqueue(spec, { runsDir }));
    const exits = await Promise.all(runs.map((r) => r.done));
    return { ms: performance.now() - t0, cpuSec: childrenCpuSec() - cpu0, failed: exits.filter((e) => e.status !== 'completed').length };
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

export function sweepSpecs(epochs: number, seeds = 4): RunSpec[] {
  const base = quickstartSpecs();
  const specs: RunSpec[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const spec of base) {
      const config: RunSpec['config'] = { ...spec.config, seed, train: { ...spec.config.train, epochs } };
      specs.push({ ...spec, sweepPoint: { ...spec.sweepPoint, seed }, config });
    }
  }
  return specs;
}

export async function sweep(epochs: number, seeds = 4): Promise<SweepFigures> {
  const specs = sweepSpecs(epochs, seeds);
  const serial = await sweepWall(specs, 1);
  const parallel = await sweepWall(specs, 2);
  return {
    runs: specs.length,
    serialMs: serial.ms,
    parallelMs: parallel.ms,
    speedup: serial.ms / parallel.ms,
    serialCpuSec: serial.cpuSec,
    parallelCpuSec: parallel.cpuSec,
    failed: serial.failed + parallel.failed,
  };
}

export type { ExperimentConfig };
