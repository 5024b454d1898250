/** Student's t distribution: CDF through the incomplete beta function, quantiles by bisection + Newton. */
import { logGamma, regularizedIncompleteBeta } from './special';

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`Student t: degrees of freedom must be a finite number > 0, got ${df}`);
}

/** P(T ≤ t) for T ~ t(df). */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T ≤ -|t|)
  return t >= 0 ? 1 - tail : tail;
}

/** Density of t(df) at t. */
export function studentTPdf(t: number, df: number): number {
  checkDf(df);
  const logNorm = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Two-sided p-value P(|T| ≥ |t|). */
export function studentTTwoSidedP(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The p-quantile of t(df): the t with P(T ≤ t) = p. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Student t quantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Bracket [0, hi] then bisect; finish with Newton steps for full precision.
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 3; i++) {
    const density = studentTPdf(t, df);
    if (!(density > 0)) break;
    t -= (studentTCdf(t, df) - p) / density;
  }
  return t;
}
