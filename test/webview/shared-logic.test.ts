// The webviews' pure logic (no browser): smoothing, t-intervals, CSV/Markdown, LTTB, bounded
// series, and the Compare panel's model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debiasedEma, EmaSmoother } from '../../webview/shared/smoothing';
import { meanCi95, tQuantile975 } from '../../webview/shared/stats';
import { toCsv, toMarkdown } from '../../webview/shared/csv';
import { keepIndicesInPlace, lttbIndices } from '../../webview/shared/decimate';
import { Series } from '../../webview/shared/series';
import { sortRows } from '../../webview/shared/table';
import { buildTable, differingConfigKeys, groupBySeed, meanBand, summarizeRun } from '../../webview/compare/model';
import { thinMetricRecords } from '../../src/core/webviewProtocol';
import { evalRecords, makeRun, rng, trainRecords } from './fixtures';

test('debiased EMA: first value unbiased, NaN passes through, constant series untouched, weight 0 is identity', () => {
  assert.deepEqual(debiasedEma([5, 5, 5], 0.9), [5, 5, 5]);
  const out = debiasedEma([2, 4, NaN, 6], 0.5);
  assert.equal(out[0], 2); // (0.5·2)/(1−0.5)
  assert.equal(out[1], (0.25 * 2 + 0.5 * 4) / 0.75);
  assert.ok(Number.isNaN(out[2]));
  assert.equal(out[3], (0.5 * (0.25 * 2 + 0.5 * 4) + 0.5 * 6) / 0.875);
  const ys = Array.from({ length: 50 }, rng(3));
  assert.deepEqual(debiasedEma(ys, 0), ys);
  const smoother = new EmaSmoother(0.7);
  assert.deepEqual(
    ys.map((y) => smoother.push(y)),
    debiasedEma(ys, 0.7),
  );
  assert.throws(() => debiasedEma([1], 1.5), /smoothing weight must be in \[0, 1\], got 1.5/);
});

test('t quantiles match the t distribution (scipy.stats.t.ppf(0.975, df))', () => {
  const reference: [number, number][] = [
    [1, 12.706204736174698],
    [2, 4.302652729749462],
    [4, 2.7764451051977934],
    [30, 2.0422724563012373],
    [31, 2.039513446396408],
    [40, 2.021075390306273],
    [60, 2.0002978220142604],
    [120, 1.9799304050824402],
    [1000, 1.9623390808264083],
  ];
  for (const [df, t] of reference) assert.ok(Math.abs(tQuantile975(df) - t) < 2e-6, `df=${df}: ${tQuantile975(df)} vs ${t}`);
  assert.throws(() => tQuantile975(0), /positive integer, got 0/);
  const ci = meanCi95([1, 2, 3, NaN]);
  assert.equal(ci.n, 3);
  assert.equal(ci.mean, 2);
  assert.ok(Math.abs(ci.halfWidth - 4.302652729749462 / Math.sqrt(3)) < 1e-9);
  assert.deepEqual(meanCi95([7]), { mean: 7, halfWidth: 0, n: 1 });
});

test('CSV quotes, neutralises formulas, and Markdown escapes pipes', () => {
  const csv = toCsv(
    ['name', 'value'],
    [
      ['a,b', 1.5],
      ['say "hi"', -2],
      ['=HYPERLINK("x")', null],
      ['line\nbreak', NaN],
    ],
  );
  assert.equal(csv, 'name,value\r\n"a,b",1.5\r\n"say ""hi""",-2\r\n"\'=HYPERLINK(""x"")",\r\n"line\nbreak",\r\n');
  assert.equal(toMarkdown(['a', 'n'], [['x|y', 3]], [false, true]), '| a | n |\n| --- | ---: |\n| x\\|y | 3 |\n');
});

test('LTTB keeps the ends and the extremes; in-place thinning keeps the array identity', () => {
  const xs = Array.from({ length: 10_000 }, (_, i) => i);
  const ys = xs.map((x) => Math.sin(x / 100) + (x === 5_000 ? 10 : 0));
  const picked = lttbIndices(xs, ys, 500);
  assert.equal(picked.length, 500);
  assert.equal(picked[0], 0);
  assert.equal(picked.at(-1), 9_999);
  assert.ok(picked.includes(5_000), 'the spike survives');
  assert.deepEqual(
    picked,
    [...picked].sort((a, b) => a - b),
  );
  const array = ['a', 'b', 'c', 'd'];
  const same = array;
  keepIndicesInPlace(array, [0, 2]);
  assert.equal(array, same);
  assert.deepEqual(array, ['a', 'c']);
});

