import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeExperiment, parseExperimentWithWarnings } from '../../src/core/experiment/load';
import { checkConfig } from '../../src/core/experiment/semantic';
import { validateExperimentObject } from '../../src/core/experiment/validate';

const mlp = { arch: 'mlp', inputDim: 32, hidden: [32, 32], classes: 4 };
const base = { name: 'sem', model: mlp, task: { dataset: 'teacher', trainSize: 500 }, adapter: { kind: 'lora', rank: 4 } };

/** Semantic errors of an object that passes the schema. */
function errorsOf(object: object): { path: string; message: string }[] {
  return checkConfig(validateExperimentObject(object, 'x')).errors.map(({ path, message }) => ({ path, message }));
}

function warningsOf(object: object) {
  return checkConfig(validateExperimentObject(object, 'x')).warnings;
}

test('the valid base has no semantic issue', () => {
  assert.deepEqual(checkConfig(validateExperimentObject(base, 'x')), { errors: [], warnings: [] });
});

test('a target pattern that matches no adaptable layer names the pattern and lists the layers', () => {
  const errors = errorsOf({
    ...base,
    adapter: { kind: 'lora', targets: ['hidden.1', 'encoder.*', 'head'] },
    task: { dataset: 'teacher', shift: { targets: ['hidden.1'] } },
  });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['/adapter/targets/1', '/adapter/targets/2'],
  );
  assert.equal(errors[0].message, 'pattern "encoder.*" matches no adaptable layer; layers: hidden.0 [32×32], hidden.1 [32×32]');
  assert.match(errors[1].message, /pattern "head" matches no adaptable layer \(the head is never adapted; see adapter.trainHead\)/);
  // Baselines that adapt no layer ignore targets.
  assert.deepEqual(errorsOf({ ...base, adapter: { kind: 'full', targets: ['nothing'] }, task: { dataset: 'teacher', shift: { targets: ['hidden.*'] } } }), []);
});

test('rank must fit every adapted layer', () => {
  const errors = errorsOf({
    ...base,
    model: { ...mlp, hidden: [32, 16] },
    adapter: { kind: 'lora', rank: 20 },
    task: { dataset: 'teacher', shift: { kind: 'asymmetric' } },
  });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['/adapter/rank'],
  );
  assert.equal(errors[0].message, 'rank 20 exceeds min(out, in) of hidden.1 [16×32]; the largest rank that fits every adapted layer is 16');
});

test('symlora: non-square targets are skipped with a warning, or adapted with LoRA on request', () => {
  const model = { ...mlp, inputDim: 64 };
  const warnings = warningsOf({ ...base, model, adapter: { kind: 'symlora', rank: 4 } });
  assert.deepEqual(
    warnings.map((w) => [w.path, w.severity]),
    [['/adapter/nonSquare', 'warning']],
  );
  assert.match(warnings[0].message, /symlora skips non-square targets hidden.0 \[32×64\]/);
  assert.deepEqual(warningsOf({ ...base, model, adapter: { kind: 'symlora', nonSquare: 'lora' } }), []);
  // With the LoRA fallback the rank must fit the non-square layers too.
  const narrow = { ...mlp, inputDim: 8 };
  assert.deepEqual(errorsOf({ ...base, model: narrow, adapter: { kind: 'symlora', rank: 16, nonSquare: 'skip' } }), []);
  assert.match(
    errorsOf({ ...base, model: narrow, adapter: { kind: 'symlora', rank: 16, nonSquare: 'lora' } })[0].message,
    /rank 16 exceeds min\(out, in\) of hidden.0 \[32×8\]/,
  );
  const none = errorsOf({ ...base, model, adapter: { kind: 'symlora', targets: ['hidden.0'] }, task: { dataset: 'teacher', shift: { kind: 'asymmetric' } } });
  assert.deepEqual(
    none.map((e) => e.path),
    ['/adapter/targets'],
  );
  assert.match(none[0].message, /symlora needs square layers but every target is non-square: hidden.0 \[32×64\]/);
});

test('transformer: dModel must be divisible by heads; targets see the encoder layers', () => {
  const transformer = { arch: 'transformer', inputDim: 8, seqLen: 4, dModel: 30, heads: 4, classes: 3 };
  const errors = errorsOf({ ...base, model: transformer });
  assert.deepEqual(errors, [{ path: '/model/heads', message: 'dModel (30) must be divisible by heads (4)' }]);
  const bad = errorsOf({
    ...base,
    model: { ...transformer, dModel: 32 },
    adapter: { kind: 'lora', targets: ['hidden.*'] },
    task: { dataset: 'teacher', shift: { targets: ['encoder.0.attn.q'] } },
  });
  assert.match(bad[0].message, /pattern "hidden.\*" matches no adaptable layer; layers: embed \[32×8\], encoder.0.attn.q \[32×32\]/);
});

test('batchSize larger than the training set is an error; warm-up longer than training a warning', () => {
  assert.deepEqual(errorsOf({ ...base, train: { batchSize: 501 } }), [
    { path: '/train/batchSize', message: 'batchSize 501 is larger than the training set (trainSize 500)' },
  ]);
  assert.deepEqual(
    warningsOf({ ...base, train: { epochs: 1, batchSize: 100, warmupSteps: 6 } }).map((w) => w.path),
    ['/train/warmupSteps'],
  );
});

