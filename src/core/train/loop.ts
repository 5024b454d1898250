/**
 * The one training loop, used by the trainer process, the CLI (through it) and the tests.
 * It reports through hooks rather than writing files, and is deterministic for a given seed and
 * backend: example order comes from the seed and the epoch alone, so a resumed run replays the
 * uninterrupted one exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, Split } from '../data/types';
import type { TrainConfig } from '../experiment/types';
import type { AdaptedModel } from '../models/build';
import type { Model } from '../models/model';
import type { MetricRecord, MetricSummary } from '../protocol';
import { EPOCH_STREAM_BASE, Rng } from '../rng';
import { correctCount, crossEntropy, meanSquaredError, type LossKind } from './loss';
import { Adam, type OptimizerState } from './optimizer';
import { learningRate } from './schedule';

export type TrainRecord = Extract<MetricRecord, { kind: 'train' }>;
export type EvalRecord = Extract<MetricRecord, { kind: 'eval' }>;

export interface Checkpoint {
  step: number;
  /** Seconds of training time before this checkpoint (so resumed runs keep a continuous clock). */
  time: number;
  trainable: Float32Array[];
  optimizer: OptimizerState;
  bestValAccuracy?: number;
  bestValLoss?: number;
}

export interface TrainHooks {
  onTrain?(record: TrainRecord): void;
  onEval?(record: EvalRecord): void;
  /** Called every `spectrumEvery` steps and at the end, when the model has low-rank adapters. */
  onSpectrum?(step: number, time: number): void;
  onCheckpoint?(checkpoint: Checkpoint): void;
  /** Polled between steps; true stops the run (status 'cancelled'). */
  shouldStop?(): boolean;
}

export interface TrainSetup {
  model: Model;
  adapted: AdaptedModel;
  dataset: Dataset;
  train: TrainConfig;
  seed: number;
  loss: LossKind;
  resume?: Checkpoint;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  steps: number;
  totalSteps: number;
  summary: MetricSummary;
  timeSec: number;
}

export class DivergedError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`diverged: loss is ${loss} at step ${step}`);
    this.name = 'DivergedError';
  }
}

export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  return Math.ceil(trainCount / batchSize);
}

/** Gather rows `indices` of a split into batch tensors. */
export function gatherBatch(split: Split, indices: ArrayLike<number>, featureSize: number, targetSize: number) {
  const n = indices.length;
  const x = new Float32Array(n * featureSize);
  const y = new Int32Array(n);
  const targets = split.targets ? new Float32Array(n * targetSize) : undefined;
  for (let i = 0; i < n; i++) {
    const row = indices[i];
    x.set(split.x.subarray(row * featureSize, (row + 1) * featureSize), i * featureSize);
    y[i] = split.y[row];
    if (targets && split.targets) targets.set(split.targets.subarray(row * targetSize, (row + 1) * targetSize), i * targetSize);
  }
  return { x, y, targets, n };
}

export function featureSizeOf(dataset: Dataset): number {
  return dataset.inputShape.reduce((a, b) => a * b, 1);
}

interface EvalResult {
  loss: number;
  accuracy: number;
}

/**
 * Evaluation batch size. Attention models hold [batch, heads, seq, seq] scores, so 512 sequences of
 * 128 tokens need ~130 MB tensors that grow the wasm heap and run ~1.5× slower per example than
 * 128; an MLP's activations are small and larger batches are cheaper.
 */
export function evalBatchSize(model: Model): number {
  return model.config.arch === 'mlp' ? 512 : 128;
}

/** Loss and accuracy over a whole split, in batches (no gradients). */
export function evaluate(model: Model, dataset: Dataset, split: Split, lossKind: LossKind, batchSize = evalBatchSize(model)): EvalResult {
  const featureSize = featureSizeOf(dataset);
  const targetSize = dataset.numClasses;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    const indices = Array.from({ length: count }, (_, i) => start + i);
    const batch = gatherBatch(split, indices, featureSize, targetSize);
    const [l, c] = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(batch.x, [count, featureSize]));
      const labels = tf.tensor1d(batch.y, 'int32');
      const loss = lossKind === 'mse' ? meanSquaredError(logits, tf.tensor2d(batch.targets!, [count, targetSize])) : crossEntropy(logits, labels);
      return [loss.dataSync()[0], correctCount(logits, labels).dataSync()[0]];
    });
    lossSum += l * count;
    correct += c;
  }
  return { loss: lossSum / Math.max(1, split.count), accuracy: correct / Math.max(1, split.count) };
}

