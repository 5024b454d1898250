/**
 * Readers that accept any run directory a crash can leave behind: a torn last JSONL line is
 * ignored and reported, a corrupt line in the middle is skipped and reported, a bad run in a
 * listing is reported next to the good ones. Nothing here throws because of one bad line or run.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MetricRecord, MetricSummary, RunRecord, RunStatus, SpectrumRecord } from '../protocol';
import { isTempFileName } from './atomic';
import { guarded, RunStoreError, storeError } from './errors';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type SplitLine } from './lines';
import { RUN_FILES } from './paths';
import { isMetricRecord, isSpectrumRecord, parseRunRecord } from './record';

const CHUNK_BYTES = 1 << 20;

export interface JsonlResult<T> {
  records: T[];
  /** The file ended in an incomplete line (a writer killed mid-append); it was ignored. */
  tornLastLine: boolean;
  /** 1-based numbers of lines that were not valid records (skipped). */
  badLines: number[];
}

/** run.json holds a spec and a summary: a few kB. Anything this large is not one (and is not read into memory). */
export const MAX_RUN_RECORD_BYTES = 16 * 1024 * 1024;

export function readRunRecord(dir: string): RunRecord {
  const file = join(dir, RUN_FILES.record);
  const size = guarded('read', file, () => statSync(file).size);
  if (size > MAX_RUN_RECORD_BYTES) throw new RunStoreError(`${file} is ${size} bytes; a run record is at most ${MAX_RUN_RECORD_BYTES}`, file);
  const text = guarded('read', file, () => readFileSync(file, 'utf8'));
  return parseRunRecord(text, file);
}

export function readMetrics(dir: string): JsonlResult<MetricRecord> {
  return readJsonl(join(dir, RUN_FILES.metrics), isMetricRecord);
}

export function readSpectra(dir: string): JsonlResult<SpectrumRecord> {
  return readJsonl(join(dir, RUN_FILES.spectra), isSpectrumRecord);
}

/** Reads a whole JSONL file in bounded chunks; a missing file is an empty result. */
export function readJsonl<T>(file: string, isRecord: (value: unknown) => value is T, maxLineBytes = DEFAULT_MAX_LINE_BYTES): JsonlResult<T> {
  const records: T[] = [];
  const { tornLastLine, badLines } = visitJsonl(file, isRecord, (record) => records.push(record), maxLineBytes);
  return { records, tornLastLine, badLines };
}

/**
 * Calls `visit` for each record of a JSONL file, in order, without holding the file or its records
 * in memory (for files of millions of lines); same tolerance as `readJsonl`.
 */
export function visitJsonl<T>(
  file: string,
  isRecord: (value: unknown) => value is T,
  visit: (record: T) => void,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): Omit<JsonlResult<T>, 'records'> {
  const badLines: number[] = [];
  if (!existsSync(file)) return { tornLastLine: false, badLines };
  const splitter = new LineSplitter(maxLineBytes);
  const fd = guarded('open', file, () => openSync(file, 'r'));
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const n = guarded('read', file, () => readSync(fd, buffer, 0, buffer.length, null));
      if (n === 0) break;
      collect(splitter.push(buffer.subarray(0, n)), isRecord, visit, badLines);
    }
  } finally {
    closeSync(fd);
  }
  return { tornLastLine: splitter.hasPartialLine, badLines };
}

function collect<T>(lines: SplitLine[], isRecord: (value: unknown) => value is T, visit: (record: T) => void, badLines: number[]): void {
  for (const line of lines) {
    if (line.text !== undefined && line.text.trim() === '') continue;
    const value = line.text === undefined ? undefined : parseOrUndefined(line.text);
    if (value !== undefined && isRecord(value)) visit(value);
    else badLines.push(line.number);
  }
}

