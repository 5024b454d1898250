/**
 * The training process, forked by the CLI or the extension host.
 * Receives `{type:'start'}` over IPC, trains with the core loop, streams coalesced metrics back, and
 * is the one writer of that run's directory. A `{type:'stop'}` ends the run as `cancelled` after a
 * final checkpoint.
 *
 * After a run that completed and left no tensor behind, the process says `ready` again and waits:
 * the host's queue may hand it the next run of a sweep, which then skips the fixed cost of a new
 * process (Node start-up, loading this bundle, compiling the wasm module, and V8 optimising the hot
 * training code again — most of a short run's CPU time). A host that has nothing for it
 * disconnects, and it exits. After a failed or cancelled run it exits at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inRunScope, liveTensorCount } from '../core/backend';
import type { RunSpec } from '../core/experiment/types';
import { encodeAdapter } from '../core/io/adapterFile';
import { ExperimentError } from '../core/experiment/errors';
import { checkConfig } from '../core/experiment/semantic';
import { validateExperimentObject } from '../core/experiment/validate';
import type { HostToTrainer, MetricRecord, RunRecord, RunStatus, StartRunOptions, TrainerToHost } from '../core/protocol';
import { readMetrics, readRunRecord } from '../core/runs/reader';
import { RUN_FILES } from '../core/runs/paths';
import { RunWriter } from '../core/runs/writer';
import { DivergedError, trainModel, type Checkpoint } from '../core/train/loop';
import { adapterBundle, decodeCheckpoint, baseLayersFile, encodeCheckpoint, prepareRun, spectrumSnapshot, type PreparedRun } from '../core/train/session';
import { version as productVersion } from '../../package.json';

const CHECKPOINT_FILE = `${RUN_FILES.checkpoints}/last.safetensors`;

let stopRequested = false;
let running = false;

function send(message: TrainerToHost): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Batches train records so the host receives at most one message per interval. */
class MetricStream {
  private pending: MetricRecord[] = [];
  private lastSent = 0;
  constructor(
    private readonly runId: string,
    private readonly intervalMs: number,
  ) {}

  push(record: MetricRecord, urgent = false): void {
    this.pending.push(record);
    if (urgent || performance.now() - this.lastSent >= this.intervalMs) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    void send({ type: 'metrics', runId: this.runId, records: this.pending });
    this.pending = [];
    this.lastSent = performance.now();
  }
}

function versions(run: PreparedRun): Record<string, string> {
  const versions: Record<string, string> = { symloraLab: productVersion, tfjs: run.backend.tfjsVersion, node: process.versions.node };
  if (run.backend.matmul) versions.matmul = run.backend.matmul;
  return versions;
}

/** Metric lines of the run being resumed, up to its checkpoint, so the new run's history is whole. */
function carriedMetrics(fromDir: string, step: number): MetricRecord[] {
  return readMetrics(fromDir).records.filter((r) => r.step <= step);
}

interface RunOutcome {
  writer?: RunWriter;
  status: RunStatus;
  error?: string;
  summary?: RunRecord['summary'];
}

async function startRun(spec: RunSpec, options: StartRunOptions): Promise<void> {
  running = true;
  stopRequested = false;
  const tensorsBefore = liveTensorCount();
  const started = performance.now();
  // Whatever tensors the run leaves behind are freed with its scope, so the process can serve the next.
  const { writer, status, error, summary } = await inRunScope(() => trainRun(spec, options));
  const wallTimeSec = (performance.now() - started) / 1000;
  if (!writer) {
    // Nothing was created: report the failure without a run directory.
    await send({ type: 'log', level: 'error', message: error ?? 'run failed before it started' });
  }
  await send({ type: 'finished', runId: writer?.id ?? options.runId ?? '', status, summary, error, wallTimeSec });
  running = false;
  if (status === 'completed' && canTakeAnotherRun(tensorsBefore)) void send({ type: 'ready', pid: process.pid });
  else exitSoon(status === 'completed' || status === 'cancelled' ? 0 : 1);
}

