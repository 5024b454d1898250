/**
 * Download-once cache for datasets that cannot ship: the file is streamed into a temporary
 * name inside the cache folder, verified by sha256, and only then renamed into place (rename
 * is atomic on one filesystem), so a crash, a wrong checksum or an abort never leaves a
 * half-written or unverified file under the final name.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DatasetError } from './errors';
import { sha256 } from './hash';

export interface Checked {
  /** Expected sha256 (hex) of the bytes `digestOf` selects. */
  sha256: string;
  /** What is hashed; default: the file as stored. (Fashion-MNIST hashes the decompressed IDX.) */
  digestOf?: (bytes: Uint8Array, file: string) => Uint8Array;
}

/** The sha256 of what `check` hashes, or a note when that cannot even be computed (bad gzip). */
function digest(bytes: Uint8Array, file: string, check: Checked): string {
  try {
    return sha256(check.digestOf ? check.digestOf(bytes, file) : bytes);
  } catch (err) {
    return `unreadable content (${(err as Error).message})`;
  }
}

/** True when `file`'s content matches the expected digest. */
export function verifyBytes(bytes: Uint8Array, file: string, check: Checked): boolean {
  return digest(bytes, file, check) === check.sha256.toLowerCase();
}

/** Reads a cached file if present and valid; an invalid one is removed and reported as missing. */
export async function readVerified(file: string, check: Checked): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  if (verifyBytes(bytes, file, check)) return bytes;
  await rm(file, { force: true });
  return undefined;
}

/** Downloads `url` into `dest` atomically, verifying it first; returns the verified bytes. */
export async function downloadVerified(url: string, dest: string, check: Checked, signal?: AbortSignal): Promise<Uint8Array> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  try {
    await streamToFile(url, temp, signal);
    const bytes = await readFile(temp);
    const actual = digest(bytes, url, check);
    if (actual !== check.sha256.toLowerCase()) {
      throw new DatasetError(`checksum mismatch for ${url}: expected sha256 ${check.sha256}, got ${actual}; the download was discarded`);
    }
    await rename(temp, dest);
    return bytes;
  } finally {
    await rm(temp, { force: true });
  }
}

async function streamToFile(url: string, file: string, signal?: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new DatasetError(`cannot download ${url} (${reason}); are you offline?`);
  }
  if (!response.ok || !response.body) {
    throw new DatasetError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(file), { signal });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new DatasetError(`download of ${url} was interrupted (${(err as Error).message}${cause ? `, ${cause}` : ''})`);
  }
}