/** Streams metrics.jsonl to `visit` (see visitJsonl). */
export function visitMetrics(dir: string, visit: (record: MetricRecord) => void): Omit<JsonlResult<MetricRecord>, 'records'> {
  return visitJsonl(join(dir, RUN_FILES.metrics), isMetricRecord, visit);
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface TailResult<T> {
  records: T[];
  badLines: number[];
  /** The file shrank or was replaced, so reading restarted from the beginning. */
  reset: boolean;
}

/**
 * Incremental reader for a JSONL file that another process appends to: each `read()` reads only
 * the bytes added since the last call, and keeps an unfinished last line for the next call.
 */
export class JsonlTail<T> {
  private offset = 0;
  private inode = -1;
  private readonly splitter: LineSplitter;

  constructor(
    readonly file: string,
    private readonly isRecord: (value: unknown) => value is T,
    maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  read(): TailResult<T> {
    const result: TailResult<T> = { records: [], badLines: [], reset: false };
    const stat = statOrUndefined(this.file);
    if (!stat) return result;
    if (stat.size < this.offset || (this.inode !== -1 && stat.ino !== this.inode)) {
      this.offset = 0;
      this.splitter.reset();
      result.reset = true;
    }
    this.inode = stat.ino;
    if (stat.size > this.offset) this.readRange(stat.size, result);
    return result;
  }

  private readRange(end: number, result: TailResult<T>): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // vanished between stat and open: nothing new to read
    }
    try {
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, end - this.offset));
      while (this.offset < end) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, end - this.offset), this.offset);
        if (n === 0) break;
        this.offset += n;
        collect(this.splitter.push(buffer.subarray(0, n)), this.isRecord, (record) => result.records.push(record), result.badLines);
      }
    } finally {
      closeSync(fd);
    }
  }
}

export class MetricsTail extends JsonlTail<MetricRecord> {
  constructor(runDir: string) {
    super(join(runDir, RUN_FILES.metrics), isMetricRecord);
  }
}

export class SpectraTail extends JsonlTail<SpectrumRecord> {
  constructor(runDir: string) {
    super(join(runDir, RUN_FILES.spectra), isSpectrumRecord);
  }
}

function statOrUndefined(file: string): { size: number; ino: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Listing runs
// ---------------------------------------------------------------------------------------------

export interface RunSummary {
  id: string;
  dir: string;
  /** Status as recorded, except a `running` run whose process is gone from this host: `crashed`. */
  status: RunStatus | 'unreadable';
  /** True when run.json says running but its trainer process no longer exists on this host. */
  stale?: boolean;
  experiment?: string;
  adapterKind?: string;
  rank?: number;
  seed?: number;
  backend?: string;
  trainableParams?: number;
  createdAt?: string;
  wallTimeSec?: number;
  summary?: MetricSummary;
  error?: string;
  record?: RunRecord;
}

/** Lists the runs in a runs dir, oldest first. Folders without run.json and temp files are skipped. */
export function listRuns(runsDir: string): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(runsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !isTempFileName(entry.name))
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storeError('list', runsDir, error);
  }
  const runs = names.map((name) => summarizeRun(join(runsDir, name), name)).filter((run): run is RunSummary => run !== undefined);
  return runs.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id));
}

export function summarizeRun(dir: string, name: string): RunSummary | undefined {
  if (!existsSync(join(dir, RUN_FILES.record))) return undefined;
  try {
    return summaryOf(readRunRecord(dir), dir);
  } catch (error) {
    const message = error instanceof RunStoreError ? error.message : String(error);
    return { id: name, dir, status: 'unreadable', error: message };
  }
}

export function summaryOf(record: RunRecord, dir: string): RunSummary {
  const config = record.spec.config;
  const stale = record.status === 'running' && isDeadLocalProcess(record);
  return {
    id: record.id,
    dir,
    status: stale ? 'crashed' : record.status,
    ...(stale ? { stale: true } : {}),
    experiment: record.spec.experiment,
    adapterKind: config?.adapter?.kind,
    rank: config?.adapter?.rank,
    seed: config?.seed,
    backend: record.backend,
    trainableParams: record.params?.trainable,
    createdAt: record.createdAt,
    wallTimeSec: record.wallTimeSec,
    summary: record.summary,
    error: stale ? (record.error ?? `trainer process ${record.pid} on ${record.host} is gone without a final status`) : record.error,
    record,
  };
}

function isDeadLocalProcess(record: RunRecord): boolean {
  if (record.pid === undefined || record.host !== hostname()) return false;
  return !isProcessAlive(record.pid);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