/** Trains one run and writes its directory; failures are recorded there, never thrown. */
async function trainRun(spec: RunSpec, options: StartRunOptions): Promise<RunOutcome> {
  let writer: RunWriter | undefined;
  let run: PreparedRun | undefined;
  try {
    checkSpec(spec);
    const log = (message: string) => void send({ type: 'log', level: 'info', message });
    run = await prepareRun(spec, {
      backend: options.backend,
      baseDir: spec.sourceFile ? dirname(spec.sourceFile) : undefined,
      basesDir: options.basesDir ?? join(dirname(options.runsDir), 'bases'),
      log,
    });
    let resume: Checkpoint | undefined;
    let resumedFrom: RunRecord['resumedFrom'];
    if (options.resumeFrom) {
      const previous = readRunRecord(options.resumeFrom);
      const checkpointPath = join(options.resumeFrom, CHECKPOINT_FILE);
      resume = decodeCheckpoint(run, readFileSync(checkpointPath), checkpointPath);
      resumedFrom = { runId: previous.id, step: resume.step };
    }
    const perEpoch = Math.ceil(run.dataset.train.count / spec.config.train.batchSize);
    const totalSteps = perEpoch * spec.config.train.epochs;
    writer = RunWriter.create(options.runsDir, spec, {
      runId: options.runId,
      versions: versions(run),
      fields: {
        backend: run.backend.name,
        params: run.params,
        totalSteps,
        resumedFrom,
        baseHash: run.base?.hash,
        dataset: {
          name: run.dataset.name,
          version: run.dataset.version,
          train: run.dataset.train.count,
          val: run.dataset.val.count,
          test: run.dataset.test.count,
          info: run.dataset.info,
        },
      },
    });
    if (options.resumeFrom && resume) writer.appendMetrics(carriedMetrics(options.resumeFrom, resume.step));
    const baseLayers = baseLayersFile(run);
    if (baseLayers) writer.writeFileAtomic('base_layers.safetensors', baseLayers);
    for (const note of run.backend.notes) void send({ type: 'log', runId: writer.id, level: 'info', message: note });
    await send({ type: 'started', runId: writer.id, runDir: writer.dir, backend: run.backend.name, params: run.params, totalSteps });

    const stream = new MetricStream(writer.id, options.streamIntervalMs ?? 50);
    const w = writer;
    const r = run;
    const result = await trainModel(
      { model: run.model, adapted: run.adapted, dataset: run.dataset, train: spec.config.train, seed: spec.config.seed, loss: run.loss, resume },
      {
        onTrain: (record) => {
          w.appendMetrics([record]);
          stream.push(record);
        },
        onEval: (record) => {
          w.appendMetrics([record]);
          stream.push(record, true);
        },
        onSpectrum: (step, time) => {
          const record = spectrumSnapshot(r, step, time);
          if (!record) return;
          w.appendSpectrum(record);
          void send({ type: 'spectrum', runId: w.id, record });
        },
        onCheckpoint: (ckpt) => {
          w.writeFileAtomic(CHECKPOINT_FILE, encodeCheckpoint(r, ckpt));
          w.sync();
          w.update({ steps: ckpt.step });
        },
        shouldStop: () => stopRequested,
      },
    );
    stream.flush();
    const bundle = adapterBundle(run);
    if (bundle) {
      const { safetensors, configJson } = encodeAdapter(bundle);
      writer.writeFileAtomic(RUN_FILES.adapter, safetensors);
      writer.writeFileAtomic(RUN_FILES.adapterConfig, configJson);
    }
    writer.finish(result.status, { summary: result.summary, steps: result.steps, totalSteps: result.totalSteps });
    return { writer, status: result.status, summary: result.summary };
  } catch (err) {
    let error = err instanceof DivergedError ? err.message : err instanceof Error ? err.message : String(err);
    try {
      // A run that failed before its directory was written still leaves a readable record.
      writer ??= RunWriter.create(options.runsDir, spec, { runId: options.runId });
      writer.finish('failed', { error });
    } catch (writeErr) {
      error += ` (and the run record could not be updated: ${writeErr instanceof Error ? writeErr.message : String(writeErr)})`;
    }
    return { writer, status: 'failed', error };
  } finally {
    run?.dispose();
  }
}

/** Only a clean process serves another run: still connected, not asked to stop, no tensor leaked. */
function canTakeAnotherRun(tensorsBefore: number): boolean {
  if (stopRequested || !process.connected) return false;
  const leaked = liveTensorCount() - tensorsBefore;
  if (leaked > 0) {
    console.error(`symlora trainer: ${leaked} tensors outlived the run; this process exits instead of taking another run`);
    return false;
  }
  return true;
}

/**
 * The host validated the experiment file, but the trainer trusts nothing it receives: the config is
 * checked again against the schema and the semantic rules before anything is built.
 */
function checkSpec(spec: RunSpec): void {
  const label = spec.sourceFile ?? 'run spec';
  const config = validateExperimentObject({ ...spec.config }, label);
  const { errors } = checkConfig(config);
  if (errors.length > 0) throw new ExperimentError(label, errors);
}

function exitSoon(code: number): void {
  if (process.connected) process.disconnect();
  setImmediate(() => process.exit(code));
}

function onMessage(raw: unknown): void {
  const message = raw as HostToTrainer;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'stop') {
    stopRequested = true;
    if (!running) exitSoon(0);
  } else if (message.type === 'start' && !running) {
    void startRun(message.spec, message.options);
  }
}

function main(): void {
  if (!process.send) {
    console.error('symlora trainer: this program is started by the SymLoRA Lab CLI or extension over IPC (try `symlora run FILE`).');
    process.exit(2);
  }
  process.on('message', onMessage);
  // The host going away (VS Code closed, CLI killed) must not leave us training alone.
  process.on('disconnect', () => {
    stopRequested = true;
    if (!running) process.exit(0);
  });
  process.on('SIGTERM', () => {
    stopRequested = true;
    if (!running) process.exit(0);
  });
  void send({ type: 'ready', pid: process.pid });
}

main();
