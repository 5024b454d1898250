/**
 * Square grey-scale image resizing for MLP inputs: area averaging when shrinking (each output
 * pixel is the mean of the source area it covers, fractional pixels weighted), bilinear
 * interpolation with half-pixel centres when enlarging. Both are separable: out = R·img·Rᵀ.
 */

/** Row-stochastic `to × from` matrix of area-average weights. */
function areaWeights(from: number, to: number): Float64Array {
  const w = new Float64Array(to * from);
  const step = from / to;
  for (let o = 0; o < to; o++) {
    const start = o * step;
    const end = start + step;
    for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) w[o * from + i] = overlap / step;
    }
  }
  return w;
}

/** `to × from` bilinear weights, pixel centres at (i + 0.5), edges clamped. */
function bilinearWeights(from: number, to: number): Float64Array {
  const w = new Float64Array(to * from);
  const step = from / to;
  for (let o = 0; o < to; o++) {
    const pos = Math.min(from - 1, Math.max(0, (o + 0.5) * step - 0.5));
    const lo = Math.floor(pos);
    const hi = Math.min(from - 1, lo + 1);
    const frac = pos - lo;
    w[o * from + lo] += 1 - frac;
    w[o * from + hi] += frac;
  }
  return w;
}

export function resizeWeights(from: number, to: number): Float64Array {
  return to < from ? areaWeights(from, to) : bilinearWeights(from, to);
}

/** Resizes one `from × from` image (read at `src[offset..]`) into `dst[dstOffset..]` as `to × to`. */
function resizeOne(
  src: ArrayLike<number>,
  offset: number,
  scale: number,
  from: number,
  to: number,
  w: Float64Array,
  tmp: Float64Array,
  dst: Float32Array,
  dstOffset: number,
): void {
  // Rows first: tmp (to × from) = R · img.
  tmp.fill(0);
  for (let o = 0; o < to; o++) {
    for (let i = 0; i < from; i++) {
      const weight = w[o * from + i];
      if (weight === 0) continue;
      const srcRow = offset + i * from;
      for (let c = 0; c < from; c++) tmp[o * from + c] += weight * src[srcRow + c] * scale;
    }
  }
  // Then columns: dst (to × to) = tmp · Rᵀ.
  for (let r = 0; r < to; r++) {
    for (let o = 0; o < to; o++) {
      let sum = 0;
      for (let c = 0; c < from; c++) sum += tmp[r * from + c] * w[o * from + c];
      dst[dstOffset + r * to + o] = sum;
    }
  }
}

/**
 * Resizes `count` square images stored row-major in `src` (`from²` values each), multiplying
 * values by `scale` (e.g. 1/255). Returns `count × to²` floats.
 */
export function resizeImages(src: ArrayLike<number>, count: number, from: number, to: number, scale = 1): Float32Array {
  const out = new Float32Array(count * to * to);
  if (from === to) {
    for (let k = 0; k < out.length; k++) out[k] = src[k] * scale;
    return out;
  }
  const w = resizeWeights(from, to);
  const tmp = new Float64Array(to * from);
  for (let n = 0; n < count; n++) resizeOne(src, n * from * from, scale, from, to, w, tmp, out, n * to * to);
  return out;
}
