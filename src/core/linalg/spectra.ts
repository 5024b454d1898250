/**
 * Exact, cheap spectra of low-rank adapter updates (DESIGN.md §4).
 *
 * A rank-r update never needs an n×n decomposition: a thin QR moves the problem into an r×r (or
 * 2r×2r) one whose eigen/singular values are those of the update, and whose vectors map back
 * through the QR's orthonormal factor. All arithmetic is float64 (ml-matrix).
 */
import { type Matrix } from 'ml-matrix';
import type { LayerSpectrum } from '../protocol';
import type { AdapterLayerWeights, LoraLayerWeights, SymLoraLayerWeights } from '../io/adapterFile';
import { basisTimes, columnsOf, firstColumns, fromRowMajor, fromRowMajorTransposed, rowsOf, svd, symmetricEigen, thinQr, toRowMajor } from './dense';
import { baseDirections, type BaseDirections } from './base';

export interface EigenPairs {
  /** Signed eigenvalues sorted by |value| descending. */
  values: number[];
  /** Eigenvectors as columns of an n×k row-major array (k = values.length). */
  vectors: Float64Array;
}

export interface SingularTriplets {
  /** Singular values, descending. */
  values: number[];
  /** Left singular vectors, out×k row-major. */
  left: Float64Array;
  /** Right singular vectors, in×k row-major. */
  right: Float64Array;
}

/** Values below this fraction of the largest one count as zero (float64 round-off of float32 data is far smaller). */
const ZERO_TOLERANCE = 1e-10;

function checkLength(name: string, data: ArrayLike<number>, expected: number): void {
  if (data.length !== expected) throw new RangeError(`${name}: expected ${expected} values, got ${data.length}`);
}

/** Dense s·Q·diag(λ)·Qᵀ (n×n). For tests and for the degenerate r ≥ n case. */
export function denseSymlora(Q: ArrayLike<number>, lambda: ArrayLike<number>, n: number, r: number, scale: number): Matrix {
  checkLength('Q', Q, n * r);
  checkLength('lambda', lambda, r);
  const q = fromRowMajor(Q, n, r);
  const ql = q.clone();
  for (let j = 0; j < r; j++) for (let i = 0; i < n; i++) ql.set(i, j, ql.get(i, j) * lambda[j] * scale);
  return ql.mmul(q.transpose());
}

/** Dense s·B·A (out×in). */
export function denseLora(A: ArrayLike<number>, B: ArrayLike<number>, out: number, inp: number, r: number, scale: number): Matrix {
  checkLength('A', A, r * inp);
  checkLength('B', B, out * r);
  return fromRowMajor(B, out, r)
    .mmul(fromRowMajor(A, r, inp))
    .mul(scale);
}

/** Eigenpairs of a dense symmetric matrix (fallback when the low-rank route does not apply). */
function denseEigen(m: Matrix, keep: number): EigenPairs {
  const { values, vectors } = symmetricEigen(m);
  const k = Math.min(keep, values.length);
  return { values: values.slice(0, k), vectors: toRowMajor(firstColumns(vectors, k)) };
}

/**
 * Eigenpairs of s·Q·diag(λ)·Qᵀ: with Q = Q̃R (thin QR), the update is Q̃·(s·R·diag(λ)·Rᵀ)·Q̃ᵀ, so
 * the r×r symmetric inner matrix has the same nonzero eigenvalues and eigenvectors V ↦ Q̃V.
 */
export function symloraEigen(Q: ArrayLike<number>, lambda: ArrayLike<number>, n: number, r: number, scale: number): EigenPairs {
  checkLength('Q', Q, n * r);
  checkLength('lambda', lambda, r);
  if (r > n) return denseEigen(denseSymlora(Q, lambda, n, r, scale), n);
  const { Q: basis, R } = thinQr(columnsOf(Q, n, r));
  const rl = R.clone();
  for (let j = 0; j < r; j++) for (let i = 0; i < r; i++) rl.set(i, j, rl.get(i, j) * lambda[j] * scale);
  const inner = symmetricEigen(rl.mmul(R.transpose()));
  return { values: inner.values, vectors: basisTimes(basis, inner.vectors) };
}

