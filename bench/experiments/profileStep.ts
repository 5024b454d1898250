/** Which kernels a training step spends its time in (tf.profile, wasm kernels are synchronous). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { applyAdapterPlan, buildModel } from '../../src/core/models/build';
import { Rng } from '../../src/core/rng';
import { Adam } from '../../src/core/train/optimizer';
import { crossEntropy } from '../../src/core/train/loss';
import { adapterFor, WORKLOADS, type AdapterKind } from '../workloads';

async function main() {
  const [backend = 'wasm', wl = 'mlp', kind = 'lora'] = process.argv.slice(2);
  await initBackend(backend);
  const w = WORKLOADS.find((x) => x.name === wl)!;
  const model = await buildModel(w.model, new Rng(1, 1));
  const adapted = applyAdapterPlan(model, adapterFor(kind as AdapterKind, w), new Rng(1, 3));
  const opt = new Adam(adapted.trainable);
  const m = w.model as { inputDim: number; seqLen?: number; classes: number };
  const feat = m.inputDim * (m.seqLen ?? 1);
  const x = tf.randomNormal([w.batch, feat]) as tf.Tensor2D;
  const y = tf.tensor1d(
    Array.from({ length: w.batch }, (_, i) => i % m.classes),
    'int32',
  );
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), adapted.trainable);
      opt.apply(
        adapted.trainable.map((v) => grads[v.name]),
        1e-3,
      );
      return value.dataSync()[0];
    });
  for (let i = 0; i < 3; i++) step();
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = cpu();
    for (let i = 0; i < 5; i++) step();
    samples.push((cpu() - c0) / 5);
  }
  samples.sort((a, b) => a - b);
  console.log(`bare step cpu median ${samples[3].toFixed(1)} ms (min ${samples[0].toFixed(1)})`);
  const prof = await tf.profile(() => {
    step();
  });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const key = `${k.name} ${k.name.includes('MatMul') ? JSON.stringify(k.inputShapes) : ''}`;
    const e = by.get(key) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.n += 1;
    by.set(key, e);
  }
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, r) => s + r[1].ms, 0);
  console.log(`kernels: ${prof.kernels.length}, kernel ms total ${total.toFixed(1)}`);
  for (const [k, v] of rows.slice(0, 25)) console.log(v.ms.toFixed(2).padStart(8), String(v.n).padStart(4), k);
}
void main();
// Appended: CPU time per step of the bare step function (no loop overheads).
export async function bare(): Promise<void> {}
