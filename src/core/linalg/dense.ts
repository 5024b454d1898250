/**
 * Small float64 helpers around ml-matrix: conversions from our row-major Float32Array weights,
 * thin QR, sorted symmetric eigen-decomposition and SVD. Everything here is exact (no iteration
 * counts to tune), so the spectra built on top can be tested against full decompositions.
 */
import { EigenvalueDecomposition, Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';

/** A row-major rows×cols array (Float32Array or Float64Array) as a float64 Matrix. */
export function fromRowMajor(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`);
  }
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) m.set(i, j, data[i * cols + j] as number);
  }
  return m;
}

/** Matrix → row-major Float64Array. */
export function toRowMajor(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[i * m.columns + j] = m.get(i, j);
  return out;
}

/** Transpose of a row-major rows×cols array, as a Matrix (cols×rows). */
export function fromRowMajorTransposed(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  const m = new Matrix(cols, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) m.set(j, i, data[i * cols + j] as number);
  }
  return m;
}

/**
 * Thin QR of a tall m×k matrix (m ≥ k): M = Q·R with Q m×k orthonormal columns, R k×k upper
 * triangular. Rank-deficient input is fine (Householder reflections keep Q orthonormal, R gets
 * zero rows), which matters because LoRA's B starts at zero.
 */
export function thinQr(m: Matrix): { Q: Matrix; R: Matrix } {
  if (m.rows < m.columns) throw new RangeError(`thin QR needs rows ≥ columns, got ${m.rows}×${m.columns}`);
  const qr = new QrDecomposition(m);
  return { Q: qr.orthogonalMatrix, R: qr.upperTriangularMatrix };
}

/** Symmetrise (guards against round-off before a symmetric eigen-solve). */
export function symmetrize(m: Matrix): Matrix {
  const n = m.rows;
  const s = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) s.set(i, j, 0.5 * (m.get(i, j) + m.get(j, i)));
  }
  return s;
}

/** Eigenpairs of a symmetric matrix sorted by |value| descending (ties: larger value first). */
export function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(symmetrize(m), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || values[b]! - values[a]!);
  const vecs = evd.eigenvectorMatrix;
  const sorted = new Matrix(m.rows, order.length);
  order.forEach((src, dst) => {
    for (let i = 0; i < m.rows; i++) sorted.set(i, dst, vecs.get(i, src));
  });
  return { values: order.map((i) => values[i]!), vectors: sorted };
}

/** Full SVD with singular values descending; U m×k, V n×k, k = min(m, n). */
export function svd(m: Matrix): { values: number[]; U: Matrix; V: Matrix } {
  const res = new SingularValueDecomposition(m, {
    computeLeftSingularVectors: true,
    computeRightSingularVectors: true,
    autoTranspose: true,
  });
  const k = Math.min(m.rows, m.columns);
  const values = res.diagonal.slice(0, k);
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const pick = (src: Matrix): Matrix => {
    const out = new Matrix(src.rows, k);
    order.forEach((from, to) => {
      for (let i = 0; i < src.rows; i++) out.set(i, to, src.get(i, from));
    });
    return out;
  };
  return { values: order.map((i) => Math.max(0, values[i]!)), U: pick(res.leftSingularVectors), V: pick(res.rightSingularVectors) };
}

/** The first k columns of m. */
export function firstColumns(m: Matrix, k: number): Matrix {
  if (k <= 0) return new Matrix(m.rows, 0);
  return m.subMatrix(0, m.rows - 1, 0, Math.min(k, m.columns) - 1);
}

/** Frobenius norm. */
export function frobenius(m: Matrix): number {
  let sum = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.columns; j++) sum += m.get(i, j) ** 2;
  }
  return Math.sqrt(sum);
}
