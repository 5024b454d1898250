/**
 * `symlora run FILE [--runs-dir DIR] [--parallel N] [--reuse-trainers] [--json] [--backend NAME]`:
 * validates the experiment (nothing starts and no folder is made if it is invalid), runs its sweep
 * through the shared RunQueue (one trainer process per run, or with --reuse-trainers a completed
 * run's process takes the next run: ~3× less CPU for sweeps of short runs), shows progress, and
 * prints a results table.
 * Ctrl-C stops every run gracefully (they checkpoint and end `cancelled`); a second Ctrl-C kills.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ExperimentError, formatIssue } from '../../core/experiment/errors';
import { loadExperimentFileWithWarnings } from '../../core/experiment/load';
import { expandSweep } from '../../core/experiment/sweep';
import type { RunSpec } from '../../core/experiment/types';
import type { StartRunOptions } from '../../core/protocol';
import { DEFAULT_RUNS_DIR } from '../../core/runs/paths';
import { RunQueue, type QueuedRun } from '../../core/runs/queue';
import { parse, positiveInteger } from '../args';
import { EXIT, processIO, UsageError, type CliIO } from '../io';
import { createProgress } from '../progress';
import { failureNotes, resultOf, resultsTable } from '../results';

export const USAGE = 'usage: symlora run FILE [--runs-dir DIR] [--parallel N] [--reuse-trainers] [--json] [--backend auto|tensorflow|wasm|cpu]';
const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'];

interface RunArgs {
  file: string;
  runsDir: string;
  parallel?: number;
  reuseTrainers: boolean;
  json: boolean;
  backend?: string;
}

function parseRunArgs(args: string[]): RunArgs {
  const { values, positionals } = parse(args, {
    'runs-dir': { type: 'string' },
    parallel: { type: 'string' },
    'reuse-trainers': { type: 'boolean' },
    json: { type: 'boolean' },
    backend: { type: 'string' },
  });
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? `expected one experiment file, got ${positionals.length}` : 'missing the experiment FILE');
  const backend = values.backend ?? process.env.SYMLORA_BACKEND;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new UsageError(`--backend expects one of ${BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  }
  return {
    file: resolve(positionals[0]),
    runsDir: resolve(values['runs-dir'] ?? DEFAULT_RUNS_DIR),
    parallel: positiveInteger('--parallel', values.parallel),
    reuseTrainers: values['reuse-trainers'] ?? false,
    json: values.json ?? false,
    backend,
  };
}

/** The bundled trainer sits next to the bundled CLI; SYMLORA_TRAINER_PATH overrides it (tests). */
export function trainerPath(): string {
  return process.env.SYMLORA_TRAINER_PATH ?? join(__dirname, 'trainer.js');
}

/** Loads and expands the experiment, or prints why it cannot run. */
function loadSpecs(file: string, io: CliIO): RunSpec[] | undefined {
  try {
    const { config, warnings } = loadExperimentFileWithWarnings(file);
    for (const warning of warnings) io.stderr(formatIssue(file, { ...warning, severity: 'warning' }) + '\n');
    return expandSweep(config, file);
  } catch (error) {
    if (!(error instanceof ExperimentError)) throw error;
    io.stderr(`symlora run: ${file} is not a valid experiment:\n${error.message}\n`);
    return undefined;
  }
}

export async function run(args: string[], io: CliIO = processIO): Promise<number> {
  const options = parseRunArgs(args);
  const specs = loadSpecs(options.file, io);
  if (!specs) return EXIT.usage;
  const trainer = trainerPath();
  if (!existsSync(trainer)) {
    io.stderr(`symlora run: the trainer ${trainer} is missing; build it with \`npm run build\`\n`);
    return EXIT.usage;
  }
  const concurrency = options.parallel ?? Math.min(availableParallelism(), specs.length);
  const queue = new RunQueue({
    concurrency,
    launch: { trainerPath: trainer, nodePath: process.execPath },
    stopGraceMs: 10_000,
    reuseTrainers: options.reuseTrainers,
  });
  // Listen for Ctrl-C before the first trainer starts, so no run can escape a stop.
  const notes = { note: (text: string) => io.stderr(text + '\n') };
  const interrupts = handleInterrupts(queue, (text) => notes.note(text));
  try {
    const runs = enqueueAll(queue, specs, { runsDir: options.runsDir, ...(options.backend ? { backend: options.backend } : {}) });
    if (!options.json)
      io.stderr(`${specs.length} run${specs.length === 1 ? '' : 's'} of ${specs[0].experiment}, ${concurrency} at a time, in ${options.runsDir}\n`);
    await supervise(queue, runs, io, !options.json, notes);
    return report(runs, io, options.json, interrupts.count() > 0);
  } finally {
    interrupts.dispose();
  }
}

/** Queues every run; if one cannot even get a folder (read-only or full disk), none is left running. */
function enqueueAll(queue: RunQueue, specs: RunSpec[], options: StartRunOptions): QueuedRun[] {
  const runs: QueuedRun[] = [];
  try {
    for (const spec of specs) runs.push(queue.enqueue(spec, options));
    return runs;
  } catch (error) {
    void queue.stopAll(0);
    throw error;
  }
}

/** Ctrl-C (or SIGTERM) once: stop every run gracefully; twice: kill them. Returns how many came. */
function handleInterrupts(queue: RunQueue, notify: (text: string) => void): { count: () => number; dispose: () => void } {
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      notify('stopping all runs (they save a checkpoint and end as cancelled); press Ctrl-C again to kill them');
      void queue.stopAll();
    } else {
      notify('killing all runs');
      void queue.killAll();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    count: () => interrupts,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Shows progress until the queue is idle. */
async function supervise(queue: RunQueue, runs: QueuedRun[], io: CliIO, showProgress: boolean, notes: { note: (text: string) => void }): Promise<void> {
  const progress = showProgress ? createProgress(io, runs) : undefined;
  if (progress) {
    // Notices go through the progress view so they scroll above the live bars instead of into them.
    notes.note = (text) => progress.note(text);
    // Runs may already have started during enqueue: catch up, then follow events.
    for (const run of runs) if (run.state !== 'queued') progress.started(run);
    queue.on('started', (run) => progress.started(run));
    queue.on('message', (run, message) => progress.message(run, message));
    queue.on('finished', (run, info) => progress.finished(run, info));
  }
  try {
    await queue.onIdle();
  } finally {
    progress?.close();
  }
}

function report(runs: QueuedRun[], io: CliIO, json: boolean, interrupted: boolean): number {
  const results = runs.map(resultOf);
  if (json) {
    io.stdout(JSON.stringify({ runs: results }, null, 2) + '\n');
  } else {
    io.stdout(resultsTable(results));
    const notes = failureNotes(results);
    if (notes) io.stderr(notes);
  }
  if (interrupted) return EXIT.interrupted;
  return results.every((result) => result.status === 'completed') ? EXIT.ok : EXIT.runFailed;
}
