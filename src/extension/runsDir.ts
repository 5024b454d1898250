/**
 * Where the runs live, and the one check every host action on a run goes through: the path must
 * be a direct child of the runs directory (no '..', no symlinked escape by name).
 */
import { isAbsolute, join, resolve, dirname } from 'node:path';
import { DEFAULT_RUNS_DIR } from '../core/runs/paths';
import { resolveRunDir } from './webviews/validateMessage';

/** The runs directory for a setting value ('' → default) relative to the workspace root. */
export function resolveRunsDirectory(setting: string | undefined, workspaceRoot: string | undefined, fallbackRoot: string): string {
  const value = (setting ?? '').trim() || DEFAULT_RUNS_DIR;
  if (isAbsolute(value)) return resolve(value);
  return resolve(join(workspaceRoot ?? fallbackRoot, value));
}

/** The directory of run `id`, refusing anything that is not one safe path segment. */
export function runDirFor(runsDir: string, id: unknown): string {
  return resolveRunDir(runsDir, id);
}

/** True if `dir` is a direct child of `runsDir` (the only directories the host may delete). */
export function isRunDirOf(runsDir: string, dir: string): boolean {
  return dirname(resolve(dir)) === resolve(runsDir) && resolve(dir) !== resolve(runsDir);
}