/**
 * Singular triplets of s·B·A: with B = Q_B·R_B and Aᵀ = Q_A·R_A, the update is
 * Q_B·(s·R_B·R_Aᵀ)·Q_Aᵀ; the SVD U·Σ·Vᵀ of the r×r core gives left Q_B·U and right Q_A·V.
 */
export function loraSingular(A: ArrayLike<number>, B: ArrayLike<number>, out: number, inp: number, r: number, scale: number): SingularTriplets {
  checkLength('A', A, r * inp);
  checkLength('B', B, out * r);
  const sign = scale < 0 ? -1 : 1;
  if (r > out || r > inp) {
    const full = svd(denseLora(A, B, out, inp, r, Math.abs(scale)));
    const k = Math.min(out, inp);
    return { values: full.values.slice(0, k), left: toRowMajor(firstColumns(full.U, k).mul(sign)), right: toRowMajor(firstColumns(full.V, k)) };
  }
  const qb = thinQr(columnsOf(B, out, r));
  const qa = thinQr(rowsOf(A, r, inp));
  const core = svd(qb.R.mmul(qa.R.transpose()).mul(Math.abs(scale)));
  return {
    values: core.values,
    left: basisTimes(qb.Q, core.U.mul(sign)),
    right: basisTimes(qa.Q, core.V),
  };
}

/**
 * Eigenpairs of the symmetric part ½·s·(B·A + Aᵀ·Bᵀ) of a square LoRA update (rank ≤ 2r): with
 * [B, Aᵀ] = Q·[R₁, R₂] (thin QR), it equals Q·(½·s·(R₁R₂ᵀ + R₂R₁ᵀ))·Qᵀ, a 2r×2r problem.
 */
export function loraSymmetricEigen(A: ArrayLike<number>, B: ArrayLike<number>, n: number, r: number, scale: number): EigenPairs {
  checkLength('A', A, r * n);
  checkLength('B', B, n * r);
  if (2 * r > n) {
    const dense = denseLora(A, B, n, n, r, scale);
    return denseEigen(dense.add(dense.transpose()).mul(0.5), n);
  }
  const { Q, R } = thinQr([...columnsOf(B, n, r), ...rowsOf(A, r, n)]);
  const r1 = R.subMatrix(0, 2 * r - 1, 0, r - 1);
  const r2 = R.subMatrix(0, 2 * r - 1, r, 2 * r - 1);
  const prod = r1.mmul(r2.transpose());
  const inner = symmetricEigen(prod.add(prod.transpose()).mul(0.5 * scale));
  return { values: inner.values, vectors: basisTimes(Q, inner.vectors) };
}

/** ‖QᵀQ − I‖_F for Q n×r row-major. */
export function orthogonalityError(Q: ArrayLike<number>, n: number, r: number): number {
  checkLength('Q', Q, n * r);
  let sum = 0;
  for (let a = 0; a < r; a++) {
    for (let b = a; b < r; b++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += Q[i * r + a] * Q[i * r + b];
      const d = a === b ? dot - 1 : dot;
      sum += a === b ? d * d : 2 * d * d;
    }
  }
  return Math.sqrt(sum);
}

