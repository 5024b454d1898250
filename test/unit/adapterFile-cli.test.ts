/** `symlora inspect` and `symlora export`, called through their run() on fixture adapters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { run as inspect } from '../../src/cli/commands/inspect';
import { run as exportCmd } from '../../src/cli/commands/export';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_FILE,
  BASE_LAYERS_FILE,
  encodeAdapter,
  encodeBaseLayers,
  readAdapter,
  type AdapterBundle,
} from '../../src/core/io/adapterFile';
import { denseLora, denseSymlora } from '../../src/core/linalg/spectra';
import type { LayerSpectrum } from '../../src/core/protocol';
import { scratchDirs } from '../helpers/tmp';

const freshDir = scratchDirs('cli-adapter-');

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (t) => (out += t), stderr: (t) => (err += t) }, out: () => out, err: () => err };
}

/** n×r Q whose columns are the first r unit vectors: orthonormal, so the eigenvalues are exactly s·λ. */
function unitColumns(n: number, r: number): Float32Array {
  const q = new Float32Array(n * r);
  for (let j = 0; j < r; j++) q[j * r + j] = 1;
  return q;
}

function fixture(): AdapterBundle {
  return {
    config: { kind: 'symlora', rank: 3, alpha: 6, scaling: 'alpha/r', targets: ['hidden.*'], modelArch: 'mlp' },
    layers: [
      { kind: 'symlora', layer: 'hidden.0', shape: [8, 8], rank: 3, scale: 2, Q: unitColumns(8, 3), lambda: Float32Array.from([0.25, -1.5, 0.5]) },
      {
        kind: 'lora',
        layer: 'hidden.1',
        shape: [4, 8],
        rank: 3,
        scale: 2,
        A: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
        B: Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)),
      },
    ],
  };
}

function runDir(withBase: boolean): string {
  const dir = freshDir();
  const { safetensors, configJson } = encodeAdapter(fixture());
  writeFileSync(join(dir, ADAPTER_FILE), safetensors);
  writeFileSync(join(dir, ADAPTER_CONFIG_FILE), configJson);
  if (withBase) {
    // W = 4·I on the square layer → ‖W‖₂ = 4; relative norm = max|s·λ| / 4 = 3 / 4.
    const eye = new Float32Array(64);
    for (let i = 0; i < 8; i++) eye[i * 8 + i] = 4;
    writeFileSync(join(dir, BASE_LAYERS_FILE), encodeBaseLayers([{ layer: 'hidden.0', shape: [8, 8], W: eye }]));
  }
  return dir;
}

test('inspect prints a per-layer table with signed eigenvalues, ‖QᵀQ−I‖ and relative norm', async () => {
  const dir = runDir(true);
  const c = capture();
  assert.equal(await inspect([dir], c.io), 0, c.err());
  const text = c.out();
  assert.match(text, /symlora adapter, rank 3, alpha 6 \(alpha\/r\), 2 layer\(s\)/);
  const row0 = text.split('\n').find((l) => l.startsWith('hidden.0'))!;
  assert.match(row0, /symlora\s+8×8\s+3\s+-3 \+1 \+0\.5\s+3 1 0\.5\s+0\s+/);
  assert.match(row0, /0\.75$/, 'relative norm 3/4');
  const row1 = text.split('\n').find((l) => l.startsWith('hidden.1'))!;
  assert.match(row1, /lora\s+4×8\s+3\s+—/, 'no symmetric part for a rectangular LoRA layer');
  assert.match(row1, /—$/, 'no base weight for hidden.1');
  assert.match(text, /rel\. norm needs base_layers\.safetensors/);
});

test('inspect --json gives the full LayerSpectrum objects', async () => {
  const dir = runDir(true);
  const c = capture();
  assert.equal(await inspect([join(dir, ADAPTER_FILE), '--json'], c.io), 0, c.err());
  const parsed = JSON.parse(c.out()) as { format: string; config: { kind: string }; layers: LayerSpectrum[] };
  assert.equal(parsed.format, 'symlora-lab');
  assert.equal(parsed.config.kind, 'symlora');
  const [sym, lora] = parsed.layers;
  assert.deepEqual(
    sym.eigenvalues.map((v) => Number(v.toFixed(12))),
    [-3, 1, 0.5],
  );
  assert.ok(Math.abs(sym.relativeNorm! - 0.75) < 1e-12);
  assert.ok(sym.orthogonalityError! < 1e-12);
  assert.ok(sym.alignment!.every((x) => x >= 0 && x <= 1));
  assert.equal(lora.relativeNorm, undefined, 'no base weight, no relative norm');
  assert.equal(lora.singularValues.length, 3);
});

