/**
 * Fuzz test of the safetensors reader: thousands of truncated, bit-flipped, overwritten and
 * semantically mangled files (fixed seed). Every one must either parse consistently (file and
 * buffer readers agree, every tensor reads back with the size its header promises) or throw a
 * SafetensorsError; nothing else may escape, and memory must stay bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTYPE_BYTES, parseSafetensorsBuffer, SafetensorsError, SafetensorsFile, toFloat32, writeSafetensors } from '../../src/core/io/safetensors';
import { AdapterFileError, encodeAdapter, readAdapter } from '../../src/core/io/adapterFile';
import { layerSpectrum } from '../../src/core/linalg/spectra';
import { pick, Rng } from '../helpers/random';

const CASES = 3000;

const rng = new Rng(20261124);

function seeds(): Buffer[] {
  return [
    writeSafetensors({}),
    writeSafetensors({ x: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] } }, { format: 'pt' }),
    writeSafetensors(
      {
        'layer.Q': { dtype: 'F32', shape: [8, 2], data: Array.from({ length: 16 }, (_, i) => i / 3) },
        'layer.lambda': { dtype: 'F32', shape: [2], data: [0.5, -0.25] },
        h: { dtype: 'F16', shape: [3], data: [1, 2, 3] },
        b: { dtype: 'BF16', shape: [1, 2], data: [1, -1] },
        d: { dtype: 'F64', shape: [1], data: [Math.E] },
        i: { dtype: 'I64', shape: [2], data: [1, -1] },
        z: { dtype: 'I32', shape: [0], data: [] },
      },
      { format: 'symlora-lab', version: '1', layers: '[]' },
    ),
  ];
}

const INTERESTING_NUMBERS = [0, 1, -1, 3, 7, 8, 255, 65536, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -0.5, 1.5, Number.MAX_SAFE_INTEGER];

/** Rewrites the JSON header: changes numbers, dtypes, shapes, keys; keeps the length prefix right. */
function mangleHeader(file: Buffer): Buffer {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString('utf8')) as Record<string, Record<string, unknown>>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = names.length ? pick(rng, names) : 'new';
  const entry = (header[name] ??= { dtype: 'F32', shape: [1], data_offsets: [0, 4] });
  switch (rng.int(9)) {
    case 0:
      entry.dtype = pick(rng, ['F8_E4M3', 'f32', '', 'U64', 'BOOL', 'I8', 7, null]);
      break;
    case 1:
      entry.shape = Array.from({ length: rng.int(4) }, () => pick(rng, INTERESTING_NUMBERS));
      break;
    case 2:
      entry.data_offsets = [pick(rng, INTERESTING_NUMBERS), pick(rng, INTERESTING_NUMBERS)];
      break;
    case 3:
      delete entry[pick(rng, ['dtype', 'shape', 'data_offsets'])];
      break;
    case 4:
      header[name] = pick(rng, [[], 'x', 3, null, { nested: { deeper: [] } }]) as never;
      break;
    case 5:
      header.__metadata__ = pick(rng, [{ a: 1 }, [], 'str', { ok: 'yes' }, null]) as never;
      break;
    case 6:
      header[`copy-${rng.int(9)}`] = { ...entry };
      break;
    case 7:
      entry.data_offsets = [
        (entry.data_offsets as number[] | undefined)?.[0] ?? 0,
        ((entry.data_offsets as number[] | undefined)?.[1] ?? 0) + pick(rng, [-4, -1, 1, 4]),
      ];
      break;
    default:
      entry.shape = [...((entry.shape as number[] | undefined) ?? []), pick(rng, [0, 1, 2])];
      break;
  }
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, file.subarray(8 + n)]);
}

function mutate(seed: Buffer): Buffer {
  const b = Buffer.from(seed);
  switch (rng.int(7)) {
    case 0:
      return b.subarray(0, rng.int(b.length)); // truncate
    case 1: {
      // flip 1–8 bits anywhere
      for (let k = 1 + rng.int(8); k > 0; k--) {
        const i = rng.int(b.length);
        b[i] ^= 1 << rng.int(8);
      }
      return b;
    }
    case 2: {
      // flip bits in the length prefix
      b[rng.int(8)] ^= 1 << rng.int(8);
      return b;
    }
    case 3: {
      // random declared header length
      b.writeBigUInt64LE(pick(rng, [0n, 1n, 2n ** 64n - 1n, 2n ** 40n, BigInt(rng.int(b.length + 16)), 100n * 1024n * 1024n + 1n]));
      return b;
    }
    case 4: {
      // overwrite a run of bytes with random ones
      const start = rng.int(b.length);
      for (let i = start; i < Math.min(b.length, start + 1 + rng.int(16)); i++) b[i] = rng.int(256);
      return b;
    }
    case 5:
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + rng.int(12) }, () => rng.int(256)))]); // trailing garbage
    default:
      try {
        return mangleHeader(seed);
      } catch {
        return b.subarray(0, Math.max(0, b.length - 1)); // header already broken by an earlier mutation
      }
  }
}

type Outcome = { ok: true; summary: string } | { ok: false; message: string };

