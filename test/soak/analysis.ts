/**
 * What a soak run's samples add up to: memory before / after / peak and its growth rate after
 * warm-up, UI latency percentiles, dashboard lag, and the pass/fail checks against the thresholds.
 * Pure functions, so they are unit-tested (analysis.test.ts) without a VS Code.
 */

export interface Sample {
  /** Seconds since the run was started from the palette. */
  t: number;
  hostRssMb: number;
  trainerRssMb?: number;
  /** Share of one core the extension host / the trainer used since the previous sample (100 = a whole core). */
  hostCpuPct: number;
  trainerCpuPct?: number;
  /** Proportional set size of all of Chromium's processes (workbench, webviews, GPU, network…). */
  browserPssMb?: number;
  /** Their CPU, summed (percent of one core). */
  browserCpuPct?: number;
  /** JS heap in use of the workbench page (CDP Performance.getMetrics JSHeapUsedSize). */
  workbenchHeapMb?: number;
  /** JS heap in use seen from the dashboard webview (performance.memory, precise). */
  webviewHeapMb?: number;
  /** Points the dashboard's charts hold (all series of all panels) and draw after decimation. */
  dashboardPoints: number;
  dashboardDrawnPoints: number;
  /** Newest step drawn on the dashboard and newest in metrics.jsonl. */
  dashboardStep: number;
  fileStep: number;
  /** Trainer-clock seconds between the newest record in metrics.jsonl and the newest one drawn. */
  dashboardLagSec: number;
  /** Milliseconds for the dashboard's main thread to render a frame (requestAnimationFrame from inside it). */
  webviewFrameMs: number;
  /** F1 → the command's row rendered in the palette (workbench only). */
  paletteMs: number;
  /** The row picked → the extension host's quick pick rendered (a round trip through the host). */
  commandPickMs: number;
  runStatus: string;
  /** The machine's 1-minute load average (context: the latencies depend on it). */
  loadAvg1: number;
}

export interface Thresholds {
  hostGrowthMbPer10Min: number;
  roundTripP50Ms: number;
  roundTripMaxMs: number;
  dashboardLagMaxSec: number;
}

/**
 * Why these numbers (for an otherwise idle 2-core machine, where the lead runs the 20-minute soak):
 * - host growth: once warm, nothing the extension host keeps per run should grow with the run's
 *   length (the dashboard's history lives in the webview, bounded there). Its RSS swings by ~30 MB
 *   as V8 grows and trims the heap (seen in 2–3 min runs: +3 MB/min, then −30 MB at once), which a
 *   least-squares fit over 10 minutes should average out to a few MB. Keeping every metric record
 *   (~150 B each as a JS object) would add 27 MB / 10 min at 300 steps/s (seen on a loaded
 *   machine, the trainer getting ~55% of a core) and ~60 MB at the ~700/s a whole core should
 *   give. 30 MB / 10 min separates the two.
 * - round trip (F1 → the command's row → the host's quick pick rendered): 1 s is where a UI stops
 *   feeling immediate; with the trainer taking one core of two, the median must stay below it. A
 *   single 5-s stall reads as a hang.
 * - dashboard lag: the trainer sends every 50 ms, the host coalesces per 20 ms and the webview
 *   spends at most half its main thread drawing, so the newest point should be well under a
 *   second old; over 5 s means the stream backs up.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  hostGrowthMbPer10Min: 30,
  roundTripP50Ms: 1000,
  roundTripMaxMs: 5000,
  dashboardLagMaxSec: 5,
};

/** Least-squares slope of y against x (units of y per unit of x); NaN with fewer than 2 distinct x. */
export function leastSquaresSlope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - meanX) * (p.y - meanY);
    sxx += (p.x - meanX) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/** Nearest-rank percentile (p in 0..100) of the finite values; NaN if there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface MemoryStats {
  firstMb: number;
  lastMb: number;
  peakMb: number;
  /** Least-squares slope over the second half of the run, per 10 minutes. */
  growthMbPer10Min: number;
  /** Samples the slope was fitted on, and the seconds they span. */
  slopeSamples: number;
  slopeSpanSec: number;
}

