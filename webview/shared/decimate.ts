/**
 * Downsampling for bounded buffers. Rendering uses Chart.js's own LTTB decimation plugin; this
 * module keeps the webview's memory bounded on very long runs by thinning the stored history
 * with the same algorithm (Largest-Triangle-Three-Buckets, Steinarsson 2013), which keeps peaks
 * and the curve's shape far better than taking every k-th point.
 */

export { lttbIndices } from '../../src/core/webviewProtocol';

/** Keeps only `indices` (ascending) of `array`, in place, so references held by charts stay valid. */
export function keepIndicesInPlace<T>(array: T[], indices: readonly number[]): void {
  indices.forEach((from, to) => {
    array[to] = array[from];
  });
  array.length = indices.length;
}
