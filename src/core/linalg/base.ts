/**
 * Spectral facts about a frozen dense weight W (out×in, row-major): its spectral norm and its top
 * directions (eigenvectors of the symmetric part for square W, else left singular vectors).
 *
 * A full decomposition of a 512×512 matrix takes ~1.5 s in ml-matrix, so this uses Lanczos with
 * full reorthogonalisation (a few dozen mat-vecs, then a small tridiagonal eigenproblem). With
 * full reorthogonalisation it becomes an exact decomposition if it runs all n steps, and it stops
 * earlier only once the wanted Ritz pairs' residuals are below 1e-12 of the largest value. A
 * second search on the orthogonal complement recovers repeated eigenvalues, which one Krylov run
 * can miss. Results are cached per W array, since base weights are frozen.
 */
import { Matrix } from 'ml-matrix';
import { symmetricEigen } from './dense';

export interface BaseDirections {
  spectralNorm: number;
  /** Top directions as columns of an out×count row-major array, by |eigenvalue| (or σ) descending. */
  vectors: Float64Array;
  count: number;
}

type Operator = (x: Float64Array, y: Float64Array) => void;

const RESIDUAL_TOLERANCE = 1e-12;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(y: Float64Array, alpha: number, x: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/** Deterministic pseudo-random unit-ish vector (xorshift), so results do not depend on Math.random. */
function seededVector(n: number, seed: number): Float64Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    v[i] = s / 4294967296 - 0.5;
  }
  return v;
}

/** Orthogonalise v against the basis twice ("twice is enough") and normalise; returns the norm before normalising. */
function orthonormalize(v: Float64Array, basis: Float64Array[]): number {
  for (let pass = 0; pass < 2; pass++) for (const b of basis) axpy(v, -dot(v, b), b);
  const norm = Math.sqrt(dot(v, v));
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

interface RitzResult {
  values: number[];
  vectors: Float64Array;
}

/** Ritz pairs of the tridiagonal T (alpha diagonal, beta off-diagonal), sorted by |value| desc. */
function ritz(alpha: number[], beta: number[]): { values: number[]; vectors: Matrix } {
  const m = alpha.length;
  const t = new Matrix(m, m);
  for (let i = 0; i < m; i++) {
    t.set(i, i, alpha[i]);
    if (i + 1 < m) {
      t.set(i, i + 1, beta[i]);
      t.set(i + 1, i, beta[i]);
    }
  }
  return symmetricEigen(t);
}

/**
 * Top-k (by |λ|) eigenpairs of a symmetric operator on R^n. With `complete`, also recovers extra
 * copies of repeated eigenvalues: a Krylov space grown from one vector holds only one copy, so the
 * search repeats on the orthogonal complement of what was found and merges the results.
 */
export function lanczosTopEigen(apply: Operator, n: number, k: number, complete = true): RitzResult {
  let found = lanczosRun(apply, n, k);
  const want = found.values.length;
  for (let round = 0; complete && round < want && want < n; round++) {
    const basis = Array.from({ length: want }, (_, c) => Float64Array.from({ length: n }, (_, i) => found.vectors[i * want + c]));
    const project = (x: Float64Array): void => {
      for (const b of basis) axpy(x, -dot(x, b), b);
    };
    const extra = lanczosRun(
      (x, y) => {
        const px = Float64Array.from(x);
        project(px);
        apply(px, y);
        project(y);
      },
      n,
      want,
    );
    const merged = mergeTop(found, extra, want, n);
    if (merged.fromExtra === 0) break;
    found = merged.result;
  }
  return found;
}

/** The top-k pairs of two orthogonal sets of eigenpairs, and how many came from the second. */
function mergeTop(a: RitzResult, b: RitzResult, k: number, n: number): { result: RitzResult; fromExtra: number } {
  const ka = a.values.length;
  const kb = b.values.length;
  const pairs = [
    ...a.values.map((v, i) => ({ v, src: a, col: i, cols: ka, extra: false })),
    ...b.values.map((v, i) => ({ v, src: b, col: i, cols: kb, extra: true })),
  ].sort((x, y) => Math.abs(y.v) - Math.abs(x.v) || Number(x.extra) - Number(y.extra));
  const top = pairs.slice(0, k);
  const vectors = new Float64Array(n * top.length);
  top.forEach((p, c) => {
    for (let i = 0; i < n; i++) vectors[i * top.length + c] = p.src.vectors[i * p.cols + p.col]!;
  });
  return { result: { values: top.map((p) => p.v), vectors }, fromExtra: top.filter((p) => p.extra).length };
}

function lanczosRun(apply: Operator, n: number, k: number): RitzResult {
  const want = Math.min(k, n);
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let v = seededVector(n, 1);
  orthonormalize(v, basis);
  let scale = 0;
  let nextCheck = Math.max(8, want);
  for (let j = 0; j < n; j++) {
    basis.push(v);
    const w = new Float64Array(n);
    apply(v, w);
    alpha.push(dot(v, w));
    let b = orthonormalize(w, basis);
    scale = Math.max(scale, Math.abs(alpha[j]), b);
    if (b <= 1e-13 * scale) {
      // Invariant subspace found: continue from a fresh direction (T splits into blocks).
      b = 0;
      const fresh = seededVector(n, j + 2);
      if (orthonormalize(fresh, basis) === 0) break;
      w.set(fresh);
    }
    beta.push(b);
    const steps = j + 1;
    if (steps === n || (steps >= want && (steps === nextCheck || b === 0))) {
      nextCheck = steps + Math.max(8, Math.floor(steps / 4));
      const { values, vectors } = ritz(alpha, beta.slice(0, steps - 1));
      const top = Math.abs(values[0] ?? 0);
      const converged = values.slice(0, want).every((_, i) => Math.abs(b * vectors.get(steps - 1, i)) <= RESIDUAL_TOLERANCE * top);
      if (steps === n || converged || top === 0) return assemble(basis, values, vectors, want, n);
    }
    v = w;
  }
  const { values, vectors } = ritz(alpha, beta.slice(0, alpha.length - 1));
  return assemble(basis, values, vectors, want, n);
}

function assemble(basis: Float64Array[], values: number[], y: Matrix, k: number, n: number): RitzResult {
  const count = Math.min(k, values.length);
  const out = new Float64Array(n * count);
  for (let c = 0; c < count; c++) {
    basis.forEach((b, j) => {
      const coef = y.get(j, c);
      for (let i = 0; i < n; i++) out[i * count + c] += coef * b[i];
    });
  }
  return { values: values.slice(0, count), vectors: out };
}

/** y = W·x for W out×in row-major. */
function matVec(W: ArrayLike<number>, out: number, inp: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < out; i++) {
    let s = 0;
    const row = i * inp;
    for (let j = 0; j < inp; j++) s += W[row + j] * x[j];
    y[i] = s;
  }
}