/** exp(entropy) of p_i = σ_i / Σσ: 1 for a rank-one spectrum, k for k equal values, 0 for an all-zero one. */
export function effectiveRank(singularValues: readonly number[]): number {
  const total = singularValues.reduce((s, v) => s + Math.abs(v), 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const v of singularValues) {
    const p = Math.abs(v) / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** Cumulative fraction of Σσ² in the top k values, k = 1..len (values taken in descending order). */
export function energy(singularValues: readonly number[]): number[] {
  const squares = singularValues.map((v) => v * v).sort((a, b) => b - a);
  const total = squares.reduce((s, v) => s + v, 0);
  let running = 0;
  return squares.map((v) => {
    running += v;
    return total > 0 ? running / total : 0;
  });
}

/**
 * Cosines of the principal angles between the column spaces of two orthonormal bases U1 (n×k1)
 * and U2 (n×k2), both row-major: the singular values of U1ᵀU2, descending, clipped to [0, 1].
 */
export function principalCosines(U1: ArrayLike<number>, k1: number, U2: ArrayLike<number>, k2: number, n: number): number[] {
  checkLength('U1', U1, n * k1);
  checkLength('U2', U2, n * k2);
  if (k1 === 0 || k2 === 0) return [];
  const cross = fromRowMajorTransposed(U1, n, k1).mmul(fromRowMajor(U2, n, k2));
  return svd(cross).values.map((v) => Math.min(1, Math.max(0, v)));
}

export { spectralNorm } from './base';

/** Number of leading values that are nonzero relative to the largest magnitude. */
function nonzeroCount(values: readonly number[]): number {
  const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (!(max > 0)) return 0;
  return values.filter((v) => Math.abs(v) > ZERO_TOLERANCE * max).length;
}

/** The first k columns of an n×cols row-major array. */
function leadingColumns(data: Float64Array, n: number, cols: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * k + j] = data[i * cols + j]!;
  return out;
}

interface UpdateDirections {
  vectors: Float64Array;
  cols: number;
  /** How many leading columns belong to nonzero values. */
  count: number;
}

function symloraLayer(w: SymLoraLayerWeights): { base: Omit<LayerSpectrum, 'relativeNorm'>; dirs: UpdateDirections } {
  const n = w.shape[0];
  const eig = symloraEigen(w.Q, w.lambda, n, w.rank, w.scale);
  const singularValues = eig.values.map(Math.abs).sort((a, b) => b - a);
  return {
    base: {
      layer: w.layer,
      adapter: 'symlora',
      eigenvalues: eig.values,
      singularValues,
      orthogonalityError: orthogonalityError(w.Q, n, w.rank),
      effectiveRank: effectiveRank(singularValues),
      energy: energy(singularValues),
    },
    dirs: { vectors: eig.vectors, cols: eig.values.length, count: Math.min(w.rank, nonzeroCount(eig.values)) },
  };
}

function loraLayer(w: LoraLayerWeights): { base: Omit<LayerSpectrum, 'relativeNorm'>; dirs: UpdateDirections } {
  const [out, inp] = w.shape;
  const sv = loraSingular(w.A, w.B, out, inp, w.rank, w.scale);
  const square = out === inp;
  // Square layers: the symmetric part's eigenvectors, so LoRA and SymLoRA compare on one axis.
  const sym = square ? loraSymmetricEigen(w.A, w.B, out, w.rank, w.scale) : undefined;
  const dirs: UpdateDirections = sym
    ? { vectors: sym.vectors, cols: sym.values.length, count: Math.min(w.rank, nonzeroCount(sym.values)) }
    : { vectors: sv.left, cols: sv.values.length, count: Math.min(w.rank, nonzeroCount(sv.values)) };
  return {
    base: {
      layer: w.layer,
      adapter: 'lora',
      eigenvalues: sym?.values ?? [],
      singularValues: sv.values,
      effectiveRank: effectiveRank(sv.values),
      energy: energy(sv.values),
    },
    dirs,
  };
}

/**
 * The spectrum of one adapted layer's scaled update. With the frozen base weight W (out×in
 * row-major) it also fills relativeNorm = ‖ΔW‖₂/‖W‖₂ and the alignment of the update's top
 * directions with W's (eigenvectors of W's symmetric part for square layers, else left singular
 * vectors). Without W, relativeNorm and alignment are absent.
 */
export function layerSpectrum(w: AdapterLayerWeights, baseW?: ArrayLike<number>): LayerSpectrum {
  const { base, dirs } = w.kind === 'symlora' ? symloraLayer(w) : loraLayer(w);
  if (!baseW) return base;
  const [out, inp] = w.shape;
  const info: BaseDirections = baseDirections(baseW, out, inp, w.rank);
  const updateNorm = base.singularValues[0] ?? 0;
  const relativeNorm = info.spectralNorm > 0 ? updateNorm / info.spectralNorm : Number.POSITIVE_INFINITY;
  const k = Math.min(dirs.count, info.count);
  const alignment =
    k === 0 ? [] : principalCosines(leadingColumns(dirs.vectors, out, dirs.cols, k), k, leadingColumns(info.vectors, out, info.count, k), k, out);
  return { ...base, relativeNorm, alignment };
}
