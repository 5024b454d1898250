/**
 * The one writer of a run directory (used by the trainer; by the host only to mark a dead
 * trainer's run `crashed`). Every failure is a RunStoreError naming the path.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { RunSpec } from '../experiment/types';
import type { MetricRecord, RunRecord, RunStatus, SpectrumRecord } from '../protocol';
import { appendLines, fsyncFile, writeFileAtomic } from './atomic';
import { guarded, RunStoreError } from './errors';
import { assertValidRunId, isUnusedRunDir, reserveRunDir, tryMkdirExclusive } from './ids';
import { resolveInside, RUN_FILES } from './paths';
import { readRunRecord } from './reader';

export interface CreateRunOptions {
  /** A run id reserved by the host (its directory may already exist, empty). */
  runId?: string;
  versions?: Record<string, string>;
  /** Extra fields for the first run.json (e.g. resumedFrom, baseHash). */
  fields?: Partial<RunRecord>;
}

export class RunWriter {
  private current: RunRecord;
  private finished = false;

  private constructor(
    readonly dir: string,
    record: RunRecord,
  ) {
    this.current = record;
  }

  get id(): string {
    return this.current.id;
  }

  /** Claims a run directory (new, or reserved-and-empty) and writes the first run.json. */
  static create(runsDir: string, spec: RunSpec, opts: CreateRunOptions = {}): RunWriter {
    const { id, dir } = opts.runId ? claimReserved(runsDir, opts.runId) : reserveRunDir(runsDir, spec);
    const now = new Date().toISOString();
    const record: RunRecord = {
      schemaVersion: 1,
      id,
      status: 'running',
      spec,
      versions: { node: process.versions.node, ...opts.versions },
      createdAt: now,
      startedAt: now,
      pid: process.pid,
      host: hostname(),
      ...opts.fields,
    };
    const writer = new RunWriter(dir, record);
    writer.writeRecord();
    return writer;
  }

  /** Opens an existing run directory (resume, or the host marking a crash). */
  static reopen(runDir: string): RunWriter {
    return new RunWriter(runDir, readRunRecord(runDir));
  }

  record(): RunRecord {
    return structuredClone(this.current);
  }

  update(patch: Partial<RunRecord>): void {
    this.current = { ...this.current, ...patch, schemaVersion: 1, id: this.current.id };
    this.writeRecord();
  }

  appendMetrics(records: MetricRecord[]): void {
    appendLines(
      this.path(RUN_FILES.metrics),
      records.map((record) => JSON.stringify(record)),
    );
  }

  appendSpectrum(record: SpectrumRecord): void {
    appendLines(this.path(RUN_FILES.spectra), [JSON.stringify(record)]);
  }

  /** Writes a file inside the run dir (adapter, checkpoint, ...) atomically; creates parent dirs. */
  writeFileAtomic(relPath: string, data: Buffer | string): void {
    const target = resolveInside(this.dir, relPath);
    guarded('create the directory', dirname(target), () => mkdirSync(dirname(target), { recursive: true }));
    writeFileAtomic(target, data);
  }

  /** Forces appended metrics and spectra to disk (call at checkpoints). */
  sync(): void {
    fsyncFile(this.path(RUN_FILES.metrics));
    fsyncFile(this.path(RUN_FILES.spectra));
  }

  finish(status: RunStatus, fields: Partial<RunRecord> = {}): void {
    const endedAt = new Date();
    const started = Date.parse(this.current.startedAt ?? this.current.createdAt);
    const wallTimeSec = Number.isFinite(started) ? (endedAt.getTime() - started) / 1000 : undefined;
    // Best effort: a failing flush (e.g. the disk just filled up) must not keep the final status from being written.
    let syncError: string | undefined;
    try {
      this.sync();
    } catch (error) {
      syncError = (error as Error).message;
    }
    const error = syncError && status !== 'completed' ? [fields.error ?? this.current.error, syncError].filter(Boolean).join('; ') : fields.error;
    this.update({ wallTimeSec, ...fields, ...(error ? { error } : {}), status, endedAt: endedAt.toISOString() });
    this.finished = true;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  path(relPath: string): string {
    return join(this.dir, relPath);
  }

  private writeRecord(): void {
    writeFileAtomic(this.path(RUN_FILES.record), JSON.stringify(this.current, null, 2) + '\n');
  }
}

function claimReserved(runsDir: string, runId: string): { id: string; dir: string } {
  assertValidRunId(runId);
  guarded('create the runs directory', runsDir, () => mkdirSync(runsDir, { recursive: true }));
  const dir = join(runsDir, runId);
  if (tryMkdirExclusive(dir) || isUnusedRunDir(dir)) return { id: basename(dir), dir };
  throw new RunStoreError(`run directory ${dir} already holds a run (run.json exists); choose another run id`, dir, 'EEXIST');
}
