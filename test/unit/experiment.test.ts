import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeExperiment, loadExperimentFile, parseExperiment, parseExperimentWithWarnings } from '../../src/core/experiment/load';
import { validateExperimentObject } from '../../src/core/experiment/validate';
import { ExperimentError } from '../../src/core/experiment/errors';
import { expandSweep } from '../../src/core/experiment/sweep';
import { linearLayout } from '../../src/core/models/layout';
import { schemaHash } from '../../src/core/experiment/generated/experimentValidator.cjs';

const FILE = 'examples/x.symlora.json';

const minimal = {
  name: 'min',
  model: { arch: 'mlp', inputDim: 64, classes: 10 },
  task: { dataset: 'teacher' },
  adapter: { kind: 'symlora' },
};

function errorOf(fn: () => unknown): ExperimentError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ExperimentError, `expected ExperimentError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an ExperimentError');
}

/** 1-based line:column of the n-th occurrence of `needle` in `text`, computed independently of the parser. */
function positionOf(text: string, needle: string, shift = 0): string {
  const found = text.indexOf(needle);
  assert.ok(found >= 0, `${needle} not in text`);
  const index = found + shift;
  const before = text.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

test('the precompiled validator was generated from the schema as it is now', () => {
  const current = createHash('sha256').update(readFileSync('schemas/experiment.schema.json')).digest('hex');
  assert.equal(
    schemaHash,
    current,
    'schemas/experiment.schema.json changed since the validator was generated: run `npm run build` (or node scripts/gen-validator.mjs)',
  );
});

test('a minimal file gets every default, matching ExperimentConfig', () => {
  const config = parseExperiment(JSON.stringify(minimal), FILE);
  assert.deepEqual(config, {
    name: 'min',
    description: '',
    model: { arch: 'mlp', inputDim: 64, hidden: [64, 64], classes: 10, activation: 'relu' },
    task: {
      dataset: 'teacher',
      shift: { rank: 4, kind: 'symmetric', scale: 0.5, targets: ['hidden.*'] },
      labels: 'class',
      trainSize: 2000,
      valSize: 200,
      testSize: 1000,
    },
    adapter: { kind: 'symlora', rank: 4, alpha: 4, scaling: 'alpha/r', targets: ['hidden.*'], nonSquare: 'skip', init: 'zero', trainHead: true },
    train: {
      epochs: 10,
      batchSize: 64,
      lr: 0.001,
      optimizer: 'adam',
      weightDecay: 0,
      schedule: 'constant',
      warmupSteps: 0,
      evalEvery: 0,
      spectrumEvery: 0,
      checkpointEvery: 0,
      gradClip: 0,
    },
    seed: 0,
    backend: 'auto',
    sweep: {},
  });
});

test('derived defaults follow the fields they depend on', () => {
  const config = parseExperiment(
    JSON.stringify({
      $schema: './schemas/experiment.schema.json',
      name: 't',
      model: { arch: 'transformer', inputDim: 8, seqLen: 4, dModel: 32, classes: 3 },
      task: { dataset: 'teacher', trainSize: 555, shift: { kind: 'asymmetric' } },
      adapter: { kind: 'lora', rank: 8 },
    }),
    FILE,
  );
  assert.equal(Object.hasOwn(config, '$schema'), false);
  assert.equal(config.adapter.alpha, 8);
  assert.deepEqual(config.adapter.targets, ['encoder.*.attn.*']);
  assert.equal(config.model.arch === 'transformer' && config.model.ffnDim, 128);
  assert.equal(config.model.arch === 'transformer' && config.model.heads, 4);
  assert.equal(config.task.valSize, 56);
  assert.deepEqual(config.task.dataset === 'teacher' && config.task.shift.targets, ['encoder.*.attn.*']);
});

test('dataset tasks get their options defaults; pretrain gets a full recipe', () => {
  const config = parseExperiment(
    JSON.stringify({
      name: 'digits-from-mnist',
      model: { arch: 'mlp', inputDim: 784, hidden: [128, 128], classes: 10 },
      pretrain: { task: { dataset: 'mnist', trainSize: 5000 } },
      task: { dataset: 'digits', options: { imageSize: 28 } },
      adapter: { kind: 'lora', rank: 4, targets: ['hidden.1'] },
    }),
    FILE,
  );
  const allDigits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.deepEqual(config.task, { dataset: 'digits', options: { imageSize: 28, classes: allDigits }, trainSize: 1000, valSize: 100, testSize: 500 });
  assert.deepEqual(config.pretrain?.task, { dataset: 'mnist', options: { imageSize: 28, classes: allDigits }, trainSize: 5000, valSize: 500, testSize: 1000 });
  assert.equal(config.pretrain?.seed, 0);
  assert.equal(config.pretrain?.train.optimizer, 'adam');
  const sentiment = parseExperiment(
    JSON.stringify({ name: 's', model: { arch: 'mlp', inputDim: 2000, classes: 2 }, task: { dataset: 'sentiment' }, adapter: { kind: 'head' } }),
    FILE,
  );
  assert.deepEqual(sentiment.task.dataset === 'sentiment' && sentiment.task.options, { domains: ['amazon', 'imdb', 'yelp'], features: 'bow', vocabSize: 2000 });
});

test('filling defaults is idempotent: a filled config re-validates to itself', () => {
  for (const file of exampleFiles()) {
    const config = loadExperimentFile(file);
    const again = validateExperimentObject(JSON.parse(JSON.stringify(config)), file);
    assert.deepEqual(again, config, file);
  }
});

test('a wrong value is reported as file:line:col /json/path: message', () => {
  const text = JSON.stringify({ ...minimal, adapter: { kind: 'lora', rank: 0 } }, null, 2);
  const error = errorOf(() => parseExperiment(text, FILE));
  assert.equal(error.message, `${FILE}:${positionOf(text, '"rank": 0', 8)} /adapter/rank: must be ≥ 1 (got 0)`);
  assert.deepEqual(
    error.issues.map((i) => i.path),
    ['/adapter/rank'],
  );
});

test('unknown keys are rejected everywhere, pointing at the key and listing the allowed ones', () => {
  const cases: [object, string, string][] = [
    [{ ...minimal, extra: 1 }, '/extra', '"extra"'],
    [{ ...minimal, adapter: { kind: 'lora', ranks: 4 } }, '/adapter/ranks', '"ranks"'],
    [{ ...minimal, model: { ...minimal.model, command: 'rm -rf /' } }, '/model/command', '"command"'],
    [{ ...minimal, task: { dataset: 'mnist', options: { module: 'child_process' } } }, '/task/options/module', '"module"'],
    [{ ...minimal, train: { lr: 0.1, executable: '/bin/sh' } }, '/train/executable', '"executable"'],
  ];
  for (const [object, path, key] of cases) {
    const text = JSON.stringify(object, null, 2);
    const error = errorOf(() => parseExperiment(text, FILE));
    const issue = error.issues.find((i) => i.path === path);
    assert.ok(issue, `${path} in ${error.message}`);
    assert.match(issue.message, /^unknown property ".*"(; did you mean ".*"\?)? \(allowed: /);
    assert.equal(`${issue.line}:${issue.column}`, positionOf(text, key));
  }
  assert.match(
    errorOf(() => parseExperiment(JSON.stringify({ ...minimal, adapter: { kind: 'lora', ranks: 4 } }), FILE)).message,
    /unknown property "ranks"; did you mean "rank"\? \(allowed: kind, rank, alpha/,
  );
  assert.match(
    errorOf(() => parseExperiment(JSON.stringify({ ...minimal, adapter: { kind: 'LoRA' } }), FILE)).message,
    /\(got "LoRA"\); did you mean "lora"\?$/,
  );
  assert.doesNotMatch(errorOf(() => parseExperiment(JSON.stringify({ ...minimal, zzzzzz: 1 }), FILE)).message, /did you mean/);
});

test('a wrong discriminator says which values are allowed, once', () => {
  const text = JSON.stringify({ ...minimal, model: { arch: 'cnn', inputDim: 3 } }, null, 2);
  const error = errorOf(() => parseExperiment(text, FILE));
  assert.equal(error.issues.length, 1);
  assert.equal(error.message, `${FILE}:${positionOf(text, '"cnn"')} /model/arch: must be one of "mlp", "transformer", "use-lite" (got "cnn")`);
  const task = errorOf(() => parseExperiment(JSON.stringify({ ...minimal, task: { dataset: 'cifar' } }), FILE));
  assert.match(
    task.message,
    /\/task\/dataset: must be one of "teacher", "mnist", "digits", "fashion-mnist", "sentiment", "spam", "csv", "jsonl" \(got "cifar"\)/,
  );
  const missing = errorOf(() => parseExperiment(JSON.stringify({ ...minimal, model: { inputDim: 3 } }), FILE));
  assert.deepEqual(
    missing.issues.map((i) => [i.path, i.message]),
    [['/model/arch', 'missing required property "arch"']],
  );
});

test('errors inside a discriminated branch name the field and the expectation', () => {
  const text = JSON.stringify({ ...minimal, task: { dataset: 'sentiment', options: { domains: [], features: 'tfidf' } } }, null, 2);
  const error = errorOf(() => parseExperiment(text, FILE));
  const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
  assert.equal(byPath['/task/options/domains'], 'must have at least 1 item (got 0)');
  assert.equal(byPath['/task/options/features'], 'must be one of "bow", "text" (got "tfidf")');
  const csv = errorOf(() => parseExperiment(JSON.stringify({ ...minimal, task: { dataset: 'csv', options: { file: 'a\u0000b', labelColumn: 'y' } } }), FILE));
  assert.match(csv.message, /\/task\/options\/file: must not contain NUL characters/);
  const nameError = errorOf(() => parseExperiment(JSON.stringify({ ...minimal, name: '../../etc' }), FILE));
  assert.match(nameError.message, /\/name: must start with a letter or digit/);
});

test('numbers: huge values are rejected where they make no sense, with the limit', () => {
  const cases: [object, string, RegExp][] = [
    [{ ...minimal, train: { epochs: 1e308 } }, '/train/epochs', /must be ≤ 10000 \(got 1e\+308\)/],
    [{ ...minimal, train: { batchSize: 70000 } }, '/train/batchSize', /must be ≤ 65536/],
    [{ ...minimal, task: { dataset: 'teacher', trainSize: 2e7 } }, '/task/trainSize', /must be ≤ 10000000/],
    [{ ...minimal, train: { lr: 0 } }, '/train/lr', /must be > 0 \(got 0\)/],
    [{ ...minimal, train: { lr: 11 } }, '/train/lr', /must be ≤ 10 \(got 11\)/],
    [{ ...minimal, adapter: { kind: 'lora', rank: 5000 } }, '/adapter/rank', /must be ≤ 4096/],
    [{ ...minimal, adapter: { kind: 'lora', rank: 2.5 } }, '/adapter/rank', /must be an integer \(got 2.5\)/],
    [{ ...minimal, seed: -1 }, '/seed', /must be ≥ 0/],
    [{ ...minimal, model: { ...minimal.model, hidden: [64, 0] } }, '/model/hidden/1', /must be ≥ 1 \(got 0\)/],
  ];
  for (const [object, path, message] of cases) {
    const error = errorOf(() => parseExperiment(JSON.stringify(object), FILE));
    const issue = error.issues.find((i) => i.path === path);
    assert.ok(issue, `${path} in ${error.message}`);
    assert.match(issue.message, message);
  }
});

test('JSON syntax errors get file:line:col and the JSON path being parsed', () => {
  const cases: [string, string, RegExp][] = [
    ['{\n  "name": "x",\n  "seed": NaN\n}', '3:11', /\/seed: invalid JSON: JSON has no NaN/],
    ['{\n  "name": "x",\n  "seed": -Infinity\n}', '3:11', /JSON has no Infinity/],
    ['{\n  "name": "x",\n}', '3:1', /trailing commas are not allowed/],
    ['{\n  // comment\n  "name": "x"\n}', '2:3', /comments are not allowed/],
    ['{\n  "model": { "arch": "mlp", "hidden": [64, ', '2:44', /\/model\/hidden\/1: invalid JSON: expected a value \(the file ends too early\)/],
    ['', '1:1', /the file is empty/],
    ["{'name': 'x'}", '1:2', /double quotes/],
    ['{"name": "x"} {}', '1:15', /unexpected content after the end/],
    ['{"seed": 1e999}', '1:10', /\/seed: number out of range/],
    ['{"name": "a", "name": "b"}', '1:15', /\/name: duplicate key "name"/],
  ];
  for (const [text, where, message] of cases) {
    const error = errorOf(() => parseExperiment(text, FILE));
    assert.ok(error.message.startsWith(`${FILE}:${where} `), `${JSON.stringify(text)} → ${error.message}`);
    assert.match(error.message, message);
    assert.ok(error.issues.every((i) => typeof i.path === 'string' && i.line !== undefined));
  }
});

test('a "__proto__" key is an unknown key, not a prototype', () => {
  const text =
    '{"name": "p", "__proto__": {"polluted": true}, "model": {"arch": "mlp", "inputDim": 4, "classes": 2}, "task": {"dataset": "teacher"}, "adapter": {"kind": "lora"}}';
  const error = errorOf(() => parseExperiment(text, FILE));
  assert.deepEqual(
    error.issues.map((i) => i.path),
    ['/__proto__'],
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('deep nesting is rejected with a path, without exhausting the stack', () => {
  for (const depth of [1000, 200_000]) {
    const text = `{"name": "d", "sweep": {"seed": ${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const error = errorOf(() => parseExperiment(text, FILE));
    assert.match(error.issues[0].path, /^\/sweep\/seed(\/0)+$/);
    assert.match(error.issues[0].message, /nested deeper than 64 levels/);
  }
  let deep: unknown = 1;
  for (let i = 0; i < 1000; i++) deep = { a: deep };
  const error = errorOf(() => validateExperimentObject({ ...minimal, description: deep }, FILE));
  assert.match(error.message, /\/description(\/a)+: nested deeper than 64 levels/);
});

