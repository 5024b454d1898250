/**
 * The tail of a run's metrics.jsonl, read without loading a file that grows by megabytes per minute:
 * the newest record, and the trainer-clock time at which a given step was logged.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

interface Logged {
  step: number;
  time: number;
}

const FIRST_CHUNK = 256 * 1024;

/** Complete lines of the last `bytes` of the file (the first, possibly cut, line dropped unless the chunk starts the file). */
function tailRecords(path: string, bytes: number): { records: Logged[]; wholeFile: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift();
    const records: Logged[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as Partial<Logged>;
        if (typeof record.step === 'number' && typeof record.time === 'number') records.push({ step: record.step, time: record.time });
      } catch {
        // The trainer may be mid-way through appending the last line.
      }
    }
    return { records, wholeFile: start === 0 };
  } finally {
    closeSync(fd);
  }
}

export interface Lag {
  newestStep: number;
  /** Trainer-clock seconds from the record at `shownStep` to the newest record (0 if the newest is shown). */
  lagSec: number;
}

/**
 * How far the dashboard's newest point (`shownStep`) trails the newest record in the file, in the
 * trainer's own clock. Reads back from the end until it finds `shownStep`; -1 (nothing shown yet)
 * counts from the first record.
 */
export function lagBehindFile(path: string, shownStep: number): Lag {
  for (let bytes = FIRST_CHUNK; ; bytes *= 4) {
    const { records, wholeFile } = tailRecords(path, bytes);
    const newest = records.at(-1);
    if (!newest) return { newestStep: -1, lagSec: 0 };
    if (shownStep >= newest.step) return { newestStep: newest.step, lagSec: 0 };
    const shown = records.findLast((record) => record.step <= shownStep);
    if (shown) return { newestStep: newest.step, lagSec: newest.time - shown.time };
    if (wholeFile) return { newestStep: newest.step, lagSec: newest.time - records[0].time };
  }
}
