/**
 * The replication suite's experiment files (examples/paper) are valid and answer the question
 * they claim to: LoRA and SymLoRA at ranks 1–16 with ≥ 5 seeds (2–8 for USE-Lite, whose runs train
 * through a 7 M-weight encoder), on identical (square) layers, next to none/head/full baselines
 * filed under the same experiment name, on ≥ 3 real tasks.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadExperimentFileWithWarnings } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import type { ExperimentConfig } from '../../src/core/experiment/types';
import { linearLayout, matchesAny } from '../../src/core/models/layout';

const PAPER = join(__dirname, '..', '..', 'examples', 'paper');
const files = readdirSync(PAPER)
  .filter((f) => f.endsWith('.symlora.json'))
  .sort();
const mains = files.filter((f) => !f.endsWith('-baselines.symlora.json'));

/** Ranks each task sweeps: USE-Lite runs cost ~40 s of CPU each, so its task keeps the suite within minutes. */
function expectedRanks(config: ExperimentConfig): number[] {
  return config.model.arch === 'use-lite' ? [2, 4, 8] : [1, 2, 4, 8, 16];
}

function load(file: string): ExperimentConfig {
  const { config, warnings } = loadExperimentFileWithWarnings(join(PAPER, file));
  assert.deepEqual(warnings, [], `${file} validates without warnings`);
  return config;
}

describe('examples/paper', () => {
  it('every file validates and expands', () => {
    for (const file of files) assert.ok(expandSweep(load(file), file).length > 0, file);
  });

  it('each task sweeps lora and symlora over ranks 1–16 (USE-Lite: 2–8) with at least five seeds', () => {
    for (const file of mains) {
      const config = load(file);
      const { sweep } = config;
      assert.deepEqual([...(sweep['adapter.kind'] as string[])].sort(), ['lora', 'symlora'], file);
      assert.deepEqual(sweep['adapter.rank'], expectedRanks(config), file);
      assert.ok((sweep.seed as number[]).length >= 5, `${file}: at least five seeds`);
    }
  });

  it('each task has none/head/full baselines under the same experiment name and seeds', () => {
    for (const file of mains) {
      const main = load(file);
      const baselines = load(file.replace('.symlora.json', '-baselines.symlora.json'));
      assert.equal(baselines.name, main.name);
      assert.deepEqual([...(baselines.sweep['adapter.kind'] as string[])].sort(), ['full', 'head', 'none']);
      assert.deepEqual(baselines.sweep.seed, main.sweep.seed);
      const { sweep: _a, adapter: adapterA, ...restMain } = main;
      const { sweep: _b, adapter: adapterB, ...restBase } = baselines;
      assert.deepEqual({ ...restBase, description: '' }, { ...restMain, description: '' }, `${file}: the baselines share model, task and training`);
      assert.deepEqual(adapterB.targets, adapterA.targets);
    }
  });

  it('adapters target only square layers that fit the largest rank, so LoRA and SymLoRA adapt the same weights', () => {
    for (const file of mains) {
      const config = load(file);
      const targeted = linearLayout(config.model).filter((layer) => !layer.isHead && matchesAny(layer.name, config.adapter.targets));
      assert.ok(targeted.length > 0, `${file}: some layer is targeted`);
      for (const { name, shape } of targeted) {
        assert.equal(shape[0], shape[1], `${file}: ${name} is square`);
        const largest = Math.max(...expectedRanks(config));
        assert.ok(Math.min(...shape) >= largest, `${file}: ${name} fits rank ${largest}`);
      }
    }
  });

  it('covers at least three real datasets plus a symmetric and an antisymmetric teacher shift', () => {
    const tasks = mains.map(load).map((c) => c.task);
    const real = tasks.filter((t) => t.dataset !== 'teacher');
    assert.ok(real.length >= 3, `real tasks: ${real.map((t) => t.dataset).join(', ')}`);
    const shifts = tasks.flatMap((t) => (t.dataset === 'teacher' ? [t.shift.kind] : [])).sort();
    assert.deepEqual(shifts, ['antisymmetric', 'symmetric']);
  });
});
