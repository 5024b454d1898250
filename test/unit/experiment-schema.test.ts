import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseExperiment } from '../../src/core/experiment/load';
import { resolveSchema, selectBranch, ROOT_SCHEMA } from '../../src/core/experiment/defaults';

type Node = Record<string, unknown> & { properties?: Record<string, Node>; required?: string[] };

const schema = JSON.parse(readFileSync('schemas/experiment.schema.json', 'utf8')) as Node & { definitions: Record<string, Node> };

function* objectSchemas(node: unknown, where: string): Generator<[string, Node]> {
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  if (n.properties) yield [where, n];
  for (const [key, child] of Object.entries(n)) {
    if (['default', 'defaultSnippets', 'enum', 'const'].includes(key)) continue;
    yield* objectSchemas(child, `${where}/${key}`);
  }
}

test('every object in the schema forbids unknown keys', () => {
  const open = [...objectSchemas(schema, '#')].filter(([, node]) => node.additionalProperties !== false).map(([where]) => where);
  assert.deepEqual(open, []);
  // The sweep is the one map with free keys; they are constrained by propertyNames instead.
  assert.ok((schema.definitions.sweep.propertyNames as Record<string, unknown>).pattern);
});

test('every field has a title and description for hover docs, and optional fields a default', () => {
  const missing: string[] = [];
  for (const [where, node] of objectSchemas(schema, '#')) {
    for (const [key, raw] of Object.entries(node.properties!)) {
      const prop = resolveSchema(raw) as Node;
      if (!prop.title) missing.push(`${where}/${key}: title`);
      if (!prop.description) missing.push(`${where}/${key}: description`);
      const optional = !(node.required ?? []).includes(key);
      if (optional && !('default' in prop) && !prop.derivedDefault) missing.push(`${where}/${key}: default`);
    }
  }
  assert.deepEqual(missing, []);
});

/** Walks a filled config beside the schema: every optional field absent from `written` must hold the schema's default. */
function checkDefaults(filled: unknown, written: unknown, rawNode: unknown, path: string, seen: string[]): void {
  const node = resolveSchema(rawNode as never) as Node;
  const branch = selectBranch(node, filled) as Node | undefined;
  if (branch) return checkDefaults(filled, written, branch, path, seen);
  if (!node.properties || !filled || typeof filled !== 'object' || Array.isArray(filled)) return;
  for (const [key, raw] of Object.entries(node.properties)) {
    const prop = resolveSchema(raw) as Node;
    const value: unknown = (filled as Record<string, unknown>)[key];
    const given = written && typeof written === 'object' ? (written as Record<string, unknown>)[key] : undefined;
    if (given === undefined && 'default' in prop && !prop.derivedDefault && !(node.required ?? []).includes(key)) {
      const isContainer = typeof prop.default === 'object' && prop.default !== null && !Array.isArray(prop.default);
      // An object default ({}) is a container whose own fields get their defaults in turn.
      if (isContainer) assert.equal(typeof value, 'object', `${path}/${key}`);
      else assert.deepEqual(value, prop.default, `${path}/${key}`);
      seen.push(`${path}/${key}`);
    }
    if (value !== undefined) checkDefaults(value, given, prop, `${path}/${key}`, seen);
  }
}

test("filled defaults are exactly the schema's defaults (one source of truth)", () => {
  const model = { arch: 'mlp', inputDim: 784, classes: 10 };
  const written = [
    { name: 'a', model: { arch: 'mlp', inputDim: 64, classes: 10 }, task: { dataset: 'teacher' }, adapter: { kind: 'lora' } },
    {
      name: 'b',
      model: { arch: 'transformer', inputDim: 28, seqLen: 28, dModel: 32, classes: 10 },
      task: { dataset: 'mnist' },
      adapter: { kind: 'lora' },
      pretrain: { task: { dataset: 'fashion-mnist' } },
    },
    { name: 'c', model: { arch: 'mlp', inputDim: 64, classes: 10 }, task: { dataset: 'digits' }, adapter: { kind: 'head' } },
    { name: 'd', model: { ...model, inputDim: 2000, classes: 2 }, task: { dataset: 'sentiment' }, adapter: { kind: 'lora' } },
    { name: 'e', model: { arch: 'use-lite', classes: 2 }, task: { dataset: 'spam', options: { features: 'text' } }, adapter: { kind: 'lora' } },
    { name: 'f', model, task: { dataset: 'csv', options: { file: 'x.csv', labelColumn: 'y' } }, adapter: { kind: 'full' } },
    { name: 'g', model, task: { dataset: 'jsonl', options: { file: 'x.jsonl', labelColumn: 'y' } }, adapter: { kind: 'none' } },
  ];
  const seen: string[] = [];
  for (const object of written) checkDefaults(parseExperiment(JSON.stringify(object), 'x'), object, ROOT_SCHEMA, '', seen);
  for (const path of [
    '/train/lr',
    '/model/activation',
    '/task/options/vocabSize',
    '/task/options/delimiter',
    '/pretrain/train/epochs',
    '/adapter/scaling',
    '/backend',
    '/model/maxTokens',
  ]) {
    assert.ok(seen.includes(path), `${path} was checked`);
  }
});
