/**
 * Matrix products and transposes chosen per op for speed on the wasm backend (docs/PERFORMANCE.md).
 *
 * - tf.matMul's gradient calls matMul with transpose flags; on wasm a transposed (or batched)
 *   matMul leaves XNNPACK for a naive loop, 10–20× slower. Our product's gradient materialises the
 *   transposes and multiplies untransposed.
 * - The product is a registered kernel with a lazy gradient (one closure per input) rather than
 *   tf.customGrad (which computes every input's gradient): tfjs then computes only the gradients
 *   that reach a trained variable. A frozen base weight gets no xᵀ·dy, the data input no dy·Wᵀ.
 * - The transpose of a frozen weight is made once and cached by its data id (a new value — merge,
 *   load — has a new data id); stale entries are freed when their source data is gone.
 * - Of aᵀ·dy and (dyᵀ·a)ᵀ the gradient picks whichever transposes fewer elements.
 * - wasm's Transpose kernel is slow on large 2-D planes; a cache-blocked copy on the wasm heap is
 *   about twice as fast there, and exact. wasm's Identity (used by tfjs to save tensors for the
 *   backward pass) copies the data; ours shares it by reference count, as wasm's own Reshape does
 *   and as the cpu backend's Identity does (tfjs tensors are immutable).
 * - Where the machine has a CBLAS library (OpenBLAS on Linux/Windows, Accelerate on macOS) and the
 *   optional `koffi` FFI package is installed, the wasm backend's products call cblas_sgemm directly
 *   on the wasm heap, with transpose flags instead of materialised transposes: AVX2/AVX-512 FMA
 *   kernels instead of 128-bit wasm SIMD (~6× the GFLOP/s here). SYMLORA_BLAS=off disables it;
 *   SYMLORA_BLAS_THREADS sets its threads (default 1: parallel runs use the other cores).
 */
import * as tf from '@tensorflow/tfjs-core';

const MATMUL = 'SymloraLabMatMul';
const SWAP_LAST2 = 'SymloraLabSwapLast2';
/** Planes at least this large are transposed by our blocked copy on wasm; smaller ones by tfjs's kernel. */
const JS_TRANSPOSE_MIN_PLANE = 65536;

type TensorInfo = tf.TensorInfo;
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

interface MatmulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  /** b is a frozen weight: its transpose may be cached. */
  frozenB?: boolean;
}

/** The backend's own BatchMatMul, on rank-3 inputs of equal batch. */
function matmulKernel(backendName: string) {
  return (args: KernelArgs): TensorInfo => {
    const batchMatMul = tf.getKernel('BatchMatMul', backendName);
    if (!batchMatMul) throw new Error(`backend ${backendName} has no BatchMatMul kernel`);
    const { a, b } = args.inputs;
    const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as MatmulAttrs;
    return batchMatMul.kernelFunc({ inputs: { a, b }, backend: args.backend as never, attrs: { transposeA, transposeB } }) as TensorInfo;
  };
}

/** cblas_sgemm on the wasm heap, one call per batch matrix, transposes as flags. */
function wasmBlasMatmulKernel(blas: Blas) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as WasmBackendInternals;
    const { a, b } = args.inputs;
    const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as MatmulAttrs;
    const [batch, ra, ca] = a.shape;
    const [, rb, cb] = b.shape;
    const [m, k] = transposeA ? [ca, ra] : [ra, ca];
    const n = transposeB ? rb : cb;
    const out = backend.makeOutput([batch, m, n], 'float32');
    // Read the heap only after allocating: growth replaces the buffer.
    const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
    const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
    const [a0, b0, c0] = [offset(a), offset(b), offset(out)];
    for (let i = 0; i < batch; i++) {
      const aMat = heap.subarray(a0 + i * m * k, a0 + (i + 1) * m * k);
      const bMat = heap.subarray(b0 + i * k * n, b0 + (i + 1) * k * n);
      const cMat = heap.subarray(c0 + i * m * n, c0 + (i + 1) * m * n);
      blas.sgemm(transposeA, transposeB, m, n, k, aMat, ca, bMat, cb, cMat);
    }
    return out;
  };
}

interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  incRef(dataId: object): void;
}

const BLOCK = 32;

/** Swap the last two axes by a blocked copy on the wasm heap (float32), else tfjs's Transpose. */
function wasmSwapLast2(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const n = x.shape.length;
  const rows = x.shape[n - 2];
  const cols = x.shape[n - 1];
  if (rows * cols < JS_TRANSPOSE_MIN_PLANE || x.dtype !== 'float32') return stockSwapLast2('wasm')(args);
  const backend = args.backend as WasmBackendInternals;
  const batch = x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype);
  // Read the heap only after allocating: growth replaces the buffer.
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const src0 = backend.dataIdMap.get(x.dataId).memoryOffset >>> 2;
  const dst0 = backend.dataIdMap.get(out.dataId).memoryOffset >>> 2;
  const plane = rows * cols;
  for (let m = 0; m < batch; m++) transposeBlocked(heap, src0 + m * plane, dst0 + m * plane, rows, cols);
  return out;
}

