import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';

import { join } from 'node:path';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_FILE,
  AdapterFileError,
  BASE_LAYERS_FILE,
  encodeAdapter,
  encodeBaseLayers,
  isAdapterFile,
  openAdapter,
  readAdapter,
  readBaseLayers,
  type AdapterBundle,
} from '../../src/core/io/adapterFile';
import { SafetensorsError, writeSafetensors } from '../../src/core/io/safetensors';
import { randomArray, randomLoraLayer, randomSymloraLayer, Rng } from '../helpers/random';
import { scratchDirs } from '../helpers/tmp';

const freshDir = scratchDirs('adapter-test-');

const rng = new Rng(42);

function mixedBundle(): AdapterBundle {
  return {
    config: { kind: 'symlora', rank: 4, alpha: 8, scaling: 'alpha/r', targets: ['encoder.*'], modelArch: 'transformer' },
    layers: [
      randomSymloraLayer(rng, 'encoder.0.attn.q', 16, 4, 2, Float32Array.from([0.5, -0.25, 0.125, -1])),
      randomSymloraLayer(rng, 'encoder.0.attn.v', 16, 4, 2),
      // nonSquare: 'lora' fallback on a rectangular layer
      randomLoraLayer(rng, 'encoder.0.ffn.up', 24, 16, 4, 2),
    ],
  };
}

function writeRun(bundle: AdapterBundle): string {
  const dir = freshDir();
  const { safetensors, configJson } = encodeAdapter(bundle);
  writeFileSync(join(dir, ADAPTER_FILE), safetensors);
  writeFileSync(join(dir, ADAPTER_CONFIG_FILE), configJson);
  return dir;
}

test('our format round-trips exactly through a run dir and through the file alone', () => {
  const bundle = mixedBundle();
  const dir = writeRun(bundle);
  assert.deepEqual(readAdapter(dir), bundle);
  assert.deepEqual(readAdapter(join(dir, ADAPTER_FILE)), bundle);
  const config = JSON.parse(encodeAdapter(bundle).configJson) as Record<string, unknown>;
  assert.equal(config.format, 'symlora-lab');
  assert.equal(config.kind, 'symlora');
  assert.deepEqual(
    config.layers,
    bundle.layers.map((l) => ({ name: l.layer, kind: l.kind, scale: l.scale })),
  );
});

test('encodeAdapter is deterministic and names tensors <layer>.Q / .lambda / .lora_A / .lora_B', () => {
  const bundle = mixedBundle();
  const a = encodeAdapter(bundle);
  const b = encodeAdapter(structuredClone(bundle));
  assert.ok(a.safetensors.equals(b.safetensors));
  assert.equal(a.configJson, b.configJson);
  const n = Number(a.safetensors.readBigUInt64LE(0));
  const header = JSON.parse(a.safetensors.subarray(8, 8 + n).toString()) as Record<string, { shape?: number[] }>;
  assert.deepEqual(header['encoder.0.attn.q.Q'].shape, [16, 4]);
  assert.deepEqual(header['encoder.0.attn.q.lambda'].shape, [4]);
  assert.deepEqual(header['encoder.0.ffn.up.lora_A'].shape, [4, 16]);
  assert.deepEqual(header['encoder.0.ffn.up.lora_B'].shape, [24, 4]);
});

test('encodeAdapter rejects inconsistent layers, naming them', () => {
  const bad = mixedBundle();
  const q = bad.layers[0];
  if (q.kind === 'symlora') q.lambda = new Float32Array(3);
  assert.throws(() => encodeAdapter(bad), /layer "encoder.0.attn.q": lambda has 3 values, expected 4/);
  const dup = mixedBundle();
  dup.layers.push(dup.layers[0]);
  assert.throws(() => encodeAdapter(dup), /appears twice/);
  const rect = mixedBundle();
  rect.layers[0].shape = [16, 8];
  assert.throws(() => encodeAdapter(rect), /symlora needs a square layer/);
});

