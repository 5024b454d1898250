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

/** Dotted names of the values a MetricRecord carries: train.loss, val.accuracy, lr, samplesPerSec … */
export function recordValues(record: MetricRecord): [string, number][] {
  const out: [string, number][] = [];
  const add = (key: string, value: number | undefined) => {
    if (typeof value === 'number') out.push([key, value]);
  };
  if (record.kind === 'train') {
    add('train.loss', record.loss);
    add('train.accuracy', record.accuracy);
    add('lr', record.lr);
    add('samplesPerSec', record.samplesPerSec);
  } else {
    add(`${record.split}.loss`, record.loss);
    add(`${record.split}.accuracy`, record.accuracy);
  }
  return out;
}

export const DEFAULT_SERIES_CAPACITY = 250_000;

export class Series {
  readonly step: number[] = [];
  readonly time: number[] = [];
  readonly value: number[] = [];
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
    return this.value.length;
  }

  append(step: number, time: number, value: number): void {
    this.step.push(step);
    this.time.push(time);
    this.value.push(value);
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
    this.value.forEach((v, i) => (this.smooth[i].y = this.smoother.push(v)));
  }

  /** Thins the stored history to `target` points (LTTB on the raw values), keeping array identities. */
  compact(target: number): void {
    const keep = lttbIndices(this.step, this.value, target);
    for (const array of [this.step, this.time, this.value, this.raw, this.smooth] as unknown[][]) keepIndicesInPlace(array, keep);
    // Smoothed values are kept as computed on the full history; the smoother continues from its state.
  }
}
