/**
 * Fuzz of the experiment-file validator: thousands of mutated files (wrong types, missing fields,
 * huge numbers, deep nesting, unknown keys, long strings, NaN/Infinity as text, truncation, random
 * bytes). Each must either validate — and then survive a re-validation of its defaults-filled form
 * and a sweep expansion — or throw ExperimentError whose issues carry JSON pointers and positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/core/experiment/load';
import { validateExperimentObject } from '../../src/core/experiment/validate';
import { ExperimentError } from '../../src/core/experiment/errors';
import { countRuns, expandSweep } from '../../src/core/experiment/sweep';
import { pick, Rng } from '../helpers/random';

const TEXT_CASES = 10_000;
const OBJECT_CASES = 2_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const mlp = { arch: 'mlp', inputDim: 64, hidden: [64, 64], classes: 10 };
const seeds: Json[] = [
  ...readdirSync('examples')
    .filter((f) => f.endsWith('.symlora.json'))
    .map((f) => JSON.parse(readFileSync(join('examples', f), 'utf8')) as Json),
  { name: 'tiny', model: mlp, task: { dataset: 'teacher', trainSize: 300 }, adapter: { kind: 'symlora', rank: 2 }, sweep: { seed: [0, 1] } },
  {
    name: 'tr',
    model: { arch: 'transformer', inputDim: 8, seqLen: 8, dModel: 16, heads: 2, layers: 1, classes: 4 },
    task: { dataset: 'teacher' },
    adapter: { kind: 'lora', rank: 2 },
  },
  {
    name: 'mn',
    model: { ...mlp, inputDim: 196 },
    task: { dataset: 'mnist', options: { imageSize: 14, classes: [1, 7] } },
    adapter: { kind: 'lora', targets: ['hidden.1'] },
  },
  {
    name: 'se',
    model: { arch: 'use-lite', classes: 2 },
    task: { dataset: 'sentiment', options: { domains: ['imdb'], features: 'text' }, trainSize: 500 },
    adapter: { kind: 'symlora' },
  },
  {
    name: 'cs',
    model: { ...mlp, inputDim: 3 },
    task: { dataset: 'csv', options: { file: 'd.csv', labelColumn: 'y', featureColumns: ['a', 'b', 'c'] } },
    adapter: { kind: 'head' },
  },
  {
    name: 'pt',
    model: { ...mlp, inputDim: 784 },
    pretrain: { task: { dataset: 'mnist' } },
    task: { dataset: 'fashion-mnist', trainSize: 1000 },
    adapter: { kind: 'lora', targets: ['hidden.1'] },
    train: { schedule: 'cosine', warmupSteps: 10 },
  },
];

const KEYS = [
  'name',
  'model',
  'arch',
  'inputDim',
  'hidden',
  'classes',
  'task',
  'dataset',
  'options',
  'shift',
  'rank',
  'kind',
  'adapter',
  'targets',
  'alpha',
  'train',
  'lr',
  'epochs',
  'batchSize',
  'seed',
  'sweep',
  'adapter.rank',
  'seed',
  'train.lr',
  '__proto__',
  'constructor',
  'x'.repeat(300),
  '',
];
const WORDS = [
  'lora',
  'symlora',
  'full',
  'head',
  'none',
  'mlp',
  'transformer',
  'use-lite',
  'teacher',
  'mnist',
  'digits',
  'csv',
  'symmetric',
  'antisymmetric',
  'hidden.*',
  'encoder.*.attn.*',
  'head',
  'auto',
  'wasm',
  'cosine',
  'adamw',
  '../../etc/passwd',
  '\u0000',
  '',
  'é☃𝄞',
  'a'.repeat(20_000),
];
const NUMBERS = [0, -1, 1, 2, 4, 8, 64, 0.5, 1e-300, 65536, 65537, 4096, 4097, 10_000, 1e7, 2 ** 31, 2 ** 53, 1e308, -1e308, 5e-324];

class Mutator {
  constructor(readonly rng: Rng) {}

  int(n: number): number {
    return this.rng.int(n);
  }

  pick<T>(items: readonly T[]): T {
    return pick(this.rng, items);
  }

  value(depth = 0): Json {
    const r = this.int(depth > 2 ? 4 : 7);
    if (r === 0) return this.pick(NUMBERS);
    if (r === 1) return this.pick(WORDS);
    if (r === 2) return this.pick([true, false, null]);
    if (r === 3) return this.int(100) - 10;
    if (r === 4) return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
    if (r === 5) return Object.fromEntries(Array.from({ length: this.int(3) }, () => [this.pick(KEYS), this.value(depth + 1)]));
    return this.deep(900 + this.int(200));
  }

  deep(levels: number): Json {
    let v: Json = 1;
    for (let i = 0; i < levels; i++) v = this.rng.next() < 0.5 ? [v] : { a: v };
    return v;
  }

  /** Every container path in the document, to aim mutations at any depth. */
  containers(root: Json): Json[] {
    const out: Json[] = [];
    const walk = (v: Json, depth: number) => {
      if (v && typeof v === 'object' && depth < 8) {
        out.push(v);
        for (const child of Object.values(v)) walk(child, depth + 1);
      }
    };
    walk(root, 0);
    return out;
  }

  mutateObject(root: Json): Json {
    const target = this.pick(this.containers(root));
    if (!target || typeof target !== 'object') return this.value();
    const keys = Object.keys(target);
    const key = keys.length ? this.pick(keys) : '0';
    const op = this.int(6);
    const record = target as Record<string, Json>;
    if (op === 0) record[key] = this.value();
    else if (op === 1) delete record[key];
    else if (op === 2) Object.defineProperty(record, this.pick(KEYS), { value: this.value(), enumerable: true, writable: true, configurable: true });
    else if (op === 3 && typeof record[key] === 'number') record[key] = this.pick(NUMBERS) * (this.rng.next() < 0.5 ? 1 : -1);
    else if (op === 4)
      record[key] = JSON.stringify(record[key] ?? null); // right value, wrong type
    else if (!Array.isArray(root) && root && typeof root === 'object') {
      const current = root.sweep;
      const sweep = (current && typeof current === 'object' && !Array.isArray(current) ? current : {}) as Record<string, Json>;
      sweep[this.pick(['adapter.rank', 'adapter.kind', 'seed', 'train.lr', 'model.hidden', 'task.trainSize', 'adapter.targets', 'bogus.key', 'model.arch'])] =
        Array.from({ length: 1 + this.int(2) }, () => this.value(2));
      root.sweep = sweep;
    }
    return root;
  }

  mutateText(text: string): string {
    const at = this.int(text.length + 1);
    switch (this.int(9)) {
      case 0: {
        const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
        if (!numbers.length) return text + 'NaN';
        const m = this.pick(numbers);
        return (
          text.slice(0, m.index) +
          this.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x10', '01', '.5', '1.', '+1']) +
          text.slice(m.index + m[0].length)
        );
      }
      case 1:
        return text.slice(0, at);
      case 2:
        return text.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + this.int(8) }, () => this.int(0x10000))) + text.slice(at);
      case 3:
        return text.slice(0, at) + text.slice(at + 1 + this.int(20));
      case 4:
        return text.slice(0, at) + this.pick(['//x\n', '/* */', ',', ',]', '}', ']', '{', '"', '\\', "'", ':', '"a":1,', '\uFEFF']) + text.slice(at);
      case 5: {
        const line = this.pick(text.split('\n'));
        return text.replace(line, `${line}\n${line}`);
      }
      case 6:
        return '\uFEFF' + text;
      case 7:
        return Array.from({ length: this.int(64) }, () => String.fromCharCode(this.int(256))).join('');
      default:
        return text.replace(/"[a-zA-Z]+":/, `"${this.pick(KEYS)}":`);
    }
  }
}

