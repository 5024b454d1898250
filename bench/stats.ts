/** Order statistics for benchmark samples (medians, not means: the machine is shared). */

export interface Summary {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  samples: number;
}

export interface StepRow extends Summary {
  name: string;
  group: string;
  workload: string;
  kind: string;
  backend: string;
  /** Median CPU time per step (user + system of the whole process). */
  cpuMedianMs: number;
  steps: number;
  trainable: number;
  leakedTensors: number;
  totalMs: number;
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p10Ms: quantile(sorted, 0.1), p90Ms: quantile(sorted, 0.9), samples: sorted.length };
}
