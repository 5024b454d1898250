/** File names inside a run directory, in one place so writer, reader and tools agree. */
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { RunStoreError } from './errors';

export const RUN_FILES = {
  record: 'run.json',
  metrics: 'metrics.jsonl',
  spectra: 'spectra.jsonl',
  adapter: 'adapter.safetensors',
  adapterConfig: 'adapter_config.json',
  checkpoints: 'checkpoints',
  stderr: 'stderr.log',
} as const;

export const DEFAULT_RUNS_DIR = join('.symlora', 'runs');

/** Resolves a path relative to a run directory, refusing anything that would escape it. */
export function resolveInside(dir: string, relPath: string): string {
  const normalized = normalize(relPath);
  if (!relPath || isAbsolute(relPath) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw new RunStoreError(`refusing to write ${JSON.stringify(relPath)}: paths must stay inside the run directory ${dir}`, dir);
  }
  const full = join(dir, normalized);
  const back = relative(dir, full);
  if (back.startsWith('..') || isAbsolute(back)) {
    throw new RunStoreError(`refusing to write ${JSON.stringify(relPath)}: paths must stay inside the run directory ${dir}`, dir);
  }
  return full;
}