/** Opens and reads everything; returns a summary that must match between the file and buffer readers. */
function readFile(path: string): Outcome {
  try {
    const file = SafetensorsFile.open(path);
    try {
      const parts: string[] = [];
      for (const [name, info] of [...file.tensors].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const t = file.readTensor(name);
        const expected = info.shape.reduce((a, d) => a * d, DTYPE_BYTES[info.dtype]);
        assert.equal(t.bytes.byteLength, expected, `tensor ${name} has the size its header promises`);
        const values = toFloat32(t);
        parts.push(`${name}:${info.dtype}:${info.shape.join('x')}:${values.length}`);
      }
      return { ok: true, summary: parts.join('|') };
    } finally {
      file.close();
    }
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
    return { ok: false, message: err.message.slice(path.length) };
  }
}

function readBuffer(bytes: Buffer, label: string): Outcome {
  try {
    const parsed = parseSafetensorsBuffer(bytes, label);
    const parts = [...parsed.header.tensors.keys()].sort().map((name) => {
      const info = parsed.header.tensors.get(name)!;
      return `${name}:${info.dtype}:${info.shape.join('x')}:${toFloat32(parsed.tensor(name)).length}`;
    });
    return { ok: true, summary: parts.join('|') };
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
    return { ok: false, message: err.message.slice(label.length) };
  }
}

test(`fuzz: ${CASES} mutated safetensors files parse consistently or throw SafetensorsError, with bounded memory`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-fuzz-'));
  const path = join(dir, 'case.safetensors');
  const corpus = seeds();
  const baseline = process.memoryUsage();
  let peakArrayBuffers = 0;
  let peakRss = 0;
  let accepted = 0;
  const reasons = new Map<string, number>();
  try {
    for (let i = 0; i < CASES; i++) {
      // Mutations stack sometimes, so errors deep in a valid-looking file are reached too.
      let bytes = mutate(pick(rng, corpus));
      if (rng.next() < 0.3 && bytes.length >= 8) bytes = mutate(bytes);
      writeFileSync(path, bytes);
      const fromFile = readFile(path);
      const fromBuffer = readBuffer(bytes, path);
      assert.deepEqual(fromBuffer, fromFile, `case ${i}: file and buffer readers disagree`);
      if (fromFile.ok) accepted++;
      else {
        const reason = fromFile.message
          .replace(/[0-9]+/g, 'N')
          .replace(/"[^"]*"/g, 'S')
          .slice(0, 40);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      const mem = process.memoryUsage();
      peakArrayBuffers = Math.max(peakArrayBuffers, mem.arrayBuffers);
      peakRss = Math.max(peakRss, mem.rss);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.FUZZ_VERBOSE) console.log(accepted, reasons);
  const mb = 1024 * 1024;
  assert.ok(peakArrayBuffers - baseline.arrayBuffers < 64 * mb, `arrayBuffers grew by ${(peakArrayBuffers - baseline.arrayBuffers) / mb} MB`);
  assert.ok(peakRss - baseline.rss < 256 * mb, `rss grew by ${(peakRss - baseline.rss) / mb} MB`);
  // The mutations must exercise both outcomes and many distinct checks, or the test proves little.
  assert.ok(accepted > 50, `only ${accepted} files accepted`);
  assert.ok(CASES - accepted > CASES / 2, `only ${CASES - accepted} files rejected`);
  assert.ok(reasons.size >= 12, `only ${reasons.size} distinct rejection reasons: ${[...reasons.keys()].join('; ')}`);
});

/** Rewrites one __metadata__ value of an adapter file (our format) with a mangled JSON string. */
function mangleMetadata(file: Buffer): Buffer {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString('utf8')) as { __metadata__: Record<string, string> };
  const md = header.__metadata__;
  const key = pick(rng, ['config', 'layers', 'version', 'format', 'content']);
  const value = md[key] ?? '';
  md[key] = pick(rng, [
    value.slice(0, rng.int(value.length + 1)),
    value.replace(/[0-9]/, String(rng.int(10))),
    value.replace(/"(lora|symlora)"/, pick(rng, ['"dora"', '1', 'null', '"symlora"', '"lora"'])),
    value.replace(/"scale":[^,}]+/, pick(rng, ['"scale":"x"', '"scale":1e999', '"scale":-2'])),
    value.replace(/"name":"[^"]*"/, pick(rng, ['"name":""', '"name":"nope"', '"name":7'])),
    '[]',
    '{}',
    'null',
    '[{}]',
  ]);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, file.subarray(8 + n)]);
}

test('fuzz: 1000 mutated adapter files give AdapterFileError or SafetensorsError, nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'adapter-fuzz-'));
  const path = join(dir, 'adapter.safetensors');
  const q = Float32Array.from({ length: 12 }, (_, i) => i / 7);
  const seed = encodeAdapter({
    config: { kind: 'symlora', rank: 3, alpha: 6, scaling: 'alpha/r', targets: ['*'] },
    layers: [
      { kind: 'symlora', layer: 'a', shape: [4, 4], rank: 3, scale: 2, Q: q, lambda: Float32Array.from([1, -1, 0.5]) },
      { kind: 'lora', layer: 'b', shape: [2, 4], rank: 3, scale: 2, A: q, B: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    ],
  }).safetensors;
  let accepted = 0;
  try {
    for (let i = 0; i < 1000; i++) {
      const bytes = rng.next() < 0.5 ? mangleMetadata(seed) : mutate(seed);
      writeFileSync(path, bytes);
      try {
        const bundle = readAdapter(path);
        accepted++;
        for (const layer of bundle.layers) layerSpectrum(layer);
      } catch (err) {
        assert.ok(err instanceof AdapterFileError || err instanceof SafetensorsError, `case ${i}: ${String(err)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(accepted > 20 && accepted < 900, `accepted ${accepted}`);
});