test('readAdapter: clear errors for missing paths, empty dirs, foreign files and damaged metadata', () => {
  const missing = join(freshDir(), 'nowhere');
  assert.throws(
    () => readAdapter(missing),
    (e: unknown) => e instanceof AdapterFileError && e.message.startsWith(missing),
  );
  const empty = freshDir();
  assert.throws(() => readAdapter(empty), /no adapter.safetensors \(SymLoRA Lab run\) or adapter_model.safetensors \(PEFT\)/);
  const foreign = join(freshDir(), 'model.safetensors');
  writeFileSync(foreign, writeSafetensors({ 'model.weight': { dtype: 'F32', shape: [1], data: [1] } }));
  assert.throws(() => readAdapter(foreign), /not a LoRA\/SymLoRA adapter/);
  const garbage = join(freshDir(), 'x.safetensors');
  writeFileSync(garbage, 'not a safetensors file at all');
  assert.throws(() => readAdapter(garbage), SafetensorsError);

  // Metadata says a layer exists whose tensors are gone.
  const { safetensors } = encodeAdapter(mixedBundle());
  const n = Number(safetensors.readBigUInt64LE(0));
  const header = JSON.parse(safetensors.subarray(8, 8 + n).toString()) as { __metadata__: Record<string, string> };
  const layers = JSON.parse(header.__metadata__.layers) as unknown[];
  const damaged = join(freshDir(), ADAPTER_FILE);
  writeFileSync(damaged, writeSafetensors({}, { ...header.__metadata__, layers: JSON.stringify(layers) }));
  assert.throws(() => readAdapter(damaged), /layer "encoder.0.attn.q" \(symlora\) is missing tensor "encoder.0.attn.q.Q"/);
  const future = join(freshDir(), ADAPTER_FILE);
  writeFileSync(future, writeSafetensors({}, { ...header.__metadata__, version: '9' }));
  assert.throws(() => readAdapter(future), /__metadata__.version "9" is not supported/);
  const badConfig = join(freshDir(), ADAPTER_FILE);
  writeFileSync(badConfig, writeSafetensors({}, { ...header.__metadata__, config: '{"kind":"dora"}' }));
  assert.throws(() => readAdapter(badConfig), /__metadata__.config: .kind must be "lora" or "symlora", got "dora"/);
});

test('isAdapterFile recognises ours, and nothing else that lacks a PEFT config', () => {
  const dir = writeRun(mixedBundle());
  assert.equal(isAdapterFile(join(dir, ADAPTER_FILE)), true);
  const other = freshDir();
  const peftLike = join(other, 'adapter_model.safetensors');
  writeFileSync(
    peftLike,
    writeSafetensors({
      'base_model.model.fc.lora_A.weight': { dtype: 'F32', shape: [1, 2], data: [1, 2] },
      'base_model.model.fc.lora_B.weight': { dtype: 'F32', shape: [2, 1], data: [1, 2] },
    }),
  );
  assert.equal(isAdapterFile(peftLike), false, 'no adapter_config.json beside it');
  writeFileSync(join(other, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 1, lora_alpha: 1 }));
  assert.equal(isAdapterFile(peftLike), true);
  writeFileSync(join(other, 'adapter_config.json'), JSON.stringify({ peft_type: 'IA3' }));
  assert.equal(isAdapterFile(peftLike), false);
  const plain = join(other, 'model.safetensors');
  writeFileSync(plain, writeSafetensors({ w: { dtype: 'F32', shape: [1], data: [0] } }));
  assert.equal(isAdapterFile(plain), false);
  assert.equal(isAdapterFile(join(other, 'missing.safetensors')), false);
});

