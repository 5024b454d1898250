/**
 * Safetensors reader and writer (https://github.com/huggingface/safetensors, format section):
 *   u64 little-endian N | N bytes of UTF-8 JSON header | byte buffer.
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the byte buffer) plus an optional "__metadata__" string→string map.
 *
 * The reader reads the header alone and then each requested tensor with positioned reads, so a
 * multi-gigabyte file is never loaded whole. Every check runs before any allocation sized by the
 * header, so a corrupt header cannot make us allocate what it claims.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** Every failure to read or write a safetensors file; names the file and, where relevant, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor === undefined ? '' : ` (tensor "${tensor}")`}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type Dtype = keyof typeof DTYPE_BYTES;

/** Header values beyond this are refused: real headers are kilobytes to a few megabytes. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte offsets relative to the start of the data buffer. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Absolute file offset of the data buffer (8 + N). */
  dataStart: number;
}

if (endianness() !== 'LE') throw new Error('safetensors: this implementation needs a little-endian host');

function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseShape(value: unknown, fail: (msg: string) => never): number[] {
  if (!Array.isArray(value)) fail(`"shape" must be an array of non-negative integers, got ${JSON.stringify(value)}`);
  return value.map((d, i) => {
    if (!Number.isSafeInteger(d) || (d as number) < 0) fail(`shape[${i}] must be a non-negative integer, got ${JSON.stringify(d)}`);
    return d as number;
  });
}

function parseTensor(name: string, raw: unknown, file: string): TensorInfo {
  const fail = (msg: string): never => {
    throw new SafetensorsError(msg, file, name);
  };
  if (!isPlainObject(raw)) fail(`header entry must be an object, got ${JSON.stringify(raw)}`);
  const entry = raw as Record<string, unknown>;
  if (!isDtype(entry.dtype)) fail(`unknown or unsupported dtype ${JSON.stringify(entry.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  const dtype = entry.dtype as Dtype;
  const shape = parseShape(entry.shape, fail);
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`"data_offsets" must be two non-negative integers [begin, end], got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before begin`);
  // BigInt so a shape like [2^40, 2^40] cannot overflow into a plausible size.
  const bytes = shape.reduce((acc, d) => acc * BigInt(d), BigInt(DTYPE_BYTES[dtype]));
  if (bytes !== BigInt(end - begin)) {
    fail(`shape [${shape.join(', ')}] × ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw new SafetensorsError(`"__metadata__" must be an object of strings`, file);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new SafetensorsError(`"__metadata__.${k}" must be a string, got ${JSON.stringify(v)}`, file);
    out[k] = v;
  }
  return out;
}

/** Sorted by offset, the tensors must tile the data buffer exactly: no gap, no overlap, nothing past the end. */
function checkCoverage(tensors: TensorInfo[], dataLength: number, file: string): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.end > dataLength) throw new SafetensorsError(`data_offsets [${t.begin}, ${t.end}] run past the data buffer (${dataLength} bytes)`, file, t.name);
    if (t.begin < cursor) throw new SafetensorsError(`data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (ends at ${cursor})`, file, t.name);
    if (t.begin > cursor) throw new SafetensorsError(`gap in the data buffer: bytes ${cursor}..${t.begin} belong to no tensor`, file, t.name);
    cursor = t.end;
  }
  if (cursor !== dataLength) throw new SafetensorsError(`data buffer has ${dataLength} bytes but tensors cover only ${cursor}`, file);
}

/** Parses and validates a header given the file's total size and a way to read bytes. */
function parseHeader(file: string, size: number, read: (offset: number, length: number) => Uint8Array): SafetensorsHeader {
  if (size < 8) throw new SafetensorsError(`file too short for a safetensors header (${size} bytes)`, file);
  const lenBytes = read(0, 8);
  const declared = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`, file);
  if (declared > BigInt(size - 8)) throw new SafetensorsError(`header length ${declared} is larger than the file (${size} bytes)`, file);
  const headerLength = Number(declared);
  if (headerLength < 2) throw new SafetensorsError(`header length ${headerLength} is too small for a JSON object`, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read(8, headerLength));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8', file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON: ${(err as Error).message}`, file);
  }
  if (!isPlainObject(json)) throw new SafetensorsError('header must be a JSON object', file);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(raw, file);
    else tensors.set(name, parseTensor(name, raw, file));
  }
  const dataStart = 8 + headerLength;
  checkCoverage([...tensors.values()], size - dataStart, file);
  return { tensors, metadata, dataStart };
}

export interface TensorData {
  dtype: Dtype;
  shape: number[];
  /** Raw little-endian bytes, freshly allocated and aligned. */
  bytes: Uint8Array;
}

/** Float values of any supported dtype, as float32 (F16/BF16 widened, F64/integers narrowed). */
export function toFloat32(t: TensorData, label = 'tensor'): Float32Array {
  const { bytes, dtype } = t;
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16':
      return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case 'BF16': {
      const src = new Uint16Array(buf);
      const bits = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I32':
      return Float32Array.from(new Int32Array(buf));
    case 'I64':
      return Float32Array.from(new BigInt64Array(buf), (v) => Number(v));
    case 'I16':
      return Float32Array.from(new Int16Array(buf));
    case 'I8':
      return Float32Array.from(new Int8Array(buf));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(buf));
    default:
      throw new Error(`${label}: unhandled dtype ${dtype as string}`);
  }
}

