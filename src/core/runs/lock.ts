/**
 * An exclusive lock file (O_EXCL create) holding the owner's pid, host and time, so that work shared
 * by several processes (e.g. building a pretrained base) happens once. A lock whose owner process
 * is dead on this host is stale and gets broken; breaking goes through a second O_EXCL guard file so
 * two waiters can never both break it and then both believe they hold it.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { guarded, RunStoreError, storeError } from './errors';
import { isProcessAlive } from './reader';

export interface LockOwner {
  pid: number;
  host: string;
  time: string;
  token: string;
}

export interface LockOptions {
  /** Give up after this long (default 10 minutes: a pretrained base may take a while). */
  timeoutMs?: number;
  pollMs?: number;
  /** Treat a lock older than this as stale even if its owner cannot be checked (other host). */
  staleMs?: number;
}

export interface HeldLock {
  path: string;
  owner: LockOwner;
  release(): void;
}

const BREAK_GUARD_STALE_MS = 10_000;

/** Tries once; returns the held lock or undefined if someone else holds a live lock. */
export function tryAcquireLock(path: string, options: LockOptions = {}): HeldLock | undefined {
  const owner: LockOwner = { pid: process.pid, host: hostname(), time: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  if (createExclusive(path, JSON.stringify(owner))) return heldLock(path, owner);
  if (breakIfStale(path, options.staleMs) && createExclusive(path, JSON.stringify(owner))) return heldLock(path, owner);
  return undefined;
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const poll = options.pollMs ?? 100;
  guarded('create the directory for lock', dirname(path), () => mkdirSync(dirname(path), { recursive: true }));
  for (;;) {
    const lock = tryAcquireLock(path, options);
    if (lock) return lock;
    if (Date.now() >= deadline) {
      const holder = readOwner(path);
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.time}` : 'another process';
      throw new RunStoreError(`timed out waiting for lock ${path}, held by ${who}; delete the file if that process is gone`, path, 'ETIMEDOUT');
    }
    await new Promise((resolve) => setTimeout(resolve, poll));
  }
}

/** Runs `fn` while holding the lock at `path`; always releases it. */
export async function withLock<T>(path: string, fn: () => T | Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export function readOwner(path: string): LockOwner | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value?.pid === 'number' && typeof value?.host === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  return {
    path,
    owner,
    release() {
      // Only remove the file if it is still ours (it may have been broken as stale meanwhile).
      if (readOwner(path)?.token === owner.token) unlinkQuietly(path);
    },
  };
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storeError('create lock file', path, error);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function breakIfStale(path: string, staleMs?: number): boolean {
  const guard = `${path}.break`;
  if (!createExclusive(guard, String(process.pid))) {
    removeIfOlderThan(guard, BREAK_GUARD_STALE_MS);
    return false;
  }
  try {
    if (!isStale(path, staleMs)) return false;
    unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(guard);
  }
}

function isStale(path: string, staleMs?: number): boolean {
  const owner = readOwner(path);
  if (!owner) return ageMs(path) > 2_000; // an owner writes its line right after creating: an empty old file is stale
  if (owner.host === hostname() && !isProcessAlive(owner.pid)) return true;
  return staleMs !== undefined && Date.now() - Date.parse(owner.time) > staleMs;
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function removeIfOlderThan(path: string, ms: number): void {
  if (ageMs(path) > ms) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
