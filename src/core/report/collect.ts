/** Finds the runs a report covers: each path is a run directory (holds run.json) or a runs directory. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunRecord } from '../protocol';
import { listRuns, readRunRecord } from '../runs/reader';
import { RUN_FILES } from '../runs/paths';

export interface ReportRun {
  id: string;
  dir: string;
  record: RunRecord;
}

export interface SkippedRun {
  id: string;
  dir: string;
  reason: string;
}

export interface CollectedRuns {
  runs: ReportRun[];
  skipped: SkippedRun[];
}

export class ReportInputError extends Error {}

/** Reads every run under the given paths; unreadable runs are listed in `skipped`, never thrown. */
export function collectRuns(paths: readonly string[]): CollectedRuns {
  if (paths.length === 0) throw new ReportInputError('no runs directory or run directory given');
  const collected: CollectedRuns = { runs: [], skipped: [] };
  const seen = new Set<string>();
  for (const path of paths.map((p) => resolve(p))) {
    if (!existsSync(path)) throw new ReportInputError(`${path}: no such file or directory`);
    if (!statSync(path).isDirectory()) throw new ReportInputError(`${path}: not a directory (give a runs directory or a run directory)`);
    if (existsSync(join(path, RUN_FILES.record))) addRunDir(path, collected, seen);
    else addRunsDir(path, collected, seen);
  }
  return collected;
}

function addRunDir(dir: string, into: CollectedRuns, seen: Set<string>): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  try {
    const record = readRunRecord(dir);
    into.runs.push({ id: record.id, dir, record });
  } catch (error) {
    into.skipped.push({ id: dir.split(/[\\/]/).pop() ?? dir, dir, reason: (error as Error).message });
  }
}

function addRunsDir(dir: string, into: CollectedRuns, seen: Set<string>): void {
  for (const summary of listRuns(dir)) {
    if (seen.has(summary.dir)) continue;
    seen.add(summary.dir);
    if (summary.record) into.runs.push({ id: summary.id, dir: summary.dir, record: summary.record });
    else into.skipped.push({ id: summary.id, dir: summary.dir, reason: summary.error ?? 'unreadable run.json' });
  }
}
