/**
 * Small float64 helpers around ml-matrix: conversions from our row-major Float32Array weights,
 * thin QR, sorted symmetric eigen-decomposition and SVD. Everything here is exact (no iteration
 * counts to tune), so the spectra built on top can be tested against full decompositions.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

/** A row-major rows×cols array (Float32Array or Float64Array) as a float64 Matrix. */
export function fromRowMajor(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`);
  }
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) m.set(i, j, data[i * cols + j]);
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
    for (let j = 0; j < cols; j++) m.set(j, i, data[i * cols + j]);
  }
  return m;
}

/** Columns of a row-major rows×cols array (column j = entries j, cols + j, ...). */
export function columnsOf(data: ArrayLike<number>, rows: number, cols: number): Float64Array[] {
  if (data.length !== rows * cols) throw new RangeError(`expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`);
  return Array.from({ length: cols }, (_, j) => {
    const c = new Float64Array(rows);
    for (let i = 0; i < rows; i++) c[i] = data[i * cols + j];
    return c;
  });
}

/** Rows of a row-major rows×cols array as vectors: the columns of its transpose. */
export function rowsOf(data: ArrayLike<number>, rows: number, cols: number): Float64Array[] {
  if (data.length !== rows * cols) throw new RangeError(`expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`);
  return Array.from({ length: rows }, (_, i) => Float64Array.from({ length: cols }, (_, j) => data[i * cols + j]));
}

/**
 * Thin Householder QR of a tall m×k matrix given by its k columns (m ≥ k): M = Q·R with Q's k
 * columns orthonormal and R k×k upper triangular. Rank-deficient input is fine (a zero column
 * skips its reflection, so Q stays orthonormal and R gets a zero row), which matters because
 * LoRA's B starts at zero. Flat arrays: ml-matrix's element accessors made this the bottleneck.
 */
export function thinQr(columns: Float64Array[]): { Q: Float64Array[]; R: Matrix } {
  const k = columns.length;
  const m = columns[0]?.length ?? 0;
  if (m < k) throw new RangeError(`thin QR needs rows ≥ columns, got ${m}×${k}`);
  const work = columns.map((c) => Float64Array.from(c));
  const reflectors: (Float64Array | undefined)[] = [];
  const R = new Matrix(k, k);
  for (let j = 0; j < k; j++) {
    const x = work[j];
    let norm = 0;
    for (let i = j; i < m; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    if (norm === 0) {
      reflectors.push(undefined);
      for (let i = 0; i < j; i++) R.set(i, j, x[i]);
      continue;
    }
    const alpha = x[j] >= 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = j; i < m; i++) v[i] = x[i]!;
    v[j] -= alpha;
    let vnorm = 0;
    for (let i = j; i < m; i++) vnorm += v[i] * v[i];
    vnorm = Math.sqrt(vnorm);
    for (let i = j; i < m; i++) v[i] /= vnorm;
    reflectors.push(v);
    for (let c = j; c < k; c++) reflect(v, work[c], j);
    for (let i = 0; i <= j; i++) R.set(i, j, work[j][i]);
  }
  const Q = Array.from({ length: k }, (_, c) => {
    const q = new Float64Array(m);
    q[c] = 1;
    for (let j = Math.min(c, k - 1); j >= 0; j--) {
      const v = reflectors[j];
      if (v) reflect(v, q, j);
    }
    return q;
  });
  return { Q, R };
}

/** y ← (I − 2vvᵀ)·y for a unit v that is zero before index `from`. */
function reflect(v: Float64Array, y: Float64Array, from: number): void {
  let d = 0;
  for (let i = from; i < v.length; i++) d += v[i] * y[i];
  d *= 2;
  for (let i = from; i < v.length; i++) y[i] -= d * v[i];
}

/** (Q·V) as a row-major m×V.columns array, for Q given by its columns. */
export function basisTimes(Q: Float64Array[], V: Matrix): Float64Array {
  const m = Q[0]?.length ?? 0;
  const cols = V.columns;
  const vRows = Q.map((_, j) => Float64Array.from({ length: cols }, (_, c) => V.get(j, c)));
  const out = new Float64Array(m * cols);
  for (let i = 0; i < m; i++) {
    const base = i * cols;
    for (let j = 0; j < Q.length; j++) {
      const qij = Q[j][i];
      if (qij === 0) continue;
      const row = vRows[j];
      for (let c = 0; c < cols; c++) out[base + c] += qij * row[c];
    }
  }
  return out;
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
  const order = values.map((_, i) => i).sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || values[b] - values[a]);
  const vecs = evd.eigenvectorMatrix;
  const sorted = new Matrix(m.rows, order.length);
  order.forEach((src, dst) => {
    for (let i = 0; i < m.rows; i++) sorted.set(i, dst, vecs.get(i, src));
  });
  return { values: order.map((i) => values[i]), vectors: sorted };
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
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const pick = (src: Matrix): Matrix => {
    const out = new Matrix(src.rows, k);
    order.forEach((from, to) => {
      for (let i = 0; i < src.rows; i++) out.set(i, to, src.get(i, from));
    });
    return out;
  };
  return { values: order.map((i) => Math.max(0, values[i])), U: pick(res.leftSingularVectors), V: pick(res.rightSingularVectors) };
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
