/**
 * A small seeded PRNG (sfc32) so that initialisation, data generation and shuffling are
 * reproducible from `seed` alone, independent of the tensor backend.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: number, stream = 0) {
    // Spread seed and stream over the 128-bit state (splitmix32-style), then warm up.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    const next = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next() ^ Math.imul(stream + 1, 0x27d4eb2d);
    this.c = next();
    this.d = 1;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** A child generator for an independent purpose (e.g. "init", "data", "shuffle"). */
  fork(label: string): Rng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
    return new Rng(this.nextUint32() ^ h, h >>> 0);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  fillNormal(out: Float32Array, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal() * std;
    return out;
  }

  fillUniform(out: Float32Array, low: number, high: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

/** n×k matrix (row-major) with orthonormal columns, by modified Gram–Schmidt on Gaussian columns. */
export function randomOrthonormal(rng: Rng, n: number, k: number): Float32Array {
  if (k > n) throw new Error(`cannot draw ${k} orthonormal columns in dimension ${n}`);
  const cols: Float64Array[] = [];
  while (cols.length < k) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const c of cols) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * c[i];
      for (let i = 0; i < n; i++) v[i] -= dot * c[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-8) continue; // degenerate draw: try again
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  const out = new Float32Array(n * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[i * k + j] = cols[j][i];
  return out;
}

/** Independent random streams derived from a run's seed, one per purpose. */
export const STREAMS = { base: 1, data: 2, adapter: 3, shift: 4, split: 5 } as const;
/** Example order of epoch e comes from stream EPOCH_STREAM_BASE + e. */
export const EPOCH_STREAM_BASE = 1000;
