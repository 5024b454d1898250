/**
 * Run ids: readable (`<experiment>-<kind>-r<rank>-s<seed>-<utc time>-<4 random base36>`) and unique
 * across processes and machines. Uniqueness does not rest on the random suffix: a run id is only
 * ours once `mkdir` (which fails with EEXIST if anyone else got there first) created its directory.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RunSpec } from '../experiment/types';
import { guarded, RunStoreError, storeError } from './errors';

const MAX_EXPERIMENT_CHARS = 48;
const MAX_ATTEMPTS = 100;

/** Keeps [A-Za-z0-9._-], turns everything else into '-', and never starts with '.' or '-'. */
export function sanitizeIdPart(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/[-.]*-[-.]*/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
}

/** `20261107T134502` in UTC: sortable and the same on every machine. */
export function compactUtcTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
}

export function randomSuffix(): string {
  const n = randomBytes(4).readUInt32BE(0) % 36 ** 4;
  return n.toString(36).padStart(4, '0');
}

export function makeRunId(spec: RunSpec, date = new Date(), suffix = randomSuffix()): string {
  const config = spec.config;
  const experiment = sanitizeIdPart(spec.experiment || config.name || 'run').slice(0, MAX_EXPERIMENT_CHARS) || 'run';
  const parts = [experiment, config.adapter.kind, `r${config.adapter.rank}`, `s${config.seed}`, compactUtcTime(date), suffix];
  return parts.map((part) => sanitizeIdPart(String(part))).join('-');
}

/** A run id must be one path segment of safe characters, so it can never point outside the runs dir. */
export function isValidRunId(id: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/.test(id) && !id.includes('..');
}

export function assertValidRunId(id: string): void {
  if (!isValidRunId(id)) {
    throw new RunStoreError(`invalid run id ${JSON.stringify(id)}: use 1-200 characters from [A-Za-z0-9._-], not starting with '.' or '-'`, id);
  }
}

/** Creates `<runsDir>/<new id>/` exclusively and returns the id and directory. */
export function reserveRunDir(runsDir: string, spec: RunSpec, nextSuffix: () => string = randomSuffix): { id: string; dir: string } {
  guarded('create the runs directory', runsDir, () => mkdirSync(runsDir, { recursive: true }));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const id = makeRunId(spec, new Date(), nextSuffix());
    const dir = join(runsDir, id);
    if (tryMkdirExclusive(dir)) return { id, dir };
  }
  throw new RunStoreError(`cannot reserve a run directory in ${runsDir}: ${MAX_ATTEMPTS} attempts collided`, runsDir);
}

/** True if we created the directory, false if it already existed. */
export function tryMkdirExclusive(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storeError('create the run directory', dir, error);
  }
}

/** Whether a reserved directory is still unused (no run.json yet), so a trainer may adopt it. */
export function isUnusedRunDir(dir: string): boolean {
  try {
    return !readdirSync(dir).includes('run.json');
  } catch {
    return false;
  }
}
