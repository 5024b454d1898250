import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../src/core/experiment/load';
import { ExperimentError } from '../../src/core/experiment/errors';
import { countRuns, expandSweep, MAX_RUNS } from '../../src/core/experiment/sweep';
import type { ExperimentConfig } from '../../src/core/experiment/types';

const FILE = 'sweep.symlora.json';
const base = {
  name: 'sw',
  model: { arch: 'mlp', inputDim: 32, hidden: [32, 32], classes: 4 },
  task: { dataset: 'teacher', trainSize: 500 },
  adapter: { kind: 'symlora', rank: 4 },
};

function errorOf(fn: () => unknown): ExperimentError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ExperimentError, String(error));
    return error;
  }
  assert.fail('expected an ExperimentError');
}

test('no sweep: one run with an empty sweep point and no sweep field', () => {
  const runs = expandSweep(parseExperiment(JSON.stringify(base), FILE), FILE);
  assert.equal(runs.length, 1);
  assert.deepEqual(runs[0].sweepPoint, {});
  assert.equal(runs[0].experiment, 'sw');
  assert.equal(runs[0].sourceFile, FILE);
  assert.equal(Object.hasOwn(runs[0].config, 'sweep'), false);
  assert.equal(runs[0].config.adapter.rank, 4);
});

test('the grid is the Cartesian product, keys in file order, the last varying fastest', () => {
  const sweep = { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [1, 2, 4, 8], seed: [0, 1, 2] };
  const config = parseExperiment(JSON.stringify({ ...base, sweep }), FILE);
  assert.equal(countRuns(config), 24);
  const runs = expandSweep(config, FILE);
  assert.equal(runs.length, 24);
  const expected: unknown[] = [];
  for (const kind of sweep['adapter.kind'])
    for (const rank of sweep['adapter.rank']) for (const seed of sweep.seed) expected.push({ 'adapter.kind': kind, 'adapter.rank': rank, seed });
  assert.deepEqual(
    runs.map((r) => r.sweepPoint),
    expected,
  );
  for (const run of runs) {
    assert.equal(run.config.adapter.kind, run.sweepPoint['adapter.kind']);
    assert.equal(run.config.adapter.rank, run.sweepPoint['adapter.rank']);
    assert.equal(run.config.seed, run.sweepPoint.seed);
  }
  // Key order is the file's, not alphabetical.
  const reordered = expandSweep(parseExperiment(JSON.stringify({ ...base, sweep: { seed: [0, 1], 'adapter.kind': ['lora', 'symlora'] } }), FILE));
  assert.deepEqual(
    reordered.map((r) => [r.sweepPoint.seed, r.sweepPoint['adapter.kind']]),
    [
      [0, 'lora'],
      [0, 'symlora'],
      [1, 'lora'],
      [1, 'symlora'],
    ],
  );
});

test('swept values act as if written in the file: derived defaults follow them', () => {
  const runs = expandSweep(parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter.rank': [2, 8], 'model.arch': ['mlp'] } }), FILE));
  assert.deepEqual(
    runs.map((r) => r.config.adapter.alpha),
    [2, 8],
  );
  const fixedAlpha = expandSweep(
    parseExperiment(JSON.stringify({ ...base, adapter: { kind: 'lora', rank: 4, alpha: 16 }, sweep: { 'adapter.rank': [2, 8] } }), FILE),
  );
  assert.deepEqual(
    fixedAlpha.map((r) => r.config.adapter.alpha),
    [16, 16],
  );
  const sizes = expandSweep(parseExperiment(JSON.stringify({ ...base, sweep: { 'task.trainSize': [100, 1000] } }), FILE));
  assert.deepEqual(
    sizes.map((r) => r.config.task.valSize),
    [10, 100],
  );
});

test('fields missing from the file, whole objects and the model can be swept', () => {
  const runs = expandSweep(
    parseExperiment(
      JSON.stringify({
        ...base,
        sweep: {
          'train.lr': [0.01, 0.001],
          'task.shift': [{ kind: 'symmetric' }, { kind: 'asymmetric', rank: 2 }],
          'model.hidden': [
            [64, 64],
            [32, 32],
          ],
        },
      }),
      FILE,
    ),
  );
  assert.equal(runs.length, 8);
  assert.deepEqual(runs[0].config.train.lr, 0.01);
  assert.equal(runs[0].config.train.epochs, 10);
  assert.deepEqual(runs[1].config.task.dataset === 'teacher' && runs[1].config.task.shift, { kind: 'symmetric', rank: 4, scale: 0.5, targets: ['hidden.*'] });
  assert.deepEqual(runs[3].config.task.dataset === 'teacher' && runs[3].config.task.shift.kind, 'asymmetric');
  assert.deepEqual(runs[1].config.model.arch === 'mlp' && runs[1].config.model.hidden, [32, 32]);
  // hidden.0 is 64×32 when hidden is [64, 64]: a symmetric shift defaults to the square layers only.
  assert.deepEqual(runs[0].config.task.dataset === 'teacher' && runs[0].config.task.shift.targets, ['hidden.1']);
  assert.deepEqual(runs[2].config.task.dataset === 'teacher' && runs[2].config.task.shift.targets, ['hidden.*']);
});

test('a config built in code (no source object) expands too', () => {
  const config = structuredClone(parseExperiment(JSON.stringify(base), FILE)) as ExperimentConfig;
  config.sweep = { seed: [3, 4] };
  const runs = expandSweep(config);
  assert.deepEqual(
    runs.map((r) => r.config.seed),
    [3, 4],
  );
  assert.equal(runs[0].sourceFile, undefined);
});

test('an unknown sweep key is an error at the key, naming the fields it could be', () => {
  const text = JSON.stringify({ ...base, sweep: { 'train.learningRate': [0.1] } }, null, 2);
  const error = errorOf(() => parseExperiment(text, FILE));
  assert.equal(error.issues.length, 1);
  assert.equal(error.issues[0].path, '/sweep/train.learningRate');
  assert.match(error.issues[0].message, /"train.learningRate" is not a field of this experiment: "learningRate" is not one of epochs, batchSize, lr/);
  assert.match(errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter.ranks': [1] } }), FILE)).message, /did you mean "rank"\?/);
  const line = text.split('\n').findIndex((l) => l.includes('"train.learningRate"')) + 1;
  assert.equal(error.issues[0].line, line);
  for (const key of ['name', 'sweep.seed', 'adapter.kind.x', 'model.heads']) {
    const bad = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { [key]: [1] } }), FILE));
    assert.equal(bad.issues[0].path, `/sweep/${key}`, key);
  }
  const syntax = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter..rank': [1] } }), FILE));
  assert.match(syntax.message, /\/sweep\/adapter\.\.rank: invalid key "adapter\.\.rank": must be a dotted path/);
});