test('objects built in code: NaN, Infinity and non-JSON values are rejected by path', () => {
  const error = errorOf(() => validateExperimentObject({ ...minimal, train: { lr: Number.NaN }, seed: Infinity }, 'code'));
  assert.deepEqual(
    error.issues.map((i) => [i.path, i.message]),
    [
      ['/train/lr', 'must be a finite number (got NaN)'],
      ['/seed', 'must be a finite number (got Infinity)'],
    ],
  );
  assert.match(errorOf(() => validateExperimentObject({ ...minimal, name: () => 1 }, 'code')).message, /\/name: must be a JSON value \(got function\)/);
  assert.match(errorOf(() => validateExperimentObject('text', 'code')).message, /\(document\): must be an object/);
});

test('loadExperimentFile reads a file, and a missing file is an ExperimentError too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symlora-exp-'));
  const path = join(dir, 'ok.symlora.json');
  writeFileSync(path, JSON.stringify(minimal));
  assert.equal(loadExperimentFile(path).adapter.kind, 'symlora');
  const missing = errorOf(() => loadExperimentFile(join(dir, 'nope.symlora.json')));
  assert.match(missing.message, /nope\.symlora\.json \(document\): cannot read the file: ENOENT/);
  writeFileSync(path, ' '.repeat(1_000_001));
  assert.match(errorOf(() => loadExperimentFile(path)).message, /at most 1000000/);
});

