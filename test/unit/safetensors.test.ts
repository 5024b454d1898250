import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  floatToBf16,
  floatToHalf,
  halfToFloat,
  parseSafetensorsBuffer,
  SafetensorsError,
  SafetensorsFile,
  toFloat32,
  withSafetensors,
  writeSafetensors,
} from '../../src/core/io/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'st-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function fileWith(bytes: Uint8Array): string {
  const path = join(dir, `f${counter++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
}

/** Builds a file by hand, straight from the format description (independent of our writer). */
function handMade(header: string, data: Uint8Array, declaredLength?: bigint): Buffer {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

function expectError(bytes: Uint8Array, pattern: RegExp, tensor?: string): void {
  const path = fileWith(bytes);
  assert.throws(
    () => SafetensorsFile.open(path).close(),
    (err: unknown) => {
      assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(path), `message names the file: ${err.message}`);
      if (tensor !== undefined) assert.match(err.message, new RegExp(`tensor "${tensor}"`));
      return true;
    },
  );
}

test('round trip of every dtype through a file', () => {
  const f32 = Float32Array.from([1.5, -2.25, 3e-8, 0]);
  const f64 = Float64Array.from([Math.PI, -1e300, 5e-324]);
  const halfExact = [0.5, -1024, 0.0009765625, 65504];
  const buf = writeSafetensors(
    {
      'w.f32': { dtype: 'F32', shape: [2, 2], data: f32 },
      'w.f64': { dtype: 'F64', shape: [3], data: f64 },
      'w.f16': { dtype: 'F16', shape: [4], data: halfExact },
      'w.bf16': { dtype: 'BF16', shape: [2, 2], data: [1, -2, 0.5, 256] },
      'i.i32': { dtype: 'I32', shape: [3], data: [-7, 0, 2147483647] },
      'i.i64': { dtype: 'I64', shape: [2], data: BigInt64Array.from([-5n, 9007199254740993n]) },
      'i.u8': { dtype: 'U8', shape: [3], data: [0, 128, 255] },
      empty: { dtype: 'F32', shape: [0, 7], data: [] },
    },
    { purpose: 'test', ünïcode: 'ok' },
  );
  withSafetensors(fileWith(buf), (file) => {
    assert.deepEqual(file.metadata, Object.assign(Object.create(null), { purpose: 'test', ünïcode: 'ok' }));
    assert.deepEqual(file.names().sort(), ['empty', 'i.i32', 'i.i64', 'i.u8', 'w.bf16', 'w.f16', 'w.f32', 'w.f64']);
    assert.deepEqual(file.readFloat32('w.f32', [2, 2]), f32);
    assert.deepEqual(new Float64Array(file.readTensor('w.f64').bytes.buffer), f64);
    assert.deepEqual(Array.from(file.readFloat32('w.f16')), halfExact);
    assert.deepEqual(Array.from(file.readFloat32('w.bf16')), [1, -2, 0.5, 256]);
    assert.deepEqual(Array.from(new Int32Array(file.readTensor('i.i32').bytes.buffer)), [-7, 0, 2147483647]);
    assert.deepEqual(Array.from(new BigInt64Array(file.readTensor('i.i64').bytes.buffer)), [-5n, 9007199254740993n]);
    assert.deepEqual(Array.from(file.readFloat32('i.u8')), [0, 128, 255]);
    assert.equal(file.readFloat32('empty', [0, 7]).length, 0);
    assert.throws(() => file.readFloat32('w.f32', [4]), /tensor "w.f32".*expected shape \[4\], found \[2, 2\]/);
    assert.throws(() => file.readTensor('nope'), /tensor "nope".*no such tensor/);
  });
});

test('writer output is deterministic, sorted, and 8-byte aligned with space padding', () => {
  const a = writeSafetensors({ b: { dtype: 'F32', shape: [1], data: [1] }, a: { dtype: 'F32', shape: [2], data: [2, 3] } }, { y: '1', x: '2' });
  const b = writeSafetensors({ a: { dtype: 'F32', shape: [2], data: [2, 3] }, b: { dtype: 'F32', shape: [1], data: [1] } }, { x: '2', y: '1' });
  assert.ok(a.equals(b));
  const n = Number(a.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0);
  const header = a.subarray(8, 8 + n).toString('utf8');
  assert.match(header, /^\{"__metadata__":\{"x":"2","y":"1"\},"a":\{.*\},"b":\{.*\}\} *$/);
  const parsed = JSON.parse(header) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(parsed.a.data_offsets, [0, 8]);
  assert.deepEqual(parsed.b.data_offsets, [8, 12]);
});

test('reads a hand-built file whose header lists tensors out of offset order', () => {
  // "b" comes first in the buffer though "a" comes first in the JSON.
  const data = Buffer.alloc(4 + 4);
  data.writeUInt16LE(0x3c00, 0); // f16 1.0
  data.writeUInt16LE(0xc000, 2); // f16 -2.0
  data.writeFloatLE(7.5, 4);
  const header = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}';
  const bytes = handMade(header, data);
  withSafetensors(fileWith(bytes), (file) => {
    assert.deepEqual(Array.from(file.readFloat32('a')), [7.5]);
    assert.deepEqual(Array.from(file.readFloat32('b')), [1, -2]);
  });
  const mem = parseSafetensorsBuffer(bytes, 'mem');
  assert.deepEqual(Array.from(toFloat32(mem.tensor('b'))), [1, -2]);
});

test('half and bfloat16 conversions round to nearest even and handle the edges', () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'tie rounds to even (down)');
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds to even (up)');
  assert.equal(floatToHalf(65520), 0x7c00, 'overflow to infinity');
  assert.equal(floatToHalf(2 ** -24), 0x0001, 'smallest subnormal');
  assert.equal(floatToHalf(-0), 0x8000);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(Number.NaN))));
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(floatToHalf(halfToFloat(h)), h, `half ${h} round-trips`);
  assert.equal(floatToBf16(1), 0x3f80);
  assert.equal(floatToBf16(1 + 2 ** -8), 0x3f80, 'bf16 tie to even');
  assert.equal(floatToBf16(1 + 3 * 2 ** -8), 0x3f82);
});

test('rejects bad header lengths before allocating them', () => {
  expectError(new Uint8Array(5), /file too short/);
  expectError(handMade('{}', new Uint8Array(0), 1000n), /header length 1000 is larger than the file/);
  expectError(handMade('{}', new Uint8Array(0), 2n ** 63n), /exceeds the 104857600-byte limit/);
  expectError(handMade('{}', new Uint8Array(0), 200n * 1024n * 1024n), /exceeds/);
  expectError(handMade('{"a":', new Uint8Array(0)), /not valid JSON/);
  expectError(handMade('[1,2]', new Uint8Array(0)), /must be a JSON object/);
  expectError(handMade('{}', new Uint8Array(0), 1n), /too small/);
  expectError(Buffer.concat([handMade('{}', new Uint8Array(0)).subarray(0, 8), Buffer.from([0x7b, 0xff])]), /not valid UTF-8/);
});

test('rejects unknown dtypes, size mismatches, bad offsets and coverage, naming the tensor', () => {
  const t = (entries: string, data = 0) => handMade(`{${entries}}`, new Uint8Array(data));
  expectError(t('"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}', 1), /unknown or unsupported dtype "F8_E4M3"/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}', 8), /needs 12 bytes but data_offsets \[0, 8\] span 8/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}', 4), /needs 4835703278458516698824704 bytes/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}', 4), /shape\[0\] must be a non-negative integer/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}', 4), /end before begin/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}', 4), /"data_offsets" must be two/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}', 2), /run past the data buffer \(2 bytes\)/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}', 4), /run past the data buffer/, 'x');
  expectError(
    t('"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}', 8),
    /overlap the previous tensor/,
    'y',
  );
  expectError(t('"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}', 8), /gap in the data buffer: bytes 0\.\.4/, 'x');
  expectError(t('"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}', 12), /data buffer has 12 bytes but tensors cover only 4/);
  expectError(t('"x":7', 0), /header entry must be an object/, 'x');
  expectError(t('"__metadata__":{"k":1}', 0), /"__metadata__.k" must be a string/);
  expectError(t('"__metadata__":[1]', 0), /"__metadata__" must be an object/);
});

test('a missing file is a SafetensorsError naming the path', () => {
  const path = join(dir, 'does-not-exist.safetensors');
  assert.throws(
    () => SafetensorsFile.open(path),
    (err: unknown) => err instanceof SafetensorsError && err.message.includes(path),
  );
});

test('a 3 GB file is opened from its header and one small tensor is read without loading the rest', () => {
  const big = 3 * 1024 ** 3;
  const header = Buffer.from(
    JSON.stringify({ huge: { dtype: 'U8', shape: [big], data_offsets: [0, big] }, small: { dtype: 'F32', shape: [2], data_offsets: [big, big + 8] } }),
  );
  const path = join(dir, 'sparse.safetensors');
  const fd = openSync(path, 'w');
  try {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    writeSync(fd, prefix, 0, 8, 0);
    writeSync(fd, header, 0, header.length, 8);
    const small = Buffer.alloc(8);
    small.writeFloatLE(4.5, 0);
    small.writeFloatLE(-1, 4);
    ftruncateSync(fd, 8 + header.length + big + 8); // sparse: no disk space used
    writeSync(fd, small, 0, 8, 8 + header.length + big);
  } finally {
    closeSync(fd);
  }
  const before = process.memoryUsage().rss;
  withSafetensors(path, (file) => {
    assert.equal(file.info('huge').end, big);
    assert.deepEqual(Array.from(file.readFloat32('small')), [4.5, -1]);
  });
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 200 * 1024 * 1024, `rss grew by ${grown} bytes`);
  rmSync(path);
});

test('writer rejects inconsistent input', () => {
  assert.throws(() => writeSafetensors({ x: { dtype: 'F32', shape: [3], data: [1, 2] } }), /tensor "x".*needs 3 values, got 2/);
  assert.throws(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: [] } }), /reserved/);
  assert.throws(() => writeSafetensors({ x: { dtype: 'F32', shape: [-1], data: [] } }), /bad shape/);
});
