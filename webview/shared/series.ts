/**
 * Metric series as the charts hold them: parallel step / time / value arrays plus the {x, y}
 * point arrays Chart.js draws (raw and smoothed). Points are appended in place (the chart keeps
 * references to the arrays, so a new point needs only chart.update('none')), and the history is
 * thinned with LTTB once it exceeds a capacity, so memory stays bounded on endless runs.
 */
import type { MetricRecord } from '../../src/core/protocol';
import type { Point } from './charts';
import { keepIndicesInPlace, lttbIndices } from './decimate';
import { EmaSmoother } from './smoothing';

export type XAxis = 'step' | 'time';

/** Calls `visit` with each value a MetricRecord carries: train.loss, val.accuracy, lr, samplesPerSec … */
export function forEachRecordValue(record: MetricRecord, visit: (key: string, value: number) => void): void {
  if (record.kind === 'train') {
    visit('train.loss', record.loss);
    if (typeof record.accuracy === 'number') visit('train.accuracy', record.accuracy);
    visit('lr', record.lr);
    visit('samplesPerSec', record.samplesPerSec);
  } else {
    visit(record.split === 'val' ? 'val.loss' : 'test.loss', record.loss);
    if (typeof record.accuracy === 'number') visit(record.split === 'val' ? 'val.accuracy' : 'test.accuracy', record.accuracy);
  }
}

/** The same as pairs (for code where allocation does not matter). */
export function recordValues(record: MetricRecord): [string, number][] {
  const out: [string, number][] = [];
  forEachRecordValue(record, (key, value) => {
    if (typeof value === 'number') out.push([key, value]);
  });
  return out;
}

export const DEFAULT_SERIES_CAPACITY = 250_000;

export class Series {
  readonly step: number[] = [];
  readonly time: number[] = [];
  readonly raw: Point[] = [];
  readonly smooth: Point[] = [];
  private smoother: EmaSmoother;

  constructor(
    private axis: XAxis,
    weight: number,
    private readonly capacity = DEFAULT_SERIES_CAPACITY,
  ) {
    this.smoother = new EmaSmoother(weight);
  }

  get length(): number {
    return this.raw.length;
  }

  /** The raw values (a copy). */
  get values(): number[] {
    return this.raw.map((p) => p.y);
  }

  append(step: number, time: number, value: number): void {
    this.step.push(step);
    this.time.push(time);
    const x = this.axis === 'step' ? step : time;
    this.raw.push({ x, y: value });
    this.smooth.push({ x, y: this.smoother.push(value) });
    if (this.length > this.capacity) this.compact(Math.floor(this.capacity / 2));
  }

  setAxis(axis: XAxis): void {
    if (axis === this.axis) return;
    this.axis = axis;
    const xs = axis === 'step' ? this.step : this.time;
    xs.forEach((x, i) => {
      this.raw[i].x = x;
      this.smooth[i].x = x;
    });
  }

  setSmoothing(weight: number): void {
    this.smoother = new EmaSmoother(weight);
    this.raw.forEach((p, i) => (this.smooth[i].y = this.smoother.push(p.y)));
  }

  /** Thins the stored history to `target` points (LTTB on the raw values), keeping array identities. */
  compact(target: number): void {
    const keep = lttbIndices(this.step, this.values, target);
    for (const array of [this.step, this.time, this.raw, this.smooth] as unknown[][]) keepIndicesInPlace(array, keep);
    // Smoothed values are kept as computed on the full history; the smoother continues from its state.
  }
}
