/**
 * Durable file primitives. A reader (or a process killed at any instant) sees either the old or
 * the new content of a file written with `writeFileAtomic`, never a mix: the data goes to a temp
 * file in the same directory, is fsynced, then renamed over the target (rename is atomic within
 * one file system), and the directory is fsynced so the rename itself survives a power loss.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, appendFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { storeError } from './errors';

/** Temp files start with '.' and end in '.tmp', so run listings can skip them. */
export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
}

export function writeFileAtomic(target: string, data: Buffer | string): void {
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    writeAll(fd, buffer);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(temp);
    throw storeError('write', target, error);
  }
  fsyncDirQuietly(dirname(target));
}

/**
 * Appends with one write call per batch of whole lines. Opening by path each time (rather than
 * keeping an fd) is what lets us notice a run directory deleted mid-run: a kept fd would keep
 * writing into an unlinked file without any error.
 */
export function appendLines(target: string, lines: string[]): void {
  if (lines.length === 0) return;
  try {
    appendFileSync(target, lines.join('\n') + '\n', 'utf8');
  } catch (error) {
    throw storeError('append to', target, error);
  }
}

export function fsyncFile(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || fd !== undefined) throw storeError('flush', path, error);
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

function writeAll(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Directory fsync makes the rename durable; some file systems refuse it, which is harmless. */
function fsyncDirQuietly(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here: the rename is still atomic */
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already failing */
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* may not exist */
  }
}