interface Tally {
  valid: number;
  errors: number;
  kinds: Set<string>;
}

/** Asserts the outcome contract for one input; returns whether it validated. */
function check(run: () => ReturnType<typeof parseExperiment>, label: string, tally: Tally, full = true): void {
  let config;
  try {
    config = run();
  } catch (error) {
    if (!(error instanceof ExperimentError)) assert.fail(`${label}: threw ${String(error)}\n${(error as Error).stack}`);
    assert.ok(error.issues.length >= 1, `${label}: no issues`);
    for (const issue of error.issues) {
      assert.equal(typeof issue.path, 'string', label);
      assert.ok(issue.path === '' || issue.path.startsWith('/'), `${label}: bad pointer ${issue.path}`);
      assert.ok(issue.message.length > 0, label);
      tally.kinds.add(
        issue.message
          .replace(/^sweep point .*?: \S*: /, 'sweep: ')
          .split(/[ (]/)
          .slice(0, 3)
          .join(' '),
      );
    }
    tally.errors++;
    return;
  }
  tally.valid++;
  const again = validateExperimentObject(JSON.parse(JSON.stringify(config)), label);
  assert.deepEqual(again, config, `${label}: defaults-filled form re-validates to itself`);
  const runs = countRuns(config);
  assert.ok(runs >= 1 && runs <= 10_000, label);
  if (runs <= 64 && full) assert.equal(expandSweep(config).length, runs, label);
}

test(`fuzz: ${TEXT_CASES} mutated experiment files validate or fail with located ExperimentErrors`, () => {
  const mutator = new Mutator(new Rng(0x5eed));
  const tally: Tally = { valid: 0, errors: 0, kinds: new Set() };
  for (let i = 0; i < TEXT_CASES; i++) {
    let doc = structuredClone(mutator.pick(seeds));
    const objectMutations = mutator.int(4);
    for (let m = 0; m < objectMutations; m++) doc = mutator.mutateObject(doc);
    // Indent small documents only: 1000 nested levels indented would be megabytes.
    let text = JSON.stringify(doc);
    if (text.length < 20_000 && mutator.int(2)) text = JSON.stringify(doc, null, 2);
    if (mutator.rng.next() < 0.35) text = mutator.mutateText(text);
    let located = true;
    check(
      () => {
        try {
          return parseExperiment(text, 'fuzz.symlora.json');
        } catch (error) {
          if (error instanceof ExperimentError) located = error.issues.every((issue) => issue.line! >= 1 && issue.column! >= 1);
          throw error;
        }
      },
      `case ${i}`,
      tally,
    );
    assert.ok(located, `case ${i}: every issue from a file has line and column`);
  }
  assert.equal(tally.valid + tally.errors, TEXT_CASES);
  // The fuzz must exercise both outcomes and many kinds of error, not one trivial path.
  assert.ok(tally.valid > TEXT_CASES * 0.02, `valid: ${tally.valid}`);
  assert.ok(tally.errors > TEXT_CASES * 0.5, `errors: ${tally.errors}`);
  assert.ok(tally.kinds.size > 30, `distinct error kinds: ${tally.kinds.size}`);
});

test(`fuzz: ${OBJECT_CASES} mutated objects built in code (NaN, Infinity, undefined, functions, cycles of depth)`, () => {
  const mutator = new Mutator(new Rng(0xc0de));
  const tally: Tally = { valid: 0, errors: 0, kinds: new Set() };
  const oddities: unknown[] = [NaN, Infinity, -Infinity, undefined, () => 0, Symbol('s'), 10n, new Date(0), new Map(), -0];
  for (let i = 0; i < OBJECT_CASES; i++) {
    let doc = structuredClone(mutator.pick(seeds));
    for (let m = 0; m < 1 + mutator.int(3); m++) doc = mutator.mutateObject(doc);
    const containers = mutator.containers(doc);
    if (mutator.rng.next() < 0.5 && containers.length) {
      const target = mutator.pick(containers) as Record<string, unknown>;
      const keys = Object.keys(target);
      target[keys.length ? mutator.pick(keys) : 'x'] = mutator.pick(oddities);
    }
    // validateExperimentObject checks the schema only; expandSweep adds the semantic checks per run.
    check(
      () => {
        const config = validateExperimentObject(doc, `object ${i}`);
        if (countRuns(config) <= 64) expandSweep(config);
        return config;
      },
      `object ${i}`,
      tally,
      false,
    );
  }
  assert.ok(tally.valid > 0 && tally.errors > OBJECT_CASES * 0.5, JSON.stringify({ valid: tally.valid, errors: tally.errors }));
});
