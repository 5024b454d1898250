/**
 * The built-in teacher task: a frozen random base network, and a teacher equal to it except for a
 * known low-rank shift ΔW* on some layers. Inputs are Gaussian; labels (or regression targets) come
 * from the teacher. An adapter on the base must learn ΔW*, which makes adapter behaviour checkable:
 * SymLoRA can represent a symmetric shift exactly, and an antisymmetric one not at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, TeacherShift, TeacherTask } from '../experiment/types';
import { spectralNorm } from '../linalg/base';
import { linearLayout, matchesAny } from '../models/layout';
import type { Model } from '../models/model';
import { randomOrthonormal, Rng, STREAMS } from '../rng';
import type { Dataset, Split } from './types';

export const TEACHER_VERSION = 'teacher-1';

export interface ShiftedLayer {
  layer: string;
  shape: [number, number];
  /** ΔW* as [out, in] row-major. */
  delta: Float32Array;
  /** Nonzero eigenvalues of a symmetric ΔW* (descending by magnitude); singular values otherwise. */
  spectrum: number[];
}

export interface TeacherResult {
  dataset: Dataset;
  shifts: ShiftedLayer[];
}

export function inputShapeOf(model: ModelConfig): number[] {
  switch (model.arch) {
    case 'mlp':
      return [model.inputDim];
    case 'transformer':
      return [model.seqLen, model.inputDim];
    case 'use-lite':
      throw new Error('the teacher task needs a model with numeric inputs (mlp or transformer), not use-lite');
  }
}

/** ΔW* of the requested kind and rank, scaled to `shift.scale · ‖W‖₂`. */
export function makeShift(shift: TeacherShift, layer: string, w: Float32Array, shape: [number, number], rng: Rng): ShiftedLayer {
  const [out, inp] = shape;
  const k = shift.rank;
  if (shift.kind !== 'asymmetric' && out !== inp) {
    throw new Error(`task.shift.kind "${shift.kind}" needs square layers; ${layer} is ${out}×${inp}`);
  }
  const limit = shift.kind === 'antisymmetric' ? Math.floor(Math.min(out, inp) / 2) : Math.min(out, inp);
  if (k > limit) throw new Error(`task.shift.rank ${k} is too large for ${layer} (${out}×${inp}); at most ${limit}`);
  const magnitude = shift.scale * spectralNorm(w, out, inp);
  const delta = new Float32Array(out * inp);
  const strengths = Array.from({ length: k }, () => rng.uniform(0.5, 1) * magnitude);
  let spectrum: number[];
  if (shift.kind === 'symmetric') {
    const q = randomOrthonormal(rng, out, k);
    const lambda = strengths.map((s) => (rng.next() < 0.5 ? -s : s));
    addOuter(delta, q, q, lambda, out, inp, k);
    spectrum = [...lambda].sort((a, b) => Math.abs(b) - Math.abs(a));
  } else if (shift.kind === 'asymmetric') {
    const u = randomOrthonormal(rng, out, k);
    const v = randomOrthonormal(rng, inp, k);
    addOuter(delta, u, v, strengths, out, inp, k);
    spectrum = [...strengths].sort((a, b) => b - a);
  } else {
    // U·diag(σ)·Vᵀ − V·diag(σ)·Uᵀ with U ⟂ V: singular values σ, each twice.
    const uv = randomOrthonormal(rng, out, 2 * k);
    const u = columns(uv, out, 2 * k, 0, k);
    const v = columns(uv, out, 2 * k, k, 2 * k);
    addOuter(delta, u, v, strengths, out, inp, k);
    addOuter(delta, v, u, strengths.map((s) => -s), out, inp, k);
    spectrum = strengths.flatMap((s) => [s, s]).sort((a, b) => b - a);
  }
  return { layer, shape, delta, spectrum };
}

function columns(m: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const width = to - from;
  const out = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) for (let j = from; j < to; j++) out[i * width + (j - from)] = m[i * cols + j];
  return out;
}

/** delta += Σ_c s_c · left[:, c] · right[:, c]ᵀ, left [out, k], right [in, k], both row-major. */
function addOuter(delta: Float32Array, left: Float32Array, right: Float32Array, s: number[], out: number, inp: number, k: number): void {
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inp; j++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += s[c] * left[i * k + c] * right[j * k + c];
      delta[i * inp + j] += sum;
    }
  }
}

/**
 * Build the teacher dataset for `base` (the student's frozen base, built from the same seed).
 * The base's weights are shifted temporarily to label the data, then restored.
 */
export function buildTeacherDataset(base: Model, task: TeacherTask, defaultTargets: string[], seed: number): TeacherResult {
  const targets = task.shift.targets.length > 0 ? task.shift.targets : defaultTargets;
  const layouts = linearLayout(base.config).filter((l) => !l.isHead && matchesAny(l.name, targets));
  if (layouts.length === 0) {
    throw new Error(`task.shift.targets ${JSON.stringify(targets)} match no layer of the model`);
  }
  const shiftRng = new Rng(seed, STREAMS.shift);
  const shifts = layouts.map((layout) => {
    const layer = base.linears.find((l) => l.name === layout.name)!;
    return makeShift(task.shift, layout.name, layer.weightOutIn(), layout.shape, shiftRng.fork(layout.name));
  });

  const inputShape = inputShapeOf(base.config);
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  const dataRng = new Rng(seed, STREAMS.data);
  const originals = shifts.map((s) => base.linears.find((l) => l.name === s.layer)!.weightOutIn());
  shifts.forEach((s, i) => {
    const shifted = originals[i].map((w, j) => w + s.delta[j]);
    base.linears.find((l) => l.name === s.layer)!.setWeightOutIn(shifted);
  });
  try {
    const make = (count: number): Split => labelWithTeacher(base, dataRng.fillNormal(new Float32Array(count * featureSize)), count, featureSize, task.labels === 'logits');
    const train = make(task.trainSize);
    const val = make(task.valSize);
    const test = make(task.testSize);
    const classes = (base.config as { classes: number }).classes;
    const dataset: Dataset = {
      name: `teacher(${task.shift.kind}, rank ${task.shift.rank})`,
      version: TEACHER_VERSION,
      inputShape,
      numClasses: classes,
      classNames: Array.from({ length: classes }, (_, i) => `class ${i}`),
      train,
      val,
      test,
      info: {
        shiftKind: task.shift.kind,
        shiftRank: task.shift.rank,
        shiftScale: task.shift.scale,
        shiftedLayers: shifts.map((s) => s.layer).join(','),
        labels: task.labels,
      },
    };
    return { dataset, shifts };
  } finally {
    shifts.forEach((s, i) => base.linears.find((l) => l.name === s.layer)!.setWeightOutIn(originals[i]));
  }
}

function labelWithTeacher(teacher: Model, x: Float32Array, count: number, featureSize: number, keepLogits: boolean): Split {
  const logits = tf.tidy(() => teacher.forward(tf.tensor2d(x, [count, featureSize])).dataSync() as Float32Array).slice();
  const classes = logits.length / Math.max(1, count);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    y[i] = best;
  }
  return { x, y, targets: keepLogits ? logits : undefined, count };
}
