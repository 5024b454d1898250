/** Turns a pool of examples into seeded train/val/test Splits, recording what was done. */
import type { Split } from './types';
import type { SplitName, SplitSizes } from './split';
import { SPLIT_NAMES, fitSizes, splitRng, stratifiedDraw, takeRows } from './split';

export interface Pool {
  /** Row-major features, `n × featureSize`. */
  x: ArrayLike<number>;
  featureSize: number;
  y: ArrayLike<number>;
  text?: readonly string[];
  /** Multiplier applied while copying rows (e.g. 1/255 for bytes). */
  scale?: number;
  /**
   * A fixed partition, when the source defines one (Fashion-MNIST's official test set, spam's
   * older vs newer groups): train and val are drawn from `trainPool`, test from `testPool`.
   */
  fixed?: { trainPool: number[]; testPool: number[]; description: string };
}

export interface SplitResult {
  splits: Record<SplitName, Split>;
  info: Record<string, string | number | boolean>;
}

/** Draws stratified splits of (at most) the requested sizes from the pool, by seed. */
export function splitPool(pool: Pool, requested: SplitSizes, seed: number, what: string): SplitResult {
  const rng = splitRng(seed);
  let indices: Record<SplitName, number[]>;
  let sizes: SplitSizes;
  if (pool.fixed) {
    const { trainPool, testPool } = pool.fixed;
    const trainVal = fitSizes({ train: requested.train, val: requested.val, test: 0 }, trainPool.length, `${what} (train part)`);
    const test = fitSizes({ train: 0, val: 0, test: requested.test }, testPool.length, `${what} (test part)`);
    sizes = { train: trainVal.train, val: trainVal.val, test: test.test };
    const [testIdx] = stratifiedDraw(testPool, pool.y, [sizes.test], rng);
    const [valIdx, trainIdx] = stratifiedDraw(trainPool, pool.y, [sizes.val, sizes.train], rng);
    indices = { train: trainIdx, val: valIdx, test: testIdx };
  } else {
    const n = pool.y.length;
    sizes = fitSizes(requested, n, what);
    const all = Array.from({ length: n }, (_, i) => i);
    const [testIdx, valIdx, trainIdx] = stratifiedDraw(all, pool.y, [sizes.test, sizes.val, sizes.train], rng);
    indices = { train: trainIdx, val: valIdx, test: testIdx };
  }
  const splits = {} as Record<SplitName, Split>;
  for (const name of SPLIT_NAMES) {
    splits[name] = takeRows(pool.x, pool.featureSize, pool.y, indices[name], pool.text, pool.scale ?? 1);
  }
  return { splits, info: sizeInfo(pool, requested, sizes) };
}

function sizeInfo(pool: Pool, requested: SplitSizes, sizes: SplitSizes): Record<string, string | number | boolean> {
  const truncated = SPLIT_NAMES.some((s) => sizes[s] < requested[s]);
  const info: Record<string, string | number | boolean> = {
    examplesAvailable: pool.fixed ? pool.fixed.trainPool.length + pool.fixed.testPool.length : pool.y.length,
    split: pool.fixed ? pool.fixed.description : 'stratified random (seeded Rng, split stream), test drawn first, then val, then train',
    trainSize: sizes.train,
    valSize: sizes.val,
    testSize: sizes.test,
    truncated,
  };
  if (truncated) {
    info.requestedSizes = `train ${requested.train}, val ${requested.val}, test ${requested.test}`;
  }
  return info;
}

/** Applies `f` to each split's features (e.g. resizing images) and returns the new splits. */
export function mapFeatures(splits: Record<SplitName, Split>, f: (x: Float32Array, count: number) => Float32Array): Record<SplitName, Split> {
  const out = {} as Record<SplitName, Split>;
  for (const name of SPLIT_NAMES) out[name] = { ...splits[name], x: f(splits[name].x, splits[name].count) };
  return out;
}
