/**
 * Downsampling for bounded buffers. Rendering uses Chart.js's own LTTB decimation plugin; this
 * module keeps the webview's memory bounded on very long runs by thinning the stored history
 * with the same algorithm (Largest-Triangle-Three-Buckets, Steinarsson 2013), which keeps peaks
 * and the curve's shape far better than taking every k-th point.
 */

/** Indices (ascending, first and last always kept) of the `threshold` points LTTB selects. */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const picked = [0];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const [avgX, avgY] = bucketAverage(xs, ys, Math.floor((bucket + 1) * bucketSize) + 1, Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n));
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((xs[a] - avgX) * (ys[i] - ys[a]) - (xs[a] - xs[i]) * (avgY - ys[a]));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    picked.push(best);
    a = best;
  }
  picked.push(n - 1);
  return picked;
}

function bucketAverage(xs: ArrayLike<number>, ys: ArrayLike<number>, start: number, end: number): [number, number] {
  let sx = 0;
  let sy = 0;
  const count = Math.max(end - start, 1);
  for (let i = start; i < end; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  return end > start ? [sx / count, sy / count] : [xs[xs.length - 1], ys[ys.length - 1]];
}

/** Keeps only `indices` (ascending) of `array`, in place, so references held by charts stay valid. */
export function keepIndicesInPlace<T>(array: T[], indices: readonly number[]): void {
  indices.forEach((from, to) => {
    array[to] = array[from];
  });
  array.length = indices.length;
}