test('analyzeExperiment returns errors with offsets in source order and never throws', () => {
  const text = JSON.stringify({ ...minimal, seed: 'x', adapter: { kind: 'lora', rank: 0 } }, null, 2);
  const { config, errors } = analyzeExperiment(text);
  assert.equal(config, undefined);
  assert.deepEqual(
    errors.map((i) => i.path),
    ['/adapter/rank', '/seed'],
  );
  for (const issue of errors) assert.ok(issue.offset !== undefined && issue.length! >= 1);
  assert.equal(text.slice(errors[1].offset, errors[1].offset! + errors[1].length!), '"x"');
});

function exampleFiles(): string[] {
  return readdirSync('examples')
    .filter((f) => f.endsWith('.symlora.json'))
    .map((f) => join('examples', f));
}

test('every example validates and expands; the teacher examples without warnings', () => {
  const files = exampleFiles();
  assert.ok(files.length >= 3);
  for (const file of files) {
    const { config, warnings } = parseExperimentWithWarnings(readFileSync(file, 'utf8'), file);
    if (config.task.dataset === 'teacher') assert.deepEqual(warnings, [], file);
    assert.ok(expandSweep(config, file).length >= 1);
  }
});

test('the teacher examples are what their names promise', () => {
  const quick = loadExperimentFile('examples/quickstart.symlora.json');
  const runs = expandSweep(quick);
  assert.ok(runs.length <= 2);
  // Rough cost: 6 FLOP per weight per example (forward + backward), at ~2 GFLOP/s on wasm.
  for (const { config } of runs) {
    const weights = linearLayout(config.model).reduce((s, l) => s + l.shape[0] * l.shape[1], 0);
    const seconds = (6 * weights * config.task.trainSize * config.train.epochs) / 2e9;
    assert.ok(seconds < 5, `quickstart run needs ~${seconds.toFixed(1)} s of compute`);
  }
  const symmetric = loadExperimentFile('examples/teacher-symmetric.symlora.json');
  assert.deepEqual(symmetric.sweep, { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [1, 2, 4, 8], seed: [0, 1, 2] });
  assert.equal(symmetric.task.dataset === 'teacher' && symmetric.task.shift.kind, 'symmetric');
  const anti = loadExperimentFile('examples/teacher-antisymmetric.symlora.json');
  assert.equal(anti.task.dataset === 'teacher' && anti.task.shift.kind, 'antisymmetric');
  assert.deepEqual(anti.sweep['adapter.kind'], ['lora', 'symlora']);
});
