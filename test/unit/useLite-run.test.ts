/**
 * The shipped use-lite examples end to end: they validate, expand to their 30-run sweeps, and one
 * (shrunk) run of each kind goes through prepareRun (tokenisation, exact parameter counts) and the
 * training loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadExperimentFile } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import type { RunSpec } from '../../src/core/experiment/types';
import { trainModel } from '../../src/core/train/loop';
import { prepareRun } from '../../src/core/train/session';
import { scratchDirs } from '../helpers/tmp';

const scratch = scratchDirs('symlora-uselite-run-');

const EXAMPLES = ['examples/use-lite-sentiment.symlora.json', 'examples/use-lite-spam.symlora.json'];

test('use-lite examples validate and sweep lora × symlora × ranks 2,4,8 × 5 seeds', () => {
  for (const file of EXAMPLES) {
    const config = loadExperimentFile(file);
    assert.equal(config.model.arch, 'use-lite', file);
    const runs = expandSweep(config, file);
    assert.equal(runs.length, 30, file);
    assert.deepEqual([...new Set(runs.map((r) => r.config.adapter.kind))].sort(), ['lora', 'symlora']);
    assert.deepEqual([...new Set(runs.map((r) => r.config.adapter.rank))].sort(), [2, 4, 8]);
  }
});

function shrink(run: RunSpec): RunSpec {
  const config = structuredClone(run.config);
  if (config.task.dataset === 'teacher') throw new Error('expected a dataset task');
  Object.assign(config.task, { trainSize: 24, valSize: 8, testSize: 16 });
  Object.assign(config.train, { epochs: 1, batchSize: 12, evalEvery: 0 });
  if (config.pretrain) {
    // The sentiment example pretrains its head on other domains first: a tiny source task will do here.
    Object.assign(config.pretrain.task, { trainSize: 24, valSize: 8, testSize: 8 });
    Object.assign(config.pretrain.train, { epochs: 1, batchSize: 12 });
  }
  config.backend = 'wasm';
  return { ...run, config };
}

test('one shrunk sentiment run per adapter kind: exact counts, token ids in, metrics out', async () => {
  const basesDir = scratch();
  const runs = expandSweep(loadExperimentFile(EXAMPLES[0]), EXAMPLES[0]).filter((r) => r.config.seed === 0 && r.config.adapter.rank === 2);
  assert.equal(runs.length, 2);
  for (const spec of runs) {
    const logs: string[] = [];
    const run = await prepareRun(shrink(spec), { basesDir, log: (m) => logs.push(m) });
    try {
      assert.deepEqual(run.dataset.inputShape, [128]);
      assert.equal(run.dataset.info.maxTokens, 128);
      const kind = spec.config.adapter.kind;
      const adapted = run.params.layers.filter((l) => l.adapter === kind).map((l) => l.layer);
      // SymLoRA skips layer 0's 256→512 output projection; LoRA takes it.
      const expected = [
        'encoder.0.attn.q',
        'encoder.0.attn.k',
        'encoder.0.attn.v',
        'encoder.1.attn.q',
        'encoder.1.attn.k',
        'encoder.1.attn.v',
        'encoder.1.attn.o',
      ];
      assert.deepEqual(adapted.sort(), (kind === 'lora' ? [...expected, 'encoder.0.attn.o'] : expected).sort());
      const result = await trainModel({
        model: run.model,
        adapted: run.adapted,
        dataset: run.dataset,
        train: run.config.train,
        seed: run.config.seed,
        loss: run.loss,
      });
      assert.equal(result.status, 'completed');
      assert.equal(result.steps, 2);
      assert.ok(result.summary.final.testAccuracy >= 0 && result.summary.final.testAccuracy <= 1);
    } finally {
      run.dispose();
    }
  }
});