test('a series stays bounded: past its capacity it is thinned by LTTB and keeps its newest point', () => {
  const series = new Series('step', 0.5, 1000);
  const raw = series.raw;
  for (let i = 0; i < 5000; i++) series.append(i, i / 10, Math.cos(i / 50));
  assert.ok(series.length <= 1000, `length ${series.length}`);
  assert.equal(series.raw, raw);
  assert.equal(series.step.at(-1), 4999);
  assert.deepEqual(
    series.raw.map((p) => p.x),
    series.step,
  );
  series.setAxis('time');
  assert.deepEqual(
    series.raw.map((p) => p.x),
    series.time,
  );
});

test('compare model: differing keys, summaries, seed groups and mean bands', () => {
  const runs = [1, 2].flatMap((seed) =>
    ['lora', 'symlora'].map((kind) => makeRun(`${kind}-${seed}`, { adapterKind: kind, seed, config: { 'adapter.kind': kind, seed, 'train.lr': 0.001 } })),
  );
  assert.deepEqual(differingConfigKeys(runs), ['adapter.kind', 'seed']);
  assert.deepEqual(differingConfigKeys(runs, { ignoreSeed: true }), ['adapter.kind']);
  assert.deepEqual(
    groupBySeed(runs).map((g) => g.map((r) => r.id)),
    [
      ['lora-1', 'lora-2'],
      ['symlora-1', 'symlora-2'],
    ],
  );

  const records = [...trainRecords(10), ...evalRecords([5, 10], 'val', (s) => (s === 5 ? 0.9 : 0.8))];
  const summary = summarizeRun(makeRun('x', { wallTimeSec: 4, steps: undefined }), records, 'accuracy');
  assert.deepEqual(summary, { metric: 'accuracy', valFinal: 0.8, valBest: 0.9, testFinal: undefined, testBest: undefined, wallTimeSec: 4, stepsPerSec: 2.5 });
  const fromSummary = summarizeRun(makeRun('y', { summary: { final: { 'val.accuracy': 0.7 }, best: { val_accuracy: 0.75 } } }), [], 'accuracy');
  assert.equal(fromSummary.valFinal, 0.7);
  assert.equal(fromSummary.valBest, 0.75);

  const band = meanBand([
    [
      { x: 1, y: 1 },
      { x: 2, y: 2 },
    ],
    [
      { x: 1, y: 3 },
      { x: 2, y: 4 },
    ],
  ]);
  assert.deepEqual(band.mean, [
    { x: 1, y: 2 },
    { x: 2, y: 3 },
  ]);
  assert.ok(Math.abs(band.upper[0].y - (2 + (12.7062047362 * Math.SQRT2) / Math.SQRT2)) < 1e-9);

  const metrics = Object.fromEntries(runs.map((r, i) => [r.id, evalRecords([10], 'val', () => 0.5 + i / 10)]));
  const table = buildTable(runs, metrics, true);
  assert.equal(table.rows.length, 2);
  assert.ok(!table.columns.some((c) => c.key === 'testFinal'), 'no test split, no test column');
  const lora = table.rows.find((r) => r.adapter === 'lora')!;
  assert.ok(Math.abs((lora.valFinal as number) - 0.6) < 1e-12);
  assert.equal(lora.n, 2);
  assert.deepEqual(
    sortRows([{ v: 2 }, { v: null }, { v: 1 }], { key: 'v', direction: 'desc' }).map((r) => r.v),
    [2, 1, null],
  );
});

test('the host thins init records: train records by LTTB to the limit, every eval record kept, order kept', () => {
  const records = [...trainRecords(50_000), ...evalRecords([1000, 2000, 50_000], 'val', () => 0.9)].sort((a, b) => a.step - b.step);
  const thin = thinMetricRecords(records, 5000);
  const train = thin.filter((r) => r.kind === 'train');
  assert.equal(train.length, 5000);
  assert.equal(thin.filter((r) => r.kind === 'eval').length, 3);
  assert.equal(train[0].step, 1);
  assert.equal(train.at(-1)!.step, 50_000);
  assert.deepEqual(
    thin.map((r) => r.step),
    [...thin.map((r) => r.step)].sort((a, b) => a - b),
  );
  const small = trainRecords(10);
  assert.deepEqual(thinMetricRecords(small, 5000), small);
});
