import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeExperiment } from '../../src/core/experiment/load';
import { TEMPLATES, templateText } from '../../src/extension/templates';
import { paramLensTitle, summarizeExperiment } from '../../src/extension/experimentSummary';
import { restoredRunIds } from '../../src/extension/runData';

test('every New Experiment template is a valid experiment', () => {
  for (const template of TEMPLATES) {
    const analysis = analyzeExperiment(templateText(template), template.fileName);
    assert.deepEqual(analysis.errors, [], template.id);
    assert.ok(analysis.config, template.id);
    assert.match(template.fileName, /\.symlora\.json$/);
  }
});

test('the CodeLens counts runs and exact parameters per adapter kind and rank', () => {
  const text = JSON.stringify({
    name: 'lens',
    model: { arch: 'mlp', inputDim: 32, hidden: [32, 32], classes: 8 },
    task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric' } },
    adapter: { kind: 'lora', rank: 4, trainHead: false },
    sweep: { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [2, 4], seed: [1, 2, 3] },
  });
  const config = analyzeExperiment(text, 'lens.symlora.json').config!;
  const summary = summarizeExperiment(config);
  assert.equal(summary.runs, 12);
  const byLabel = Object.fromEntries(summary.params.map((line) => [line.label, line.trainable]));
  // Two 32×32 hidden layers: LoRA r·(out+in) each, SymLoRA n·r + r each; the head is frozen here.
  assert.deepEqual(byLabel, {
    'lora r2': [2 * 2 * 64, 2 * 2 * 64],
    'lora r4': [2 * 4 * 64, 2 * 4 * 64],
    'symlora r2': [2 * (32 * 2 + 2), 2 * (32 * 2 + 2)],
    'symlora r4': [2 * (32 * 4 + 4), 2 * (32 * 4 + 4)],
  });
  assert.equal(paramLensTitle(summary.params[0]), 'lora r2: 256 trainable params');
  assert.equal(paramLensTitle({ label: 'lora r4', adapter: [512, 512], trainable: [776, 776] }), 'lora r4: 512 adapter params (776 trainable with the head)');
});

test('a compare panel restores only valid run ids from webview state', () => {
  assert.deepEqual(restoredRunIds({ selected: ['a-1', '../etc', 'b.2', 7, ''] }), ['a-1', 'b.2']);
  assert.deepEqual(restoredRunIds({ runIds: ['x'] }), ['x']);
  assert.deepEqual(restoredRunIds(null), []);
  assert.deepEqual(restoredRunIds('selected'), []);
});