test('inspect fails clearly with exit 1 on a bad path or bad arguments', async () => {
  const missing = join(freshDir(), 'no-such-run');
  let c = capture();
  assert.equal(await inspect([missing], c.io), 1);
  assert.match(c.err(), new RegExp(`symlora inspect: ${missing.replace(/[/\\.]/g, '\\$&')}`));
  assert.equal(c.out(), '');
  const junk = join(freshDir(), 'junk.safetensors');
  writeFileSync(junk, 'nope');
  c = capture();
  assert.equal(await inspect([junk], c.io), 1);
  assert.match(c.err(), /junk\.safetensors/);
  c = capture();
  assert.equal(await inspect([], c.io), 1);
  assert.match(c.err(), /missing RUN_DIR_OR_FILE[\s\S]*usage: symlora inspect/);
  c = capture();
  assert.equal(await inspect(['x', '--verbose'], c.io), 1);
  assert.match(c.err(), /unknown option "--verbose"/);
});

test('export writes a PEFT adapter that inspect and readAdapter read back with the same updates', async () => {
  const dir = runDir(false);
  const out = join(freshDir(), 'peft-out');
  let c = capture();
  assert.equal(await exportCmd([dir, '--format', 'peft', '--out', out], c.io), 0, c.err());
  assert.match(c.out(), /Exported 2 layer\(s\)/);
  assert.deepEqual(readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.equal((JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as { peft_type: string }).peft_type, 'LORA');
  const original = fixture();
  const back = readAdapter(out);
  back.layers.forEach((w, i) => {
    const o = original.layers[i];
    assert.equal(w.kind, 'lora');
    if (w.kind !== 'lora') return;
    const expected = o.kind === 'lora' ? denseLora(o.A, o.B, 4, 8, 3, o.scale) : denseSymlora(o.Q, o.lambda, 8, 3, o.scale);
    const got = denseLora(w.A, w.B, w.shape[0], w.shape[1], w.rank, w.scale);
    assert.ok(got.sub(expected).norm('frobenius') < 1e-6 * expected.norm('frobenius'), w.layer);
  });
  c = capture();
  assert.equal(await inspect([out], c.io), 0, c.err());
  assert.match(c.out(), /lora adapter, rank 3, alpha 6/);
  c = capture();
  assert.equal(await inspect([out, '--json'], c.io), 0, c.err());
  assert.equal((JSON.parse(c.out()) as { format: string }).format, 'peft');
});

test('export refuses a non-empty --out without --force, replaces it with --force, leaves no temp dirs', async () => {
  const dir = runDir(false);
  const parent = freshDir();
  const out = join(parent, 'target');
  mkdirSync(out);
  writeFileSync(join(out, 'keep.txt'), 'precious');
  let c = capture();
  assert.equal(await exportCmd([dir, '--out', out], c.io), 1);
  assert.match(c.err(), /is not empty \(use --force to replace it\)/);
  assert.equal(readFileSync(join(out, 'keep.txt'), 'utf8'), 'precious');
  c = capture();
  assert.equal(await exportCmd([dir, '--format=peft', `--out=${out}`, '--force'], c.io), 0, c.err());
  assert.deepEqual(readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  assert.deepEqual(readdirSync(parent), ['target'], 'no temp or old dirs left behind');
  // An empty existing directory is fine without --force.
  const empty = join(parent, 'empty');
  mkdirSync(empty);
  assert.equal(await exportCmd([dir, '--out', empty], capture().io), 0);
});

test('export errors: bad source, unknown format, missing --out; nothing is created', async () => {
  const parent = freshDir();
  const out = join(parent, 'never');
  let c = capture();
  assert.equal(await exportCmd([join(freshDir(), 'missing-run'), '--out', out], c.io), 1);
  assert.match(c.err(), /missing-run/);
  c = capture();
  assert.equal(await exportCmd([runDir(false), '--format', 'onnx', '--out', out], c.io), 1);
  assert.match(c.err(), /unsupported --format "onnx" \(supported: peft\)/);
  c = capture();
  assert.equal(await exportCmd([runDir(false)], c.io), 1);
  assert.match(c.err(), /missing --out DIR[\s\S]*usage: symlora export/);
  assert.deepEqual(readdirSync(parent), []);
});