test('overlapping keys and empty or oversized value lists are rejected', () => {
  const overlap = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { train: [{}], 'train.lr': [0.1] } }), FILE));
  assert.match(overlap.message, /"train.lr" lies inside "train"/);
  const empty = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { seed: [] } }), FILE));
  assert.match(empty.message, /\/sweep\/seed: must have at least 1 item/);
  const duplicate = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { seed: [1, 1] } }), FILE));
  assert.match(duplicate.message, /\/sweep\/seed: must not repeat a value/);
  const values = Array.from({ length: 1000 }, (_, i) => i);
  const huge = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { seed: values, 'train.warmupSteps': values.slice(0, 11) } }), FILE));
  assert.equal(huge.issues[0].path, '/sweep');
  assert.match(huge.issues[0].message, new RegExp(`expands to 11,000 runs; at most ${MAX_RUNS.toLocaleString('en-US')}`));
});

test('an invalid sweep value is reported at that value, naming the sweep point', () => {
  const text = JSON.stringify({ ...base, sweep: { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [4, 64, 0] } }, null, 2);
  const error = errorOf(() => parseExperiment(text, FILE));
  const paths = error.issues.map((i) => i.path);
  assert.deepEqual([...new Set(paths)], ['/sweep/adapter.rank/1', '/sweep/adapter.rank/2']);
  assert.match(error.issues[0].message, /^sweep point \{"adapter.kind":"lora","adapter.rank":64\}: \/adapter\/rank: rank 64 exceeds min\(out, in\)/);
  assert.ok(error.issues.some((i) => /"adapter.rank":0\}: \/adapter\/rank: must be ≥ 1 \(got 0\)/.test(i.message)));
  const lines = text.split('\n');
  const at64 = error.issues[0];
  assert.equal(lines[at64.line! - 1].slice(at64.column! - 1, at64.column! + 1), '64');
});

test('a point that fails only in combination points at the sweep', () => {
  const error = errorOf(() =>
    parseExperiment(
      JSON.stringify({
        ...base,
        adapter: { kind: 'lora', rank: 16 },
        sweep: {
          'model.hidden': [
            [32, 32],
            [8, 8],
          ],
        },
      }),
      FILE,
    ),
  );
  assert.equal(error.issues[0].path, '/sweep/model.hidden/1');
  const combo = errorOf(() =>
    parseExperiment(
      JSON.stringify({
        ...base,
        sweep: {
          'adapter.rank': [8, 16],
          'model.hidden': [
            [32, 32],
            [12, 12],
          ],
        },
      }),
      FILE,
    ),
  );
  assert.ok(combo.issues.every((i) => i.path.startsWith('/sweep')));
  assert.match(combo.message, /sweep point \{"adapter.rank":16,"model.hidden":\[12,12\]\}/);
});

test('expandSweep re-validates every point and throws ExperimentError naming it', () => {
  const config = structuredClone(parseExperiment(JSON.stringify(base), FILE)) as ExperimentConfig;
  config.sweep = { 'train.batchSize': [32, 100000] };
  const error = errorOf(() => expandSweep(config, 'code.json'));
  assert.match(error.message, /^code\.json \/sweep\/train.batchSize\/1: sweep point \{"train.batchSize":100000\}: \/train\/batchSize: must be ≤ 65536/);
});

test('a one-value sweep is validated too', () => {
  const error = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter.kind': ['wasm'] } }), FILE));
  assert.equal(error.issues[0].path, '/sweep/adapter.kind/0');
  assert.match(error.issues[0].message, /must be one of "lora", "symlora", "full", "head", "none" \(got "wasm"\)/);
});

test('independent keys are checked value by value, yet a bad value is still caught', () => {
  const seeds = Array.from({ length: 1000 }, (_, i) => i);
  const config = parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter.rank': [1, 2, 4, 8, 16], seed: seeds, 'train.lr': [0.1, 0.01] } }), FILE);
  assert.equal(countRuns(config), 10_000);
  const badLr = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { 'adapter.rank': [1, 2], seed: [0, 1], 'train.lr': [0.1, 20] } }), FILE));
  assert.deepEqual(
    badLr.issues.map((i) => i.path),
    ['/sweep/train.lr/1'],
  );
  const badSeed = errorOf(() => parseExperiment(JSON.stringify({ ...base, sweep: { seed: [0, -5], 'adapter.rank': [1, 64] } }), FILE));
  assert.deepEqual(badSeed.issues.map((i) => i.path).sort(), ['/sweep/adapter.rank/1', '/sweep/seed/1']);
});