export async function trainModel(setup: TrainSetup, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { model, adapted, dataset, train, seed, loss: lossKind } = setup;
  const featureSize = featureSizeOf(dataset);
  const targetSize = dataset.numClasses;
  const perEpoch = stepsPerEpoch(dataset.train.count, train.batchSize);
  const totalSteps = perEpoch * train.epochs;
  const vars = adapted.trainable;
  const optimizer = new Adam(vars, { weightDecay: train.weightDecay, decoupled: train.optimizer === 'adamw' });
  const evalEvery = train.evalEvery > 0 ? train.evalEvery : perEpoch;

  let step = 0;
  let timeOffset = 0;
  let bestValAccuracy = -Infinity;
  let bestValLoss = Infinity;
  if (setup.resume) {
    restoreCheckpoint(vars, optimizer, setup.resume);
    ({ step, time: timeOffset } = setup.resume);
    bestValAccuracy = setup.resume.bestValAccuracy ?? -Infinity;
    bestValLoss = setup.resume.bestValLoss ?? Infinity;
  }
  const started = performance.now();
  const clock = () => timeOffset + (performance.now() - started) / 1000;
  const final: Record<string, number> = {};

  const runEval = (split: 'val' | 'test', epoch: number) => {
    const data = split === 'val' ? dataset.val : dataset.test;
    if (data.count === 0) return;
    const r = evaluate(model, dataset, data, lossKind);
    hooks.onEval?.({ kind: 'eval', split, step, epoch, time: clock(), loss: r.loss, accuracy: r.accuracy });
    final[`${split}Loss`] = r.loss;
    final[`${split}Accuracy`] = r.accuracy;
    if (split === 'val') {
      bestValAccuracy = Math.max(bestValAccuracy, r.accuracy);
      bestValLoss = Math.min(bestValLoss, r.loss);
    }
  };
  const checkpoint = (): Checkpoint => ({
    step,
    time: clock(),
    trainable: vars.map((v) => (v.dataSync() as Float32Array).slice()),
    optimizer: optimizer.state(),
    bestValAccuracy: Number.isFinite(bestValAccuracy) ? bestValAccuracy : undefined,
    bestValLoss: Number.isFinite(bestValLoss) ? bestValLoss : undefined,
  });

  if (vars.length === 0) {
    // Nothing to train (adapter kind 'none'): evaluate the base as it is.
    optimizer.dispose();
    runEval('val', 0);
    runEval('test', 0);
    return { status: 'completed', steps: 0, totalSteps: 0, summary: { final, best: { ...pick(final, 'valAccuracy', 'valLoss') } }, timeSec: clock() };
  }

  let cancelled = false;
  let lastTick = performance.now();
  try {
    while (step < totalSteps) {
      const epoch = Math.floor(step / perEpoch);
      const order = new Rng(seed, EPOCH_STREAM_BASE + epoch).permutation(dataset.train.count);
      const offset = (step % perEpoch) * train.batchSize;
      const indices = order.subarray(offset, Math.min(offset + train.batchSize, order.length));
      const batch = gatherBatch(dataset.train, indices, featureSize, targetSize);
      const lr = learningRate(step, totalSteps, train.lr, train.schedule, train.warmupSteps);
      const { lossValue, correct } = trainStep(model, vars, optimizer, batch, featureSize, targetSize, lossKind, lr, train.gradClip);
      if (!Number.isFinite(lossValue)) throw new DivergedError(step + 1, lossValue);
      step += 1;
      const now = performance.now();
      hooks.onTrain?.({
        kind: 'train',
        step,
        epoch: step / perEpoch,
        time: clock(),
        loss: lossValue,
        accuracy: correct / batch.n,
        lr,
        samplesPerSec: (batch.n * 1000) / Math.max(1e-3, now - lastTick),
      });
      lastTick = now;
      if (step % evalEvery === 0 || step === totalSteps) runEval('val', step / perEpoch);
      if (train.spectrumEvery > 0 && step % train.spectrumEvery === 0 && step !== totalSteps) hooks.onSpectrum?.(step, clock());
      if (train.checkpointEvery > 0 && step % train.checkpointEvery === 0 && step !== totalSteps) hooks.onCheckpoint?.(checkpoint());
      // Let IPC messages (e.g. a stop request) in between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (hooks.shouldStop?.()) {
        cancelled = true;
        break;
      }
    }
    if (!cancelled) runEval('test', step / perEpoch);
    hooks.onSpectrum?.(step, clock());
    hooks.onCheckpoint?.(checkpoint());
  } finally {
    optimizer.dispose();
  }
  const best: Record<string, number> = {};
  if (Number.isFinite(bestValAccuracy)) best.valAccuracy = bestValAccuracy;
  if (Number.isFinite(bestValLoss)) best.valLoss = bestValLoss;
  return { status: cancelled ? 'cancelled' : 'completed', steps: step, totalSteps, summary: { final, best }, timeSec: clock() };
}

function pick(values: Record<string, number>, ...keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.filter((k) => k in values).map((k) => [k, values[k]]));
}

function trainStep(
  model: Model,
  vars: tf.Variable[],
  optimizer: Adam,
  batch: ReturnType<typeof gatherBatch>,
  featureSize: number,
  targetSize: number,
  lossKind: LossKind,
  lr: number,
  gradClip: number,
): { lossValue: number; correct: number } {
  return tf.tidy(() => {
    const x = tf.tensor2d(batch.x, [batch.n, featureSize]);
    const labels = tf.tensor1d(batch.y, 'int32');
    const targets = batch.targets ? tf.tensor2d(batch.targets, [batch.n, targetSize]) : undefined;
    let correct = 0;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.forward(x);
      // Read inside: intermediates are disposed when variableGrads returns.
      correct = correctCount(logits, labels).dataSync()[0];
      return lossKind === 'mse' ? meanSquaredError(logits, targets!) : crossEntropy(logits, labels);
    }, vars);
    const gradList = vars.map((v) => grads[v.name]);
    const clipped = gradClip > 0 ? clipByGlobalNorm(gradList, gradClip) : gradList;
    optimizer.apply(clipped, lr);
    return { lossValue: value.dataSync()[0], correct };
  });
}

function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const norm = Math.sqrt(grads.reduce((sum, g) => sum + tf.sum(tf.square(g)).dataSync()[0], 0));
  if (norm <= maxNorm || !Number.isFinite(norm)) return grads;
  return grads.map((g) => tf.mul(g, maxNorm / norm));
}

function restoreCheckpoint(vars: tf.Variable[], optimizer: Adam, ckpt: Checkpoint): void {
  if (ckpt.trainable.length !== vars.length) {
    throw new Error(`checkpoint has ${ckpt.trainable.length} trainable tensors, the model has ${vars.length}`);
  }
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(ckpt.trainable[i], v.shape))));
  optimizer.loadState(ckpt.optimizer);
}
