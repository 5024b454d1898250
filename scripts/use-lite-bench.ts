/**
 * Training throughput of USE-Lite with adapters inside attention (issue 4): sentences per second
 * for one optimiser step (forward + backward + Adam) at batch 32 on real amazon sentences, and
 * for inference. CPU time is reported beside wall time: on a shared machine it is the figure that
 * does not depend on the load. Usage: node --import tsx scripts/use-lite-bench.ts [backend] [steps]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { loadDataset } from '../src/core/data/registry';
import type { AdapterConfig } from '../src/core/experiment/types';
import { applyAdapterPlan, buildModel } from '../src/core/models/build';
import { tokenizeDataset } from '../src/core/models/useLite';
import { Rng } from '../src/core/rng';
import { crossEntropy } from '../src/core/train/loss';
import { Adam } from '../src/core/train/optimizer';

const BATCH = 32;
const MAX_TOKENS = 128;
const ATTENTION = ['encoder.*.attn.q', 'encoder.*.attn.k', 'encoder.*.attn.v', 'encoder.1.attn.o'];

async function main(): Promise<void> {
  const backend = await initBackend(process.argv[2] ?? 'wasm');
  const steps = Number(process.argv[3] ?? 10);
  const task = { dataset: 'sentiment' as const, options: { domains: ['amazon'], features: 'text' }, trainSize: 320, valSize: 0, testSize: 320 };
  const data = await tokenizeDataset(await loadDataset(task, { seed: 0 }), MAX_TOKENS);
  const tokens = Array.from(data.train.x).filter((v) => v >= 0).length / data.train.count;
  console.log(
    `backend ${backend.name} (simd ${backend.simd ?? '-'}), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${tokens.toFixed(1)} tokens per sentence`,
  );
  for (const kind of ['lora', 'symlora'] as const) {
    for (const rank of [2, 8]) {
      const model = await buildModel({ arch: 'use-lite', classes: 2, maxTokens: MAX_TOKENS }, new Rng(0));
      const adapter: AdapterConfig = { kind, rank, alpha: 2 * rank, scaling: 'alpha/r', targets: ATTENTION, nonSquare: 'skip', init: 'zero', trainHead: true };
      const adapted = applyAdapterPlan(model, adapter, new Rng(0, 3));
      const optimizer = new Adam(adapted.trainable);
      const step = (i: number) => {
        const rows = (i * BATCH) % data.train.count;
        const x = tf.tensor2d(data.train.x.subarray(rows * MAX_TOKENS, (rows + BATCH) * MAX_TOKENS), [BATCH, MAX_TOKENS]);
        const y = tf.tensor1d(data.train.y.subarray(rows, rows + BATCH), 'int32');
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x), y), adapted.trainable);
        optimizer.apply(
          adapted.trainable.map((v) => grads[v.name]),
          1e-3,
        );
        value.dataSync();
        tf.dispose([x, y, value, ...Object.values(grads)]);
      };
      step(0); // warm-up: kernel compilation, first allocations
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 1; i <= steps; i++) step(i);
      const perStep = (performance.now() - t0) / steps;
      const cpu = process.cpuUsage(cpu0);
      const cpuPerStep = (cpu.user + cpu.system) / 1000 / steps;
      const t1 = performance.now();
      tf.tidy(() => model.forward(tf.tensor2d(data.test.x, [data.test.count, MAX_TOKENS])).dataSync());
      const inferMs = performance.now() - t1;
      const trainable = adapted.trainable.reduce((s, v) => s + v.size, 0);
      console.log(
        `${kind} r=${rank}: ${trainable} trainable, train step ${perStep.toFixed(0)} ms wall = ${((BATCH * 1000) / perStep).toFixed(0)} sentences/s ` +
          `(${cpuPerStep.toFixed(0)} ms CPU = ${((BATCH * 1000) / cpuPerStep).toFixed(0)} sentences per CPU-second); ` +
          `inference ${((data.test.count * 1000) / inferMs).toFixed(0)} sentences/s`,
      );
      optimizer.dispose();
      model.dispose();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