function transposeBlocked(heap: Float32Array, src: number, dst: number, rows: number, cols: number): void {
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const i1 = Math.min(i0 + BLOCK, rows);
    for (let j0 = 0; j0 < cols; j0 += BLOCK) {
      const j1 = Math.min(j0 + BLOCK, cols);
      for (let i = i0; i < i1; i++) {
        const row = src + i * cols;
        for (let j = j0; j < j1; j++) heap[dst + j * rows + i] = heap[row + j];
      }
    }
  }
}

/** The stock Transpose kernel of a backend, swapping the last two axes. */
function stockSwapLast2(backendName: string) {
  return (args: KernelArgs): TensorInfo => {
    const transpose = tf.getKernel('Transpose', backendName);
    if (!transpose) throw new Error(`backend ${backendName} has no Transpose kernel`);
    const n = args.inputs.x.shape.length;
    const perm = Array.from({ length: n }, (_, i) => i);
    [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
    return transpose.kernelFunc({ inputs: args.inputs, backend: args.backend as never, attrs: { perm } }) as TensorInfo;
  };
}

/** Identity that shares the input's data (reference counted) instead of copying it. */
function wasmSharedIdentity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  (args.backend as WasmBackendInternals).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registers our kernels for the active backend (once per backend) and their gradients (once). */
function ensureKernels(): void {
  const backendName = tf.getBackend();
  if (!tf.getKernel(MATMUL, backendName)) {
    const blas = (backendName === 'wasm' ? loadBlas() : null) ?? undefined;
    const matmul = blas ? wasmBlasMatmulKernel(blas) : matmulKernel(backendName);
    blasBackends.set(backendName, blas);
    tf.registerKernel({ kernelName: MATMUL, backendName, kernelFunc: matmul as unknown as tf.KernelFunc });
    const swap = backendName === 'wasm' ? wasmSwapLast2 : stockSwapLast2(backendName);
    tf.registerKernel({ kernelName: SWAP_LAST2, backendName, kernelFunc: swap as unknown as tf.KernelFunc });
    if (backendName === 'wasm') {
      tf.unregisterKernel('Identity', 'wasm');
      tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: wasmSharedIdentity as unknown as tf.KernelFunc });
    }
  }
  if (!tf.getGradient(MATMUL)) {
    tf.registerGradient({
      kernelName: MATMUL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved;
        const g = dy as tf.Tensor;
        const frozenB = Boolean((attrs as MatmulAttrs).frozenB);
        // Each closure runs only if its input leads to a variable being differentiated.
        if (blasBackends.get(tf.getBackend())) {
          return { a: () => rawMatmul(g, b, { transposeB: true }), b: () => rawMatmul(a, g, { transposeA: true }) };
        }
        return {
          a: () => (frozenB ? rawMatmul(g, frozenTranspose(b)) : productWithTransposedRight(g, b)),
          b: () => transposedLeftProduct(a, g),
        };
      },
    });
    tf.registerGradient({ kernelName: SWAP_LAST2, gradFunc: (dy) => ({ x: () => swapLast2(dy as tf.Tensor) }) });
  }
}

/** dy·bᵀ, either directly or as (b·dyᵀ)ᵀ, whichever transposes fewer elements. */
function productWithTransposedRight(dy: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [m, n] = dy.shape.slice(-2);
  const k = b.shape[b.rank - 2];
  if (k * n <= m * n + m * k) return rawMatmul(dy, swapLast2(b));
  return swapLast2(rawMatmul(b, swapLast2(dy)));
}

/** aᵀ·dy, either directly or as (dyᵀ·a)ᵀ, whichever transposes fewer elements. */
function transposedLeftProduct(a: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const [m, k] = a.shape.slice(-2);
  const n = dy.shape[dy.rank - 1];
  if (m * k <= m * n + n * k) return rawMatmul(swapLast2(a), dy);
  return swapLast2(rawMatmul(swapLast2(dy), a));
}

/** The BLAS each backend's product uses (undefined: the backend's own kernel). */
const blasBackends = new Map<string, Blas | undefined>();

/** Which matrix-product implementation the active backend uses, for run records and the benchmark. */
export function matmulImplementation(): string {
  ensureKernels();
  const blas = blasBackends.get(tf.getBackend());
  return blas ? `cblas_sgemm (${blas.name})` : `${tf.getBackend()} BatchMatMul`;
}

/** Transposes of frozen weights, by the weight's data id. */
const frozenTransposes = new Map<object, tf.Tensor>();

function frozenTranspose(w: tf.Tensor): tf.Tensor {
  const hit = frozenTransposes.get(w.dataId);
  if (hit && !hit.isDisposed) return hit;
  dropStaleTransposes();
  const t = tf.keep(swapLast2(w));
  frozenTransposes.set(w.dataId, t);
  return t;
}

function dropStaleTransposes(): void {
  const backend = tf.engine().backend;
  for (const [dataId, t] of frozenTransposes) {
    if (backend.refCount(dataId) > 0) continue;
    t.dispose();
    frozenTransposes.delete(dataId);
  }
}