/** Samples from the second half of the run: the first half is warm-up (JIT, caches, chart growth). */
export function secondHalf<T extends { t: number }>(samples: T[], durationSec: number): T[] {
  return samples.filter((s) => s.t >= durationSec / 2);
}

export function memoryStats(samples: Sample[], durationSec: number, pick: (s: Sample) => number | undefined): MemoryStats {
  const values = samples.map((s) => ({ x: s.t, y: pick(s) })).filter((p): p is { x: number; y: number } => Number.isFinite(p.y));
  const late = values.filter((p) => p.x >= durationSec / 2);
  return {
    firstMb: values[0]?.y ?? NaN,
    lastMb: values.at(-1)?.y ?? NaN,
    peakMb: values.length ? Math.max(...values.map((p) => p.y)) : NaN,
    growthMbPer10Min: leastSquaresSlope(late) * 600,
    slopeSamples: late.length,
    slopeSpanSec: late.length ? late.at(-1)!.x - late[0].x : 0,
  };
}

export interface LatencyStats {
  p50: number;
  p99: number;
  max: number;
}

export function latencyStats(values: number[]): LatencyStats {
  const finite = values.filter(Number.isFinite);
  return { p50: percentile(finite, 50), p99: percentile(finite, 99), max: finite.length ? Math.max(...finite) : NaN };
}

export interface Check {
  name: string;
  value: number;
  limit: number;
  unit: string;
  ok: boolean;
  /** False when the data cannot decide (then ok is true and the note says why). */
  judged: boolean;
  note?: string;
}

/**
 * A growth rate is judged only over at least 5 minutes and 5 samples: a node process's RSS moves by
 * tens of MB within a minute as the GC grows and trims its heap (seen: −34 MB between two samples
 * 15 s apart), which a shorter window would extrapolate to hundreds of MB per 10 minutes.
 */
export const MIN_SLOPE_SPAN_SEC = 300;
export const MIN_SLOPE_SAMPLES = 5;

export function checks(summary: { host: MemoryStats; roundTripMs: LatencyStats; dashboardLagSec: LatencyStats }, limits: Thresholds): Check[] {
  return [
    growthCheck(summary.host, limits.hostGrowthMbPer10Min),
    atMost('palette → host quick pick, p50', summary.roundTripMs.p50, limits.roundTripP50Ms, 'ms'),
    atMost('palette → host quick pick, max', summary.roundTripMs.max, limits.roundTripMaxMs, 'ms'),
    atMost('dashboard lag, max', summary.dashboardLagSec.max, limits.dashboardLagMaxSec, 's'),
  ];
}

/** value ≤ limit; no value at all (no sample) fails. */
function atMost(name: string, value: number, limit: number, unit: string): Check {
  return { name, value, limit, unit, ok: value <= limit, judged: true, ...(Number.isNaN(value) ? { note: 'no measurement' } : {}) };
}

/** Host growth within the limit; a window too short to judge passes with a note saying so (it is not evidence either way). */
function growthCheck(host: MemoryStats, limit: number): Check {
  const check = { name: 'extension host RSS growth (2nd half)', value: host.growthMbPer10Min, limit, unit: 'MB/10 min' };
  if (host.slopeSpanSec < MIN_SLOPE_SPAN_SEC || host.slopeSamples < MIN_SLOPE_SAMPLES) {
    const note = `not judged: the second half spans ${host.slopeSpanSec.toFixed(0)} s with ${host.slopeSamples} samples; it needs ≥ ${MIN_SLOPE_SPAN_SEC} s and ≥ ${MIN_SLOPE_SAMPLES} (run ≥ 10 min)`;
    return { ...check, ok: true, judged: false, note };
  }
  return { ...check, ok: host.growthMbPer10Min <= limit, judged: true };
}

/** A fixed-width text table (first column left-aligned, the rest right-aligned). */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => String(row[i] ?? '').length)));
  const line = (row: (string | number)[]) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
}
