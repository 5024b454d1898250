/**
 * The training loop on the teacher task: loss goes down, SymLoRA recovers a symmetric shift's
 * eigenvalues, the same seed gives identical metrics, no tensors leak, and a resumed run ends
 * exactly where an uninterrupted one does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/backend';
import { DivergedError, evaluate, trainModel, type Checkpoint } from '../../src/core/train/loop';
import { adapterWeights, prepareRun } from '../../src/core/train/session';
import { symloraEigen } from '../../src/core/linalg/spectra';
import { EPOCH_STREAM_BASE, Rng } from '../../src/core/rng';
import type { MetricRecord } from '../../src/core/protocol';
import { specOf, teacherConfig } from '../helpers/configs';

before(async () => {
  await initBackend(process.env.SYMLORA_TEST_BACKEND ?? 'wasm');
});

async function train(config: ReturnType<typeof teacherConfig>, hooks: Parameters<typeof trainModel>[1] = {}, resume?: Checkpoint) {
  const run = await prepareRun(specOf(config));
  const records: MetricRecord[] = [];
  const result = await trainModel(
    { model: run.model, adapted: run.adapted, dataset: run.dataset, train: config.train, seed: config.seed, loss: run.loss, resume },
    { onTrain: (r) => records.push(r), onEval: (r) => records.push(r), ...hooks },
  );
  return { run, result, records };
}

test('training lowers the loss (lora and symlora on a symmetric teacher shift)', async () => {
  for (const kind of ['lora', 'symlora'] as const) {
    const config = teacherConfig({ adapter: { kind }, task: { shift: { scale: 1.5 }, trainSize: 1024, valSize: 256 }, train: { epochs: 6, batchSize: 64 } });
    const run = await prepareRun(specOf(config));
    const before = evaluate(run.model, run.dataset, run.dataset.val, run.loss).loss;
    const result = await trainModel({ model: run.model, adapted: run.adapted, dataset: run.dataset, train: config.train, seed: 0, loss: run.loss });
    const after = result.summary.final.valLoss;
    assert.ok(after < 0.7 * before, `${kind}: validation loss ${before.toFixed(3)} → ${after.toFixed(3)} should fall by 30%`);
    run.dispose();
  }
});

test('SymLoRA recovers the eigenvalues of a symmetric low-rank shift', async () => {
  const config = teacherConfig({
    model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 16, activation: 'tanh' },
    task: { shift: { rank: 2, kind: 'symmetric', scale: 0.5, targets: ['hidden.0'] }, labels: 'logits', trainSize: 1024, valSize: 128, testSize: 128 },
    adapter: { kind: 'symlora', rank: 2, alpha: 2, targets: ['hidden.0'] },
    train: { epochs: 60, batchSize: 128, lr: 0.02, schedule: 'cosine' },
  });
  const { run } = await train(config);
  const truth = run.teacher!.shifts[0].spectrum;
  const w = adapterWeights(run)[0];
  assert.equal(w.kind, 'symlora');
  if (w.kind !== 'symlora') return;
  const learned = symloraEigen(w.Q, w.lambda, 16, 2, w.scale).values;
  const sortSigned = (v: number[]) => [...v].sort((a, b) => a - b);
  const [t, l] = [sortSigned(truth), sortSigned(learned)];
  t.forEach((value, i) => assert.ok(Math.abs(l[i] - value) < 0.1 * Math.abs(value), `eigenvalue ${i}: learned ${l[i].toFixed(4)} vs true ${value.toFixed(4)}`));
  run.dispose();
});

test('an antisymmetric shift: LoRA fits it, SymLoRA cannot', async () => {
  const make = (kind: 'lora' | 'symlora') =>
    teacherConfig({
      model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 16, activation: 'tanh' },
      task: { shift: { rank: 2, kind: 'antisymmetric', scale: 0.5, targets: ['hidden.0'] }, labels: 'logits', trainSize: 1024, valSize: 128, testSize: 128 },
      adapter: { kind, rank: 4, alpha: 4, targets: ['hidden.0'] },
      train: { epochs: 40, batchSize: 128, lr: 0.02, schedule: 'cosine' },
    });
  const finalVal = async (kind: 'lora' | 'symlora') => {
    const { run, result } = await train(make(kind));
    run.dispose();
    return result.summary.final.valLoss;
  };
  const lora = await finalVal('lora');
  const sym = await finalVal('symlora');
  assert.ok(lora < 0.2 * sym, `lora val loss ${lora} should be far below symlora's ${sym}`);
});

test('the same seed twice gives identical metrics; another seed does not', async () => {
  const config = teacherConfig({ train: { epochs: 2 } });
  const a = await train(config);
  const b = await train(config);
  const strip = (rs: MetricRecord[]) => rs.map((r) => ({ ...r, time: 0, ...(r.kind === 'train' ? { samplesPerSec: 0 } : {}) }));
  assert.deepEqual(strip(a.records), strip(b.records));
  const c = await train(teacherConfig({ train: { epochs: 2 }, seed: 1 }));
  assert.notDeepEqual(strip(a.records), strip(c.records));
  [a, b, c].forEach((x) => x.run.dispose());
});

test('no tensor leaks: numTensors stays flat across training steps', async () => {
  const counts: number[] = [];
  const { run } = await train(teacherConfig({ train: { epochs: 3, evalEvery: 3 } }), {
    onTrain: () => counts.push(tf.memory().numTensors),
  });
  assert.ok(counts.length > 20);
  assert.equal(counts[counts.length - 1], counts[1], `tensor count drifted: ${counts.slice(0, 3)} … ${counts.slice(-3)}`);
  run.dispose();
});

test('a run resumed from its checkpoint ends exactly where the uninterrupted run does', async () => {
  const config = teacherConfig({ adapter: { kind: 'lora' }, train: { epochs: 3, optimizer: 'adamw', weightDecay: 0.01, schedule: 'cosine', warmupSteps: 3 } });
  const full = await train(config);
  // Stop after step 10 (not an epoch boundary), keeping the checkpoint the loop writes on stop.
  let checkpoint: Checkpoint | undefined;
  let steps = 0;
  const first = await train(config, { onTrain: () => (steps += 1), shouldStop: () => steps >= 10, onCheckpoint: (c) => (checkpoint = c) });
  assert.equal(first.result.status, 'cancelled');
  assert.equal(checkpoint?.step, 10);
  const resumed = await train(config, {}, checkpoint);
  assert.equal(resumed.result.status, 'completed');
  assert.deepEqual(resumed.result.summary.final, full.result.summary.final);
  const lastTrain = (rs: MetricRecord[]) => rs.filter((r) => r.kind === 'train').at(-1)!;
  assert.equal(lastTrain(resumed.records).loss, lastTrain(full.records).loss);
  [full, first, resumed].forEach((x) => x.run.dispose());
});

test("adapter kind 'none' evaluates the base without training it", async () => {
  const { run, result, records } = await train(teacherConfig({ adapter: { kind: 'none' } }));
  assert.equal(result.steps, 0);
  assert.equal(result.status, 'completed');
  assert.deepEqual(
    records.map((r) => r.kind === 'eval' && r.split),
    ['val', 'test'],
  );
  assert.ok(result.summary.final.testAccuracy >= 0 && result.summary.final.testAccuracy <= 1);
  run.dispose();
});

test('a NaN loss stops the run with DivergedError naming the step, instead of training on', async () => {
  const config = teacherConfig({ train: { epochs: 2 } });
  const run = await prepareRun(specOf(config));
  // Poison one example: the batch that contains it has a NaN loss.
  const poisoned = run.dataset.train.x.slice();
  poisoned.fill(Number.NaN, 0, 16);
  const dataset = { ...run.dataset, train: { ...run.dataset.train, x: poisoned } };
  const position = Array.from(new Rng(config.seed, EPOCH_STREAM_BASE).permutation(dataset.train.count)).indexOf(0);
  const badStep = Math.floor(position / config.train.batchSize) + 1;
  let steps = 0;
  await assert.rejects(
    trainModel({ model: run.model, adapted: run.adapted, dataset, train: config.train, seed: config.seed, loss: run.loss }, { onTrain: () => (steps += 1) }),
    (err: unknown) => err instanceof DivergedError && err.step === badStep && err.message === `diverged: loss is NaN at step ${badStep}`,
  );
  assert.equal(steps, badStep - 1, 'no step after the bad batch');
  run.dispose();
});