/** y = Wᵀ·x. */
function matTVec(W: ArrayLike<number>, out: number, inp: number, x: Float64Array, y: Float64Array): void {
  y.fill(0);
  for (let i = 0; i < out; i++) {
    const xi = x[i];
    const row = i * inp;
    for (let j = 0; j < inp; j++) y[j] += W[row + j] * xi;
  }
}

/** Eigenpairs of W·Wᵀ on the output space: σ² and left singular vectors. */
function gramLeft(W: ArrayLike<number>, out: number, inp: number, k: number, complete: boolean): RitzResult {
  const tmp = new Float64Array(inp);
  return lanczosTopEigen(
    (x, y) => {
      matTVec(W, out, inp, x, tmp);
      matVec(W, out, inp, tmp, y);
    },
    out,
    k,
    complete,
  );
}

function checkDense(W: ArrayLike<number>, out: number, inp: number): void {
  if (W.length !== out * inp) throw new RangeError(`base weight: expected ${out}×${inp} = ${out * inp} values, got ${W.length}`);
}

/** ‖W‖₂, the largest singular value of W (out×in row-major). */
export function spectralNorm(W: ArrayLike<number>, out: number, inp: number): number {
  checkDense(W, out, inp);
  const top = gramLeft(W, out, inp, 1, false).values[0] ?? 0;
  return Math.sqrt(Math.max(0, top));
}

const cache = new WeakMap<object, Map<string, BaseDirections>>();

/** Spectral norm and top-k directions of W, cached per (array, shape, k). */
export function baseDirections(W: ArrayLike<number>, out: number, inp: number, k: number): BaseDirections {
  checkDense(W, out, inp);
  const key = `${out}x${inp}:${k}`;
  const perArray = cache.get(W) ?? new Map<string, BaseDirections>();
  cache.set(W, perArray);
  const hit = perArray.get(key);
  if (hit) return hit;
  const left = gramLeft(W, out, inp, out === inp ? 1 : k, out !== inp);
  const spectral = Math.sqrt(Math.max(0, left.values[0] ?? 0));
  const dirs =
    out === inp
      ? lanczosTopEigen(
          (x, y) => {
            // ½(W + Wᵀ)·x
            const t = new Float64Array(out);
            matVec(W, out, inp, x, y);
            matTVec(W, out, inp, x, t);
            for (let i = 0; i < out; i++) y[i] = 0.5 * (y[i] + t[i]);
          },
          out,
          k,
        )
      : left;
  const result: BaseDirections = { spectralNorm: spectral, vectors: dirs.vectors, count: dirs.values.length };
  perArray.set(key, result);
  return result;
}