test('teacher task: shift rank, square layers for symmetric shifts, no use-lite', () => {
  const rank = errorsOf({ ...base, task: { dataset: 'teacher', shift: { kind: 'antisymmetric', rank: 17 } } });
  assert.deepEqual(
    rank.map((e) => e.path),
    ['/task/shift/rank'],
  );
  assert.match(rank[0].message, /shift rank 17 exceeds min\(out, in\) \/ 2/);
  assert.deepEqual(errorsOf({ ...base, task: { dataset: 'teacher', shift: { kind: 'antisymmetric', rank: 16 } } }), []);
  const square = errorsOf({ ...base, model: { ...mlp, inputDim: 64 }, task: { dataset: 'teacher', shift: { kind: 'symmetric', targets: ['hidden.*'] } } });
  assert.deepEqual(
    square.map((e) => e.path),
    ['/task/shift/kind'],
  );
  assert.match(square[0].message, /a symmetric shift needs square layers; non-square shifted layers: hidden.0 \[32×64\]/);
  const useLite = errorsOf({ ...base, model: { arch: 'use-lite', classes: 2 }, adapter: { kind: 'lora' } });
  assert.match(useLite[0].message, /the teacher task needs a randomly initialised base/);
});

test('datasets: the model must take what the data gives', () => {
  const mnist = errorsOf({ ...base, model: { ...mlp, classes: 10 }, task: { dataset: 'mnist', options: { imageSize: 14 } } });
  assert.deepEqual(mnist, [
    { path: '/model/inputDim', message: 'mnist at imageSize 14 gives 196 features per example, but the model takes 32; set model.inputDim to 196' },
  ]);
  assert.deepEqual(
    errorsOf({ ...base, model: { ...mlp, inputDim: 64, classes: 10 }, task: { dataset: 'digits' }, adapter: { kind: 'lora', targets: ['hidden.1'] } }),
    [],
  );
  const classes = errorsOf({ ...base, model: { ...mlp, inputDim: 64 }, task: { dataset: 'digits' }, adapter: { kind: 'lora', targets: ['hidden.1'] } });
  assert.deepEqual(classes, [{ path: '/model/classes', message: 'digits has 10 classes but the model outputs 4' }]);
  const subset = errorsOf({
    ...base,
    model: { ...mlp, inputDim: 64, classes: 2 },
    task: { dataset: 'digits', options: { classes: [3, 5] } },
    adapter: { kind: 'lora', targets: ['hidden.1'] },
  });
  assert.deepEqual(subset, []);
  const transformer = { arch: 'transformer', inputDim: 28, seqLen: 28, dModel: 32, classes: 10 };
  assert.deepEqual(errorsOf({ ...base, model: transformer, task: { dataset: 'mnist' } }), []);
  const text = errorsOf({ ...base, task: { dataset: 'sentiment', options: { features: 'text' } } });
  assert.match(text[0].message, /features "text" needs arch "use-lite"/);
  const bow = errorsOf({ ...base, model: { arch: 'use-lite', classes: 2 }, task: { dataset: 'spam' } });
  assert.match(bow[0].message, /arch "use-lite" reads raw text, but task "spam" gives numeric features/);
  assert.deepEqual(errorsOf({ ...base, model: { arch: 'use-lite', classes: 2 }, task: { dataset: 'spam', options: { features: 'text' } } }), []);
  const csv = errorsOf({ ...base, task: { dataset: 'csv', options: { file: 'a.csv', labelColumn: 'y', featureColumns: ['a', 'b'] } } });
  assert.match(csv[0].message, /2 featureColumns give as many features per example, but the model takes 32/);
});

test('datasets: train + val + test must fit the dataset', () => {
  const digits = errorsOf({ ...base, model: { ...mlp, inputDim: 64, classes: 10 }, task: { dataset: 'digits', trainSize: 1700 } });
  assert.deepEqual(
    digits.map((e) => e.path),
    ['/task/trainSize'],
  );
  assert.match(digits[0].message, /digits has 1,797 examples with these options, but trainSize \+ valSize \+ testSize = 2,370/);
  const oneDomain = errorsOf({
    ...base,
    model: { ...mlp, inputDim: 2000, classes: 2 },
    task: { dataset: 'sentiment', options: { domains: ['imdb'] }, trainSize: 800 },
  });
  assert.match(oneDomain[0].message, /sentiment has 1,000 examples/);
});

test('pretrain is checked like the main task', () => {
  const errors = errorsOf({ ...base, model: { ...mlp, classes: 10 }, pretrain: { task: { dataset: 'mnist', trainSize: 100 }, train: { batchSize: 128 } } });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['/model/inputDim', '/pretrain/train/batchSize'],
  );
});

test('semantic issues get line:column; warnings do not block', () => {
  const text = JSON.stringify({ ...base, model: { ...mlp, inputDim: 64 }, adapter: { kind: 'symlora', targets: ['hidden.*', 'nope'] } }, null, 2);
  const { errors, warnings } = analyzeExperiment(text);
  assert.deepEqual(
    errors.map((e) => e.path),
    ['/adapter/targets/1'],
  );
  assert.equal(text.slice(errors[0].offset, errors[0].offset! + errors[0].length!), '"nope"');
  assert.equal(warnings[0].path, '/adapter/nonSquare');
  const ok = JSON.stringify({ ...base, model: { ...mlp, inputDim: 64 }, adapter: { kind: 'symlora' } });
  assert.equal(parseExperimentWithWarnings(ok, 'x').warnings.length, 1);
});