/** Frees every cached transpose (for tests that count tensors across models). */
export function clearTransposeCache(): void {
  frozenTransposes.forEach((t) => t.dispose());
  frozenTransposes.clear();
}

/** op(a) · op(b) over equal leading (batch) axes, op = transpose where the flag says, through our kernel. */
function rawMatmul(a: tf.Tensor, b: tf.Tensor, attrs: MatmulAttrs = {}): tf.Tensor {
  ensureKernels();
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const m = attrs.transposeA ? ca : ra;
  const n = attrs.transposeB ? rb : cb;
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((p, d) => p * d, 1);
  const a3 = tf.reshape(a, [batch, ra, ca]);
  const b3 = tf.reshape(b, [batch, rb, cb]);
  const out = tf.engine().runKernel(MATMUL, { a: a3, b: b3 }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  return tf.reshape(out, [...lead, m, n]);
}

/** Swap the last two axes of a tensor of rank ≥ 2, with its gradient. */
export function swapLast2(x: tf.Tensor): tf.Tensor {
  ensureKernels();
  return tf.engine().runKernel(SWAP_LAST2, { x }) as tf.Tensor;
}

/**
 * a [m,k] · b [k,n] → [m,n]; gradients transpose explicitly and are computed only where needed.
 * When b is a frozen (non-trainable) Variable, its transpose for the backward pass is cached.
 */
export function mm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  checkInner(a, b);
  const frozen = b instanceof tf.Variable && !b.trainable;
  return rawMatmul(a, b, { frozenB: frozen }) as tf.Tensor2D;
}

/** Swap the last two axes of a rank-3 or rank-4 tensor. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  return swapLast2(x);
}

/** Batched product over leading axes (same batch shape on both sides), explicit-transpose gradient. */
export function bmm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  checkInner(a, b);
  const lead = (t: tf.Tensor) => t.shape.slice(0, -2).join(',');
  if (a.rank !== b.rank || lead(a) !== lead(b)) throw new Error(`bmm: batch shapes differ: [${a.shape}] · [${b.shape}]`);
  return rawMatmul(a, b);
}

function checkInner(a: tf.Tensor, b: tf.Tensor): void {
  if (a.rank < 2 || b.rank < 2 || a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`matmul: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
  }
}

// ---------------------------------------------------------------------------------------------
// CBLAS through koffi (optional): the machine's sgemm, on the wasm heap.
// ---------------------------------------------------------------------------------------------

export interface Blas {
  /** Library and, for OpenBLAS, the kernel family it selected (e.g. "libopenblas.so.0, Cooperlake"). */
  name: string;
  /** C[m,n] = op(A)·op(B), row-major, lda/ldb = stored columns of A/B. */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array): void;
}

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

const BLAS_LIBRARIES: Record<string, string[]> = {
  linux: ['libopenblas.so.0', 'libopenblas.so', 'libopenblasp-r0.so'],
  darwin: ['/System/Library/Frameworks/Accelerate.framework/Accelerate', 'libopenblas.dylib'],
  win32: ['libopenblas.dll'],
};

let blasLoaded: Blas | null | undefined;

/** The machine's CBLAS, or null (no koffi, no library, or SYMLORA_BLAS=off). Loaded once. */
export function loadBlas(): Blas | null {
  if (blasLoaded !== undefined) return blasLoaded;
  blasLoaded = null;
  if (/^(0|off|false|no)$/i.test(process.env.SYMLORA_BLAS ?? '')) return blasLoaded;
  const koffi = optionalRequire('koffi') as Koffi | undefined;
  if (!koffi) return blasLoaded;
  for (const path of BLAS_LIBRARIES[process.platform] ?? []) {
    blasLoaded = openBlas(koffi, path);
    if (blasLoaded) break;
  }
  return blasLoaded;
}

function optionalRequire(id: string): unknown {
  try {
    // A computed id keeps bundlers from inlining an optional native package.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  } catch {
    return undefined;
  }
}

function openBlas(koffi: Koffi, path: string): Blas | null {
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(path);
  } catch {
    return null;
  }
  const fn = (signature: string) => {
    try {
      return lib.func(signature);
    } catch {
      return undefined;
    }
  };
  const sgemm = fn(
    'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, _Inout_ float *c, int ldc)',
  );
  if (!sgemm) return null;
  const threads = Number(process.env.SYMLORA_BLAS_THREADS ?? 1);
  fn('void openblas_set_num_threads(int n)')?.(Number.isInteger(threads) && threads > 0 ? threads : 1);
  const core = fn('const char *openblas_get_corename()')?.() as string | undefined;
  const ROW_MAJOR = 101;
  const op = (t: boolean) => (t ? 112 : 111);
  return {
    name: core ? `${path.split('/').pop()}, ${core}` : path.split('/').pop()!,
    sgemm: (transA, transB, m, n, k, a, lda, b, ldb, c) => void sgemm(ROW_MAJOR, op(transA), op(transB), m, n, k, 1, a, lda, b, ldb, 0, c, n),
  };
}
