/** Mean, sample standard deviation and the t-based confidence interval of a mean. */
import { studentTQuantile } from './distributions';

function checkFinite(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`${what}: value [${i}] is not a finite number (${v})`);
  });
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean: no values');
  checkFinite(values, 'mean');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for a single value. */
export function sampleStd(values: readonly number[]): number {
  const m = mean(values);
  if (values.length < 2) return NaN;
  const squares = values.reduce((sum, v) => sum + (v - m) * (v - m), 0);
  return Math.sqrt(squares / (values.length - 1));
}

export interface MeanEstimate {
  n: number;
  mean: number;
  /** Sample standard deviation; NaN when n < 2. */
  std: number;
  /** Standard error of the mean, std / √n. */
  sem: number;
  /** Half-width of the confidence interval: t_{(1+level)/2, n−1} · sem; NaN when n < 2. */
  halfWidth: number;
  low: number;
  high: number;
  level: number;
}

/** Mean with a two-sided Student-t confidence interval (default 95%). */
export function meanConfidenceInterval(values: readonly number[], level = 0.95): MeanEstimate {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const n = values.length;
  const m = mean(values);
  const std = sampleStd(values);
  const sem = std / Math.sqrt(n);
  const halfWidth = n < 2 ? NaN : studentTQuantile((1 + level) / 2, n - 1) * sem;
  return { n, mean: m, std, sem, halfWidth, low: m - halfWidth, high: m + halfWidth, level };
}
