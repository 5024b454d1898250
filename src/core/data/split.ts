/**
 * Deterministic, seeded, stratified train/val/test splits.
 * Randomness comes from the project's own Rng (its "split" stream), so splits do not depend on
 * any library's random state.
 */
import type { Split } from './types';
import { DatasetError } from './errors';
import { Rng, STREAMS } from '../rng';

/** The generator every split of a run draws from: the seed's dedicated split stream. */
export function splitRng(seed: number): Rng {
  return new Rng(seed, STREAMS.split);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

export type SplitName = keyof SplitSizes;
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/**
 * Fits the requested sizes into `available` examples. When they do not fit, every split shrinks
 * in proportion (rounding leftovers go to train); a split that was asked for but would end up empty is an error.
 */
export function fitSizes(requested: SplitSizes, available: number, what: string): SplitSizes {
  const total = requested.train + requested.val + requested.test;
  if (total <= available) return { ...requested };
  const scale = available / total;
  const fitted = {
    train: Math.floor(requested.train * scale),
    val: Math.floor(requested.val * scale),
    test: Math.floor(requested.test * scale),
  };
  // Rounding leftovers go to train, so every available example is used.
  if (requested.train > 0) fitted.train = available - fitted.val - fitted.test;
  for (const name of SPLIT_NAMES) {
    if (requested[name] > 0 && fitted[name] === 0) {
      throw new DatasetError(
        `${what} has only ${available} examples, too few for ${name}Size=${requested[name]} ` +
          `(train ${requested.train} + val ${requested.val} + test ${requested.test})`,
      );
    }
  }
  return fitted;
}

/** Groups example indices by label, each group shuffled by `rng`. */
function shuffledByClass(indices: readonly number[], labels: ArrayLike<number>, rng: Rng): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const i of indices) {
    const label = labels[i];
    let group = groups.get(label);
    if (!group) groups.set(label, (group = []));
    group.push(i);
  }
  const sorted = new Map([...groups.entries()].sort((a, b) => a[0] - b[0]));
  for (const group of sorted.values()) shuffleInPlace(group, rng);
  return sorted;
}

/** Per-class quotas proportional to class frequency (largest-remainder rounding). */
function quotas(groups: Map<number, number[]>, remaining: number, size: number): Map<number, number> {
  const entries = [...groups.entries()].filter(([, g]) => g.length > 0);
  const exact = entries.map(([label, g]) => ({ label, want: (g.length * size) / remaining, cap: g.length }));
  const result = new Map(exact.map((e) => [e.label, Math.min(e.cap, Math.floor(e.want))]));
  let left = size - [...result.values()].reduce((s, v) => s + v, 0);
  const byRemainder = [...exact].sort((a, b) => (b.want % 1) - (a.want % 1) || a.label - b.label);
  while (left > 0) {
    let progressed = false;
    for (const e of byRemainder) {
      if (left === 0) break;
      if (result.get(e.label)! < e.cap) {
        result.set(e.label, result.get(e.label)! + 1);
        left--;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  return result;
}

/**
 * Draws disjoint, class-stratified index sets of the given sizes from `pool`, in the order
 * given (test first keeps the test set stable when only trainSize changes). Each returned set
 * is shuffled so classes are interleaved.
 */
export function stratifiedDraw(
  pool: readonly number[],
  labels: ArrayLike<number>,
  sizes: number[],
  rng: Rng,
): number[][] {
  const groups = shuffledByClass(pool, labels, rng);
  let remaining = pool.length;
  return sizes.map((size) => {
    const want = quotas(groups, remaining, Math.min(size, remaining));
    const picked: number[] = [];
    for (const [label, count] of want) picked.push(...groups.get(label)!.splice(0, count));
    remaining -= picked.length;
    return shuffleInPlace(picked, rng);
  });
}

/** Train/val/test indices over `labels.length` examples, sizes already fitted. */
export function stratifiedSplit(labels: ArrayLike<number>, sizes: SplitSizes, seed: number): Record<SplitName, number[]> {
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const [test, val, train] = stratifiedDraw(all, labels, [sizes.test, sizes.val, sizes.train], splitRng(seed));
  return { train, val, test };
}

/** Copies the chosen rows of a row-major matrix (times `scale`), their labels and text into a Split. */
export function takeRows(
  x: ArrayLike<number>,
  featureSize: number,
  y: ArrayLike<number>,
  indices: readonly number[],
  text?: readonly string[],
  scale = 1,
): Split {
  const out = new Float32Array(indices.length * featureSize);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, row) => {
    labels[row] = y[src];
    const from = src * featureSize;
    for (let k = 0; k < featureSize; k++) out[row * featureSize + k] = x[from + k] * scale;
  });
  const split: Split = { x: out, y: labels, count: indices.length };
  if (text) split.text = indices.map((i) => text[i]);
  return split;
}

/** Class counts of a split, e.g. for `info`. */
export function classCounts(y: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of y) counts[label]++;
  return counts;
}
