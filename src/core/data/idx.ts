/** IDX files (the MNIST format), gzipped or raw: big-endian header, unsigned-byte payload. */
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses when the bytes carry the gzip magic; raw bytes pass through. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DatasetError(`corrupt gzip data (${(err as Error).message})`, { file });
  }
}

/** Parses an unsigned-byte IDX file; `file` is used in error messages only. */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = maybeGunzip(raw, file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DatasetError('not an IDX file (bad magic number)', { file });
  if (bytes[2] !== UBYTE) throw new DatasetError(`unsupported IDX element type 0x${bytes[2].toString(16)} (only unsigned bytes)`, { file });
  const ndims = bytes[3];
  const headerSize = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < headerSize) throw new DatasetError(`truncated IDX header (${ndims} dimensions)`, { file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, k) => view.getUint32(4 + 4 * k, false));
  const size = dims.reduce((p, d) => p * d, 1);
  if (bytes.length - headerSize !== size) {
    throw new DatasetError(`IDX payload is ${bytes.length - headerSize} bytes, dimensions ${dims.join('×')} need ${size}`, { file });
  }
  return { dims, data: bytes.subarray(headerSize) };
}