/** IEEE 754 binary16 bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → IEEE 754 binary16 bits, round to nearest even. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** number → bfloat16 bits, round to nearest even. */
export function floatToBf16(value: number): number {
  const x = new Uint32Array(new Float32Array([value]).buffer)[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A safetensors file opened for positioned reads. Call close() when done (or use readSafetensorsFile). */
export class SafetensorsFile {
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private readonly dataStart: number;
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    header: SafetensorsHeader,
  ) {
    this.fd = fd;
    this.tensors = header.tensors;
    this.metadata = header.metadata;
    this.dataStart = header.dataStart;
  }

  /** Opens `path` and validates its header; throws SafetensorsError on any defect. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new SafetensorsError(`cannot open: ${(err as Error).message}`, path);
    }
    try {
      const size = fstatSync(fd).size;
      const header = parseHeader(path, size, (offset, length) => readExactly(fd, path, offset, length));
      return new SafetensorsFile(path, fd, header);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError('no such tensor in this file', this.path, name);
    return info;
  }

  /** Reads only this tensor's bytes. */
  readTensor(name: string): TensorData {
    const info = this.info(name);
    if (this.fd === undefined) throw new SafetensorsError('file already closed', this.path, name);
    const bytes = readExactly(this.fd, this.path, this.dataStart + info.begin, info.end - info.begin, name);
    return { dtype: info.dtype, shape: info.shape, bytes };
  }

  /** Reads a tensor as float32, checking its shape when `expected` is given. */
  readFloat32(name: string, expected?: readonly number[]): Float32Array {
    const info = this.info(name);
    if (expected && (expected.length !== info.shape.length || expected.some((d, i) => d !== info.shape[i]))) {
      throw new SafetensorsError(`expected shape [${expected.join(', ')}], found [${info.shape.join(', ')}]`, this.path, name);
    }
    return toFloat32(this.readTensor(name), `${this.path} (tensor "${name}")`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function readExactly(fd: number, file: string, position: number, length: number, tensor?: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new SafetensorsError(`unexpected end of file at byte ${position + done}`, file, tensor);
    done += n;
  }
  return out;
}

/** Opens, runs `fn`, closes. */
export function withSafetensors<T>(path: string, fn: (file: SafetensorsFile) => T): T {
  const file = SafetensorsFile.open(path);
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

/** Parses an in-memory safetensors buffer (same validation as files); `label` names it in errors. */
export function parseSafetensorsBuffer(buf: Uint8Array, label = '<buffer>'): { header: SafetensorsHeader; tensor(name: string): TensorData } {
  const header = parseHeader(label, buf.byteLength, (offset, length) => buf.slice(offset, offset + length));
  return {
    header,
    tensor(name: string): TensorData {
      const info = header.tensors.get(name);
      if (!info) throw new SafetensorsError('no such tensor in this buffer', label, name);
      return { dtype: info.dtype, shape: info.shape, bytes: buf.slice(header.dataStart + info.begin, header.dataStart + info.end) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

export interface TensorInput {
  dtype: Dtype;
  shape: number[];
  /** Values to encode in `dtype` (F16/BF16 round to nearest even), or raw little-endian bytes. */
  data: ArrayLike<number> | BigInt64Array | Uint8Array;
}

function encodeValues(t: TensorInput, name: string): Uint8Array {
  const count = t.shape.reduce((a, d) => a * d, 1);
  const width = DTYPE_BYTES[t.dtype];
  if (t.data instanceof Uint8Array && t.dtype !== 'U8' && t.dtype !== 'BOOL') {
    if (t.data.byteLength !== count * width) throw new SafetensorsError(`raw bytes ${t.data.byteLength} ≠ ${count} × ${width}`, '<writer>', name);
    return t.data;
  }
  if (t.data.length !== count) throw new SafetensorsError(`shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`, '<writer>', name);
  const d = t.data as ArrayLike<number>;
  switch (t.dtype) {
    case 'F32':
      return new Uint8Array(Float32Array.from(d).buffer);
    case 'F64':
      return new Uint8Array(Float64Array.from(d).buffer);
    case 'F16':
      return new Uint8Array(Uint16Array.from(d, floatToHalf).buffer);
    case 'BF16':
      return new Uint8Array(Uint16Array.from(d, floatToBf16).buffer);
    case 'I64':
      return new Uint8Array((t.data instanceof BigInt64Array ? t.data : BigInt64Array.from(d, (v) => BigInt(Math.trunc(v)))).buffer.slice(0));
    case 'I32':
      return new Uint8Array(Int32Array.from(d).buffer);
    case 'I16':
      return new Uint8Array(Int16Array.from(d).buffer);
    case 'I8':
      return new Uint8Array(Int8Array.from(d).buffer);
    case 'U8':
    case 'BOOL':
      return Uint8Array.from(d);
  }
}

/**
 * Encodes tensors as a safetensors file: names sorted, data laid out in that order, header JSON
 * padded with spaces so the data buffer starts on an 8-byte boundary. Deterministic: equal inputs
 * give equal bytes. Callers write the Buffer atomically (temp file + rename).
 */
export function writeSafetensors(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    header.__metadata__ = Object.fromEntries(
      Object.keys(metadata)
        .sort()
        .map((k) => [k, metadata[k]]),
    );
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new SafetensorsError('"__metadata__" is reserved and cannot name a tensor', '<writer>', name);
    const t = tensors[name];
    if (!t.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new SafetensorsError(`bad shape [${t.shape.join(', ')}]`, '<writer>', name);
    const bytes = encodeValues(t, name);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padding = (8 - (json.length % 8)) % 8;
  if (padding) json = Buffer.concat([json, Buffer.alloc(padding, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, ...chunks]);
}
