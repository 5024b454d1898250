/**
 * One error type for everything the run store cannot do, always naming the path involved, so the
 * trainer can turn it into a `failed` run with a message a user can act on.
 */
export class RunStoreError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RunStoreError';
  }
}

const EXPLANATIONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied (is the runs directory read-only?)',
  EPERM: 'operation not permitted (is the runs directory read-only?)',
  EROFS: 'the file system is read-only',
  ENOENT: 'the run directory no longer exists (was it deleted?)',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'expected a file but found a directory',
  EMFILE: 'too many open files',
};

/** Wraps a Node fs error into a RunStoreError that says what failed, where, and why. */
export function storeError(action: string, path: string, cause: unknown): RunStoreError {
  if (cause instanceof RunStoreError) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = (code && EXPLANATIONS[code]) ?? (cause instanceof Error ? cause.message : String(cause));
  const error = new RunStoreError(`cannot ${action} ${path}: ${why}${code ? ` (${code})` : ''}`, path, code);
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}

/** Runs `fn`, rethrowing any fs failure as a RunStoreError about `path`. */
export function guarded<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw storeError(action, path, cause);
  }
}
