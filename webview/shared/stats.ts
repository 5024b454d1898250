/** Mean and 95% confidence intervals over seeds (Student's t, two-sided). */

// t_{0.975, ν} for ν = 1..30 (standard tables, 7 significant digits).
const T975 = [
  12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041, 2.2621572, 2.2281389,
  2.2009852, 2.1788128, 2.1603687, 2.1447867, 2.1314495, 2.1199053, 2.1098155, 2.100922, 2.0930241, 2.0859634,
  2.0796138, 2.0738731, 2.0686576, 2.0638986, 2.0595386, 2.0555294, 2.0518305, 2.0484071, 2.0452296, 2.0422725,
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
