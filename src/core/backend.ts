/**
 * Compute backend selection. Preference: tfjs-node (libtensorflow; an optionalDependency that
 * cannot install everywhere) → tfjs-backend-wasm (SIMD; ships its .wasm) → pure-JS cpu.
 * The backend actually used is returned so every run can record it.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; training needs them all.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Static imports, so the bundle holds the backends' ESM builds on its one copy of tfjs-core. A
// runtime require() would load their CommonJS builds from node_modules, each with a second
// tfjs-core (2 MB more script for every trainer to compile at start-up). Importing only registers
// a backend; its initialisation (the .wasm compile) happens in setBackend().
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { clearTransposeCache, matmulImplementation } from './ops';
import { join } from 'node:path';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: 'tensorflow' | 'wasm' | 'cpu';
  tfjsVersion: string;
  /** Why preferred backends were passed over (shown to the user, recorded in run.json). */
  notes: string[];
  /** The matrix-product kernel in use, e.g. "cblas_sgemm (OpenBLAS)" or "wasm BatchMatMul". */
  matmul?: string;
  simd?: boolean;
}

let active: BackendInfo | undefined;

function tryRequire(id: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function tryTensorflow(notes: string[]): Promise<boolean> {
  const loaded = tryRequire('@tensorflow/tfjs-node');
  if (loaded instanceof Error) {
    notes.push(`tfjs-node unavailable (${firstLine(loaded.message)})`);
    return false;
  }
  return setBackend('tensorflow', notes);
}

async function tryWasm(notes: string[]): Promise<boolean> {
  // In the bundles (dist/), the .wasm binaries are copied next to the script.
  if (existsSync(join(__dirname, 'tfjs-backend-wasm-simd.wasm'))) setWasmPaths(`${__dirname}/`);
  return setBackend('wasm', notes);
}

async function setBackend(name: string, notes: string[]): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok) notes.push(`${name} backend failed to initialise`);
    return ok && tf.getBackend() === name;
  } catch (err) {
    notes.push(`${name} backend failed: ${firstLine(String(err))}`);
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 200);
}

/**
 * Initialise the requested backend. An explicit choice that cannot load is an error (the user asked
 * for it); 'auto' falls back down the preference list. SYMLORA_BACKEND overrides `choice`.
 */
export async function initBackend(choice: string = 'auto'): Promise<BackendInfo> {
  const requested = (process.env.SYMLORA_BACKEND || choice) as BackendChoice;
  if (!BACKEND_CHOICES.includes(requested)) {
    throw new Error(`unknown backend "${requested}" (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
  if (active && (requested === 'auto' || requested === active.name)) return active;
  // Production mode: no debug checks, and no console banner urging tfjs-node on the cpu backend.
  tf.enableProdMode();
  const notes: string[] = [];
  const attempts: Record<Exclude<BackendChoice, 'auto'>, () => Promise<boolean>> = {
    tensorflow: () => tryTensorflow(notes),
    wasm: () => tryWasm(notes),
    cpu: () => setBackend('cpu', notes),
  };
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    if (await attempts[name]()) {
      active = { name, tfjsVersion: tf.version_core, notes };
      if (name === 'wasm') active.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      active.matmul = matmulImplementation();
      return active;
    }
  }
  throw new Error(`backend "${requested}" could not be initialised: ${notes.join('; ')}`);
}

/**
 * Tensors alive in the engine (read from its state, so it never initialises a backend). The
 * trainer compares it before and after a run to decide whether its process is clean enough to
 * take another run.
 */
export function liveTensorCount(): number {
  return tf.engine().state.numTensors;
}

/**
 * Runs one training run's `work` inside an engine scope that spans its awaits: every tensor
 * created meanwhile that was not kept or made a variable is disposed when it ends, as tf.tidy does
 * for synchronous code, and so are the cached transposes of its frozen weights. For the trainer,
 * which runs one run at a time: e.g. the initial values handed to tf.variable() are never disposed
 * by the model code, and would otherwise pile up in a process that serves many runs. Nothing else
 * may use tensors concurrently, or the scopes would interleave.
 */
export async function inRunScope<T>(work: () => Promise<T>): Promise<T> {
  tf.engine().startScope('symlora-run');
  try {
    return await work();
  } finally {
    tf.engine().endScope();
    clearTransposeCache();
  }
}
