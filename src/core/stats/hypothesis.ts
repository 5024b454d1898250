/** Paired tests across seeds: Student's paired t-test and the exact Wilcoxon signed-rank test. */
import { mean, sampleStd } from './descriptive';
import { studentTTwoSidedP } from './distributions';

export interface PairedTTest {
  n: number;
  df: number;
  meanDiff: number;
  t: number;
  /** Two-sided p-value; NaN when n < 2. */
  p: number;
}

function pairedDifferences(a: readonly number[], b: readonly number[], test: string): number[] {
  if (a.length !== b.length) throw new RangeError(`${test}: paired samples must have equal lengths, got ${a.length} and ${b.length}`);
  return a.map((value, i) => value - b[i]);
}

/**
 * Paired t-test of H0: mean(a − b) = 0. When every difference is identical the t statistic is
 * degenerate: equal samples give t = 0, p = 1; a constant non-zero shift gives t = ±∞, p = 0.
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  const d = pairedDifferences(a, b, 'paired t-test');
  const n = d.length;
  const meanDiff = n ? mean(d) : NaN;
  if (n < 2) return { n, df: Math.max(0, n - 1), meanDiff, t: NaN, p: NaN };
  const sem = sampleStd(d) / Math.sqrt(n);
  if (sem === 0) return { n, df: n - 1, meanDiff, t: meanDiff === 0 ? 0 : Math.sign(meanDiff) * Infinity, p: meanDiff === 0 ? 1 : 0 };
  const t = meanDiff / sem;
  return { n, df: n - 1, meanDiff, t, p: studentTTwoSidedP(t, n - 1) };
}

export interface WilcoxonTest {
  /** Non-zero differences used (zeros are dropped, Wilcoxon's convention). */
  n: number;
  zeros: number;
  /** Sum of the ranks of |d| over positive / negative differences (ties get average ranks). */
  wPlus: number;
  wMinus: number;
  /** Exact two-sided p-value under the null of a symmetric distribution about 0; 1 when n = 0. */
  p: number;
}

/** Average ranks (1-based) of the values, ties sharing the mean of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1][0] === order[start][0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k][1]] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Largest n for the exact distribution (2^n sign patterns, counted by dynamic programming). */
export const WILCOXON_MAX_EXACT_N = 200;

/**
 * Exact Wilcoxon signed-rank test of the paired differences a − b. The null distribution of W+
 * is enumerated over all 2^n sign patterns by dynamic programming over the (doubled, hence
 * integer) ranks, so it stays exact with tied ranks.
 */
export function wilcoxonSignedRank(a: readonly number[], b: readonly number[]): WilcoxonTest {
  const all = pairedDifferences(a, b, 'Wilcoxon signed-rank test');
  all.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`Wilcoxon signed-rank test: difference [${i}] is not finite (${v})`);
  });
  const d = all.filter((v) => v !== 0);
  const zeros = all.length - d.length;
  if (d.length > WILCOXON_MAX_EXACT_N) throw new RangeError(`Wilcoxon signed-rank test: exact p-values need n ≤ ${WILCOXON_MAX_EXACT_N}, got ${d.length}`);
  const ranks = averageRanks(d.map(Math.abs));
  const wPlus = ranks.reduce((sum, r, i) => sum + (d[i] > 0 ? r : 0), 0);
  const wMinus = ranks.reduce((sum, r, i) => sum + (d[i] < 0 ? r : 0), 0);
  if (d.length === 0) return { n: 0, zeros, wPlus: 0, wMinus: 0, p: 1 };
  const distribution = signedRankDistribution(ranks.map((r) => Math.round(2 * r)));
  const observed = Math.round(2 * wPlus);
  let lower = 0;
  let upper = 0;
  distribution.forEach((probability, sum) => {
    if (sum <= observed) lower += probability;
    if (sum >= observed) upper += probability;
  });
  return { n: d.length, zeros, wPlus, wMinus, p: Math.min(1, 2 * Math.min(lower, upper)) };
}

/** P(sum of a random subset of the integer weights = s), each weight in with probability 1/2. */
function signedRankDistribution(weights: readonly number[]): Float64Array {
  const total = weights.reduce((sum, w) => sum + w, 0);
  let probabilities = new Float64Array(total + 1);
  probabilities[0] = 1;
  for (const w of weights) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= total; s++) {
      const p = probabilities[s];
      if (p === 0) continue;
      next[s] += p / 2;
      next[s + w] += p / 2;
    }
    probabilities = next;
  }
  return probabilities;
}

/**
 * Holm–Bonferroni adjusted p-values (step-down, controls the family-wise error rate), in the
 * input order. Non-finite p-values are left as they are and do not count towards the family size.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const adjusted = [...pValues];
  const order = pValues
    .map((p, i) => [p, i] as const)
    .filter(([p]) => Number.isFinite(p))
    .sort((a, b) => a[0] - b[0]);
  const m = order.length;
  let running = 0;
  order.forEach(([p, index], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[index] = running;
  });
  return adjusted;
}