test('base layers: written by name, read back for the requested layers, shape-checked', () => {
  const dir = writeRun(mixedBundle());
  const Wq = randomArray(256, rng);
  writeFileSync(join(dir, BASE_LAYERS_FILE), encodeBaseLayers([{ layer: 'encoder.0.attn.q', shape: [16, 16], W: Wq }]));
  const got = readBaseLayers(dir, [
    { layer: 'encoder.0.attn.q', shape: [16, 16] },
    { layer: 'encoder.0.attn.v', shape: [16, 16] },
  ]);
  assert.deepEqual([...got.keys()], ['encoder.0.attn.q']);
  assert.deepEqual(got.get('encoder.0.attn.q'), Wq);
  assert.equal(readBaseLayers(freshDir(), [{ layer: 'x', shape: [1, 1] }]).size, 0, 'no file → no base');
  assert.throws(() => readBaseLayers(join(dir, ADAPTER_FILE), [{ layer: 'encoder.0.attn.q', shape: [8, 32] }]), /expected shape \[8, 32\], found \[16, 16\]/);
});

test('openAdapter reads headers first and one layer on demand', () => {
  const bundle = mixedBundle();
  const dir = writeRun(bundle);
  const handle = openAdapter(dir);
  try {
    assert.equal(handle.format, 'symlora-lab');
    assert.deepEqual(
      handle.layers,
      bundle.layers.map((l) => ({ layer: l.layer, kind: l.kind, shape: l.shape, rank: l.rank, scale: l.scale })),
    );
    assert.deepEqual(handle.readLayer('encoder.0.ffn.up'), bundle.layers[2]);
    assert.throws(() => handle.readLayer('encoder.9.attn.q'), /no adapted layer "encoder.9.attn.q"/);
  } finally {
    handle.close();
  }
});

test('base_layers.safetensors is not mistaken for an adapter', () => {
  const dir = writeRun(mixedBundle());
  const base = join(dir, BASE_LAYERS_FILE);
  writeFileSync(base, encodeBaseLayers([{ layer: 'encoder.0.attn.q', shape: [2, 2], W: new Float32Array(4) }]));
  assert.equal(isAdapterFile(base), false);
  assert.throws(() => readAdapter(base), /holds the frozen base layers of a run, not an adapter/);
  assert.equal(readAdapter(dir).layers.length, 3, 'the run dir still reads its adapter');
});

test('a 3 GB PEFT adapter: one small layer is read without loading the huge one', () => {
  const dir = freshDir();
  const r = 1;
  const hugeIn = (3 * 1024 ** 3) / 4; // lora_A of the huge module alone is 3 GB of F32
  const tensors = {
    'base_model.model.huge.lora_A.weight': { dtype: 'F32', shape: [r, hugeIn], data_offsets: [0, hugeIn * 4] },
    'base_model.model.huge.lora_B.weight': { dtype: 'F32', shape: [2, r], data_offsets: [hugeIn * 4, hugeIn * 4 + 8] },
    'base_model.model.small.lora_A.weight': { dtype: 'F32', shape: [r, 2], data_offsets: [hugeIn * 4 + 8, hugeIn * 4 + 16] },
    'base_model.model.small.lora_B.weight': { dtype: 'F32', shape: [2, r], data_offsets: [hugeIn * 4 + 16, hugeIn * 4 + 24] },
  };
  const header = Buffer.from(JSON.stringify(tensors));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const path = join(dir, 'adapter_model.safetensors');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.concat([prefix, header]), 0, 8 + header.length, 0);
    ftruncateSync(fd, 8 + header.length + hugeIn * 4 + 24); // sparse
    writeSync(fd, Buffer.from(Float32Array.from([3, 4, 5, 6]).buffer), 0, 16, 8 + header.length + hugeIn * 4 + 8);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 1, lora_alpha: 2 }));
  const before = process.memoryUsage().rss;
  const handle = openAdapter(dir);
  try {
    assert.equal(handle.format, 'peft');
    assert.deepEqual(
      handle.layers.map((l) => [l.layer, l.shape]),
      [
        ['huge', [2, hugeIn]],
        ['small', [2, 2]],
      ],
    );
    const small = handle.readLayer('small');
    assert.ok(small.kind === 'lora');
    assert.deepEqual(Array.from(small.A), [3, 4]);
    assert.deepEqual(Array.from(small.B), [5, 6]);
    assert.equal(small.scale, 2);
  } finally {
    handle.close();
  }
  assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
  rmSync(path);
});
