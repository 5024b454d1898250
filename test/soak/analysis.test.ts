/** The soak test's arithmetic: slopes, percentiles, the second-half window and the verdicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checks, DEFAULT_THRESHOLDS, latencyStats, leastSquaresSlope, memoryStats, percentile, type Sample } from './analysis';

function sample(t: number, hostRssMb: number, extra: Partial<Sample> = {}): Sample {
  return {
    t,
    hostRssMb,
    hostCpuPct: 5,
    dashboardPoints: 0,
    dashboardDrawnPoints: 0,
    dashboardStep: 0,
    fileStep: 0,
    dashboardLagSec: 0.2,
    webviewFrameMs: 16,
    paletteMs: 100,
    commandPickMs: 100,
    runStatus: 'running',
    loadAvg1: 1,
    ...extra,
  };
}

/** 20 minutes sampled every 20 s: warm-up growth of 50 MB in the first 5 min, then `lateMbPerMin`. */
function run(lateMbPerMin: number): Sample[] {
  const samples: Sample[] = [];
  for (let t = 20; t <= 1200; t += 20) samples.push(sample(t, t < 300 ? 100 + (50 * t) / 300 : 150 + (lateMbPerMin * (t - 300)) / 60));
  return samples;
}

test('the least-squares slope of a line is its slope, with or without noise around it', () => {
  assert.equal(
    leastSquaresSlope([
      { x: 0, y: 1 },
      { x: 2, y: 5 },
      { x: 4, y: 9 },
    ]),
    2,
  );
  const noisy = Array.from({ length: 40 }, (_, i) => ({ x: i, y: 3 * i + (i % 2 ? 1 : -1) }));
  assert.ok(Math.abs(leastSquaresSlope(noisy) - 3) < 0.01);
  assert.ok(Number.isNaN(leastSquaresSlope([{ x: 1, y: 1 }])));
  assert.ok(
    Number.isNaN(
      leastSquaresSlope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ),
  );
});

test('nearest-rank percentiles ignore non-finite values', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile([NaN, 7, 3], 50), 3);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(latencyStats([30, 10, 20, NaN]), { p50: 20, p99: 30, max: 30 });
});

test('memory growth is fitted on the second half only, so warm-up growth does not count', () => {
  const flat = memoryStats(run(0), 1200, (s) => s.hostRssMb);
  assert.equal(flat.firstMb, 100 + 50 * (20 / 300));
  assert.equal(flat.peakMb, 150);
  assert.ok(Math.abs(flat.growthMbPer10Min) < 1e-9, `flat after warm-up: ${flat.growthMbPer10Min}`);
  assert.equal(flat.slopeSamples, 31);
  assert.equal(flat.slopeSpanSec, 600);
  const leaking = memoryStats(run(5), 1200, (s) => s.hostRssMb);
  assert.ok(Math.abs(leaking.growthMbPer10Min - 50) < 1e-6, `5 MB/min is 50 MB/10 min: ${leaking.growthMbPer10Min}`);
  const missing = memoryStats([sample(10, 1), sample(20, 2, { trainerRssMb: 5 })], 20, (s) => s.trainerRssMb);
  assert.equal(missing.firstMb, 5);
});

function verdicts(samples: Sample[], durationSec: number) {
  const summary = {
    host: memoryStats(samples, durationSec, (s) => s.hostRssMb),
    roundTripMs: latencyStats(samples.map((s) => s.paletteMs + s.commandPickMs)),
    dashboardLagSec: latencyStats(samples.map((s) => s.dashboardLagSec)),
  };
  return Object.fromEntries(checks(summary, DEFAULT_THRESHOLDS).map((c) => [c.name.split(',')[0] + (c.name.includes('max') ? ' max' : ''), c]));
}

test('a steady host passes; a host leaking past the limit fails', () => {
  const steady = verdicts(run(1), 1200);
  assert.ok(
    Object.values(steady).every((c) => c.ok && c.judged),
    JSON.stringify(steady),
  );
  const leaking = verdicts(run(5), 1200)['extension host RSS growth (2nd half)'];
  assert.equal(leaking.ok, false);
  assert.equal(leaking.judged, true);
});

test('a slow palette or a lagging dashboard fails its check', () => {
  const slow = run(0).map((s, i) => ({ ...s, commandPickMs: i === 7 ? 6000 : 1500 }));
  const result = verdicts(slow, 1200);
  assert.equal(result['palette → host quick pick'].ok, false, 'p50 1600 ms > 1000 ms');
  assert.equal(result['palette → host quick pick max'].ok, false, 'max 6100 ms > 5000 ms');
  const lagging = verdicts(
    run(0).map((s, i) => ({ ...s, dashboardLagSec: i === 3 ? 9 : 0.3 })),
    1200,
  );
  assert.equal(lagging['dashboard lag max'].ok, false);
});

test('growth over a window too short to judge is reported, not judged', () => {
  const short = run(0)
    .filter((s) => s.t <= 180)
    .map((s, i) => ({ ...s, hostRssMb: 100 + (i % 2) * 40 }));
  const growth = verdicts(short, 180)['extension host RSS growth (2nd half)'];
  assert.equal(growth.judged, false);
  assert.equal(growth.ok, true);
  assert.match(growth.note ?? '', /not judged: the second half spans \d+ s/);
});

test('no latency measurement at all is a failure, not a pass', () => {
  const none = verdicts(
    run(0).map((s) => ({ ...s, commandPickMs: NaN, paletteMs: NaN })),
    1200,
  );
  assert.equal(none['palette → host quick pick'].ok, false);
});
