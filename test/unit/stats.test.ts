/**
 * Statistics against published values: Student-t table quantiles, and p-values computed with
 * SciPy 1.17 (scipy.stats.t, ttest_rel, wilcoxon(method='exact'), scipy.special.betainc/gammaln).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  averageRanks,
  configKeyWithoutSeed,
  groupBySeedlessConfig,
  holmAdjust,
  logGamma,
  mean,
  meanConfidenceInterval,
  pairedTTest,
  regularizedIncompleteBeta,
  sampleStd,
  studentTCdf,
  studentTQuantile,
  wilcoxonSignedRank,
} from '../../src/core/stats';
import type { RunSpec } from '../../src/core/experiment/types';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual} (tol ${tol})`);

describe('special functions', () => {
  it('logGamma matches known values', () => {
    close(logGamma(1), 0, 1e-13);
    close(logGamma(5), Math.log(24), 1e-12);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
    close(logGamma(0.1), 2.252712651734206, 1e-12);
    close(logGamma(50.5), 146.51925549072064, 1e-10);
    assert.throws(() => logGamma(0), /x must be > 0/);
  });
  it('regularised incomplete beta matches SciPy betainc', () => {
    close(regularizedIncompleteBeta(0.3, 2.5, 0.5), 0.018927124071945658, 1e-13);
    close(regularizedIncompleteBeta(0.9, 10, 3), 0.889130022255, 1e-11);
    close(regularizedIncompleteBeta(0.5, 2, 2), 0.5, 1e-14);
    assert.equal(regularizedIncompleteBeta(0, 1, 1), 0);
    assert.equal(regularizedIncompleteBeta(1, 1, 1), 1);
    assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), /x must be in \[0, 1\], got 1.5/);
  });
});

describe('Student t', () => {
  it('quantiles match the printed t table', () => {
    const table: Array<[p: number, df: number, t: number]> = [
      [0.975, 1, 12.706],
      [0.975, 2, 4.303],
      [0.975, 4, 2.776],
      [0.975, 9, 2.262],
      [0.975, 30, 2.042],
      [0.995, 3, 5.841],
      [0.995, 10, 3.169],
      [0.95, 5, 2.015],
      [0.95, 20, 1.725],
    ];
    for (const [p, df, t] of table) close(studentTQuantile(p, df), t, 5e-4, `t_{${p},${df}}`);
    close(studentTQuantile(0.975, 4), 2.7764451051977943, 1e-10, 'full precision t_{0.975,4}');
    close(studentTQuantile(0.025, 4), -2.7764451051977943, 1e-10, 'lower tail');
    assert.equal(studentTQuantile(0.5, 7), 0);
  });
  it('CDF matches SciPy and inverts the quantile', () => {
    close(studentTCdf(-2.5, 3), 0.04385332, 1e-8);
    close(studentTCdf(0.3, 7), 0.61355497, 1e-8);
    close(studentTCdf(1, 1), 0.75, 1e-12); // Cauchy
    close(studentTCdf(3, 12), 0.99446665, 1e-8);
    for (const df of [1, 3, 8, 50]) for (const p of [0.01, 0.3, 0.9, 0.999]) close(studentTCdf(studentTQuantile(p, df), df), p, 1e-10);
  });
  it('rejects bad arguments with the value named', () => {
    assert.throws(() => studentTQuantile(1.2, 3), /p must be in \[0, 1\], got 1.2/);
    assert.throws(() => studentTCdf(1, 0), /degrees of freedom .* got 0/);
  });
});

describe('descriptive statistics', () => {
  it('mean, sample std and the 95% t interval agree with SciPy', () => {
    const x = [0.81, 0.84, 0.79, 0.86, 0.8];
    close(mean(x), 0.82, 1e-15);
    close(sampleStd(x), 0.029154759474226473, 1e-15);
    const ci = meanConfidenceInterval(x);
    close(ci.low, 0.7837995847845628, 1e-12);
    close(ci.high, 0.8562004152154371, 1e-12);
    assert.equal(ci.n, 5);
  });
  it('a single value has a mean but no spread or interval', () => {
    const ci = meanConfidenceInterval([0.5]);
    assert.equal(ci.mean, 0.5);
    assert.ok(Number.isNaN(ci.std) && Number.isNaN(ci.halfWidth));
  });
  it('rejects empty and non-finite input', () => {
    assert.throws(() => mean([]), /no values/);
    assert.throws(() => mean([1, NaN]), /value \[1\] is not a finite number/);
  });
});

describe('paired t-test', () => {
  it('matches scipy.stats.ttest_rel', () => {
    const r = pairedTTest([0.88, 0.86, 0.9, 0.87, 0.89], [0.82, 0.85, 0.84, 0.8, 0.86]);
    close(r.t, 4.098005709323843, 1e-9);
    close(r.p, 0.014877291562778462, 1e-10);
    assert.equal(r.df, 4);
    const s = pairedTTest([10.1, 9.8, 10.4, 10.0, 9.7, 10.3], [9.9, 9.9, 10.0, 9.6, 9.8, 10.0]);
    close(s.t, 1.9384952863381595, 1e-9);
    close(s.p, 0.11028323452805636, 1e-10);
  });
  it('is antisymmetric in its arguments', () => {
    const a = [1, 2, 3.5, 4];
    const b = [1.5, 1, 3, 3];
    assert.equal(pairedTTest(a, b).p, pairedTTest(b, a).p);
    close(pairedTTest(a, b).t, -pairedTTest(b, a).t, 1e-12);
  });
  it('handles degenerate samples explicitly', () => {
    assert.deepEqual(pairedTTest([1, 2], [1, 2]), { n: 2, df: 1, meanDiff: 0, t: 0, p: 1 });
    assert.equal(pairedTTest([2, 3], [1, 2]).p, 0);
    assert.ok(Number.isNaN(pairedTTest([1], [0]).p));
    assert.throws(() => pairedTTest([1, 2], [1]), /equal lengths, got 2 and 1/);
  });
});

describe('Wilcoxon signed-rank, exact', () => {
  it('five positive differences give p = 2/32', () => {
    const r = wilcoxonSignedRank([0.88, 0.86, 0.9, 0.87, 0.89], [0.82, 0.85, 0.84, 0.8, 0.86]);
    assert.equal(r.p, 0.0625);
    assert.equal(r.wMinus, 0);
    assert.equal(r.wPlus, 15);
  });
  it('matches scipy.stats.wilcoxon(method="exact")', () => {
    const zero = new Array(8).fill(0);
    const a = wilcoxonSignedRank([1.1, -0.5, 2.3, 3.1, -1.7, 0.9, 2.8, 4.0], zero);
    assert.equal(Math.min(a.wPlus, a.wMinus), 5);
    close(a.p, 0.078125, 1e-15);
    const b = wilcoxonSignedRank([0.5, -0.25, 1.5, 2.0, -3.0, 0.75, 1.25, 0.6, 2.5, -0.1], new Array(10).fill(0));
    assert.equal(Math.min(b.wPlus, b.wMinus), 13);
    close(b.p, 0.16015625, 1e-15);
  });
  it('stays exact with tied ranks', () => {
    const r = wilcoxonSignedRank([1, 2, 2, 3, -1, 4, 5], new Array(7).fill(0));
    assert.equal(r.wMinus, 1.5);
    close(r.p, 0.046875, 1e-15); // 6 / 128
  });
  it('drops zero differences and caps p at 1', () => {
    const r = wilcoxonSignedRank([1, 2, 3], [1, 2, 2]);
    assert.equal(r.zeros, 2);
    assert.equal(r.n, 1);
    assert.equal(r.p, 1);
    assert.equal(wilcoxonSignedRank([1, 1], [1, 1]).p, 1);
  });
  it('average ranks share ties', () => {
    assert.deepEqual(averageRanks([3, 1, 3, 2]), [3.5, 1, 3.5, 2]);
  });
});

describe('Holm adjustment', () => {
  it("matches R's p.adjust(method = 'holm')", () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((expected, i) => close(adjusted[i], expected, 1e-15, `p[${i}]`));
    assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
  });
  it('leaves non-finite p-values out of the family', () => {
    const adjusted = holmAdjust([NaN, 0.02, 0.04]);
    assert.ok(Number.isNaN(adjusted[0]));
    close(adjusted[1], 0.04, 1e-15);
    close(adjusted[2], 0.04, 1e-15);
  });
});

describe('grouping by config minus seed', () => {
  const spec = (seed: number, rank: number, order = false): RunSpec =>
    ({
      experiment: 'e',
      sweepPoint: { seed, 'adapter.rank': rank },
      config: order ? { adapter: { rank, kind: 'lora' }, seed, name: 'e' } : { name: 'e', seed, adapter: { kind: 'lora', rank } },
    }) as unknown as RunSpec;
  it('puts seeds of one config together and separates other configs', () => {
    const groups = groupBySeedlessConfig([spec(0, 2), spec(1, 2), spec(0, 4), spec(2, 2, true)], (s) => s);
    assert.deepEqual(
      [...groups.values()].map((g) => g.map((s) => s.config.seed)),
      [[0, 1, 2], [0]],
    );
  });
  it('keys ignore field order but not values', () => {
    assert.equal(configKeyWithoutSeed(spec(0, 2)), configKeyWithoutSeed(spec(5, 2, true)));
    assert.notEqual(configKeyWithoutSeed(spec(0, 2)), configKeyWithoutSeed(spec(0, 3)));
  });
});
