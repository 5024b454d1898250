/** Mean and 95% confidence intervals over seeds (Student's t, two-sided). */

// t_{0.975, ν} for ν = 1..30, to 12 significant digits (the exact inverse of the t CDF).
const T975 = [
  12.7062047362, 4.30265272975, 3.18244630528, 2.7764451052, 2.57058183564, 2.44691185114, 2.36462425159, 2.3060041352, 2.2621571628, 2.22813885199,
  2.20098516009, 2.17881282967, 2.16036865646, 2.14478668792, 2.13144954556, 2.11990529922, 2.10981557783, 2.10092204024, 2.09302405441, 2.08596344727,
  2.07961384473, 2.0738730679, 2.06865761042, 2.06389856163, 2.05953855275, 2.05552943864, 2.05183051648, 2.0484071418, 2.04522964213, 2.0422724563,
];

/** The 0.975 quantile of Student's t with `df` degrees of freedom. */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1];
  // Cornish–Fisher expansion around the normal quantile: error < 1e-6 for ν > 30.
  const z = 1.959963984540054;
  const [z3, z5, z7] = [z ** 3, z ** 5, z ** 7];
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

export interface MeanCi {
  mean: number;
  /** Half-width of the 95% CI (0 for one value: no spread is known). */
  halfWidth: number;
  n: number;
}

export function meanCi95(values: readonly number[]): MeanCi {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, halfWidth: NaN, n: 0 };
  const mean = finite.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, halfWidth: 0, n };
  const variance = finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, halfWidth: tQuantile975(n - 1) * Math.sqrt(variance / n), n };
}
