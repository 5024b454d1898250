// The user's own CSV / JSONL files: a good table loads and standardises; every bad one gets an
// error naming file, line and column.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadDataset } from '../../src/core/data/registry';
import { DatasetError } from '../../src/core/data/errors';
import { sortLabels } from '../../src/core/data/tabular';
import { Rng } from '../helpers/random';
import type { DatasetTask } from '../../src/core/experiment/types';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'symlora-tabular-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer) => (writeFileSync(join(dir, name), content), join(dir, name));
const task = (dataset: 'csv' | 'jsonl', options: Record<string, unknown>, sizes = [60, 20, 20]): DatasetTask => ({
  dataset,
  options,
  trainSize: sizes[0],
  valSize: sizes[1],
  testSize: sizes[2],
});
const load = (dataset: 'csv' | 'jsonl', options: Record<string, unknown>, sizes?: number[], seed = 1) =>
  loadDataset(task(dataset, options, sizes), { seed, baseDir: dir });

/** 100 rows: two features, string labels in three classes. */
function goodCsv(): string {
  const lines = ['height,weight,species'];
  for (let i = 0; i < 100; i++) lines.push(`${(i % 7) * 1.5 + 10},${(i * 13) % 50},${['setosa', 'virginica', 'versicolor'][i % 3]}`);
  return lines.join('\n') + '\n';
}

/** Expect a DatasetError whose message starts with file:line:column. */
async function rejectsAt(promise: Promise<unknown>, file: string, line: number, column: number | string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DatasetError, `a DatasetError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.line, line, `line in: ${err.message}`);
    assert.equal(err.column, column, `column in: ${err.message}`);
    const where = typeof column === 'number' ? `${file}:${line}:${column}: ` : `${file}:${line} (column "${column}"): `;
    assert.ok(err.message.startsWith(where), `message starts with ${where}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('csv: a good file', () => {
  test('loads, maps string labels in sorted order, standardises with train statistics', async () => {
    const file = write('iris.csv', goodCsv());
    const d = await load('csv', { file: 'iris.csv', labelColumn: 'species' });
    assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(d.inputShape, [2]);
    assert.deepEqual([d.train.count, d.val.count, d.test.count], [60, 20, 20]);
    assert.equal(d.version, `sha256:${createHash('sha256').update(goodCsv()).digest('hex')}`);
    assert.equal(d.info.source, file);
    for (let c = 0; c < 2; c++) {
      const col = Array.from({ length: d.train.count }, (_, r) => d.train.x[r * 2 + c]);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-4, `train column ${c} standardised (${mean}, ${sd})`);
    }
    // Label of each row is preserved: weight = (i*13)%50 and class = i%3 are both functions of i.
    const again = await load('csv', { file: 'iris.csv', labelColumn: 'species' });
    assert.deepEqual(again.train.x, d.train.x);
    const other = await load('csv', { file: 'iris.csv', labelColumn: 'species' }, undefined, 2);
    assert.notDeepEqual(other.train.y, d.train.y);
  });

  test('featureColumns, delimiter, quoted fields, integer labels sorted numerically', async () => {
    write('semi.csv', 'a;"b";label;note\n1;2;10;"x;y"\n3;4;2;z\n5;6;10;w\n7;8;2;v\n');
    const d = await load('csv', { file: 'semi.csv', labelColumn: 'label', featureColumns: ['b', 'a'], delimiter: ';' }, [2, 1, 1]);
    assert.deepEqual(d.classNames, ['2', '10']);
    assert.deepEqual(d.inputShape, [2]);
    assert.deepEqual(sortLabels(['b', 'a', 'B']), ['B', 'a', 'b']);
  });
});

describe('csv: every bad input names file, line and column', () => {
  test('missing file', async () => {
    await rejectsAt(load('csv', { file: 'nope.csv', labelColumn: 'y' }), join(dir, 'nope.csv'), 1, 1, /file not found \(task\.options\.file = "nope\.csv"\)/);
  });

  test('missing label column lists the columns found', async () => {
    const file = write('nolabel.csv', 'a,b,c\n1,2,3\n');
    await rejectsAt(
      load('csv', { file: 'nolabel.csv', labelColumn: 'class' }),
      file,
      1,
      'class',
      /label column "class" not found; columns found: "a", "b", "c"/,
    );
  });

  test('missing feature column', async () => {
    const file = write('nofeat.csv', 'a,b,y\n1,2,0\n');
    await rejectsAt(load('csv', { file: 'nofeat.csv', labelColumn: 'y', featureColumns: ['a', 'z'] }), file, 1, 'z', /feature column "z" not found/);
  });

  test('ragged rows, short and long', async () => {
    const file = write('ragged.csv', 'a,b,y\n1,2,0\n3,4,1\n5,1\n');
    await rejectsAt(load('csv', { file: 'ragged.csv', labelColumn: 'y' }), file, 4, 3, /ragged row: 2 fields, the header has 3/);
    const long = write('long.csv', 'a,b,y\n1,2,0,9\n');
    await rejectsAt(load('csv', { file: 'long.csv', labelColumn: 'y' }), long, 2, 4, /ragged row: 4 fields, the header has 3/);
  });

  test('non-numeric and empty values', async () => {
    const file = write('text.csv', 'a,b,y\n1,2,0\n3,abc,1\n');
    await rejectsAt(load('csv', { file: 'text.csv', labelColumn: 'y' }), file, 3, 2, /feature column "b" has non-numeric value "abc"/);
    const empty = write('hole.csv', 'a,b,y\n1,2,0\n\n,4,1\n');
    await rejectsAt(load('csv', { file: 'hole.csv', labelColumn: 'y' }), empty, 4, 1, /feature column "a" has an empty value/);
    const inf = write('inf.csv', 'a,b,y\n1,Infinity,0\n');
    await rejectsAt(load('csv', { file: 'inf.csv', labelColumn: 'y' }), inf, 2, 2, /non-numeric value "Infinity"/);
  });

  test('empty file, header only, a single class, an unclosed quote', async () => {
    const empty = write('empty.csv', '');
    await rejectsAt(load('csv', { file: 'empty.csv', labelColumn: 'y' }), empty, 1, 1, /empty file/);
    const header = write('header.csv', 'a,y\n');
    await rejectsAt(load('csv', { file: 'header.csv', labelColumn: 'y' }), header, 2, 1, /no data rows/);
    const one = write('one.csv', 'a,y\n1,cat\n2,cat\n');
    await rejectsAt(load('csv', { file: 'one.csv', labelColumn: 'y' }), one, 2, 'y', /only one class \("cat"\)/);
    const quote = write('quote.csv', 'a,y\n1,0\n2,"1\n');
    await rejectsAt(load('csv', { file: 'quote.csv', labelColumn: 'y' }), quote, 3, 2, /CSV syntax: Quote Not Closed/);
  });

  test('duplicate header names, and the label listed as a feature', async () => {
    const dup = write('dup.csv', 'a,b,a,y\n1,2,3,0\n');
    await rejectsAt(load('csv', { file: 'dup.csv', labelColumn: 'y' }), dup, 1, 3, /duplicate column name "a" in the header/);
    await assert.rejects(
      load('csv', { file: 'dup.csv', labelColumn: 'y', featureColumns: ['b', 'y'] }),
      /task\.options\.featureColumns\[1\]: is the label column "y"/,
    );
  });

  test('a dataset too small for the requested splits', async () => {
    write('small.csv', 'a,y\n1,0\n2,1\n3,0\n');
    await assert.rejects(load('csv', { file: 'small.csv', labelColumn: 'y' }, [100, 50, 50]), /has only 3 examples, too few for valSize=50/);
  });

  test('options: file and labelColumn required, unknown keys rejected', async () => {
    await assert.rejects(load('csv', { labelColumn: 'y' }), /task\.options\.file: is required for dataset "csv"/);
    await assert.rejects(load('csv', { file: 'x.csv' }), /task\.options\.labelColumn: is required/);
    await assert.rejects(load('jsonl', { file: 'x', labelColumn: 'y', delimiter: ',' }), /task\.options\.delimiter: unknown option for dataset "jsonl"/);
  });
});

describe('jsonl', () => {
  test('a good file: objects per line, blank lines skipped, numeric strings accepted', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ x1: i, x2: String(i % 5), extra: 'ignored', label: i % 2 === 0 ? 'even' : 'odd' }));
    write('good.jsonl', rows.slice(0, 20).join('\n') + '\n\n' + rows.slice(20).join('\r\n') + '\n');
    const d = await load('jsonl', { file: 'good.jsonl', labelColumn: 'label', featureColumns: ['x1', 'x2'] }, [20, 10, 10]);
    assert.deepEqual(d.classNames, ['even', 'odd']);
    assert.deepEqual(d.inputShape, [2]);
    assert.deepEqual([d.train.count, d.val.count, d.test.count], [20, 10, 10]);
  });

  test('every bad line names file, line and field', async () => {
    const syntax = write('syntax.jsonl', '{"a": 1, "y": 0}\n{"a": 2,, "y": 1}\n');
    await rejectsAt(load('jsonl', { file: 'syntax.jsonl', labelColumn: 'y' }), syntax, 2, 9, /invalid JSON/);
    const array = write('array.jsonl', '{"a": 1, "y": 0}\n[1, 0]\n');
    await rejectsAt(load('jsonl', { file: 'array.jsonl', labelColumn: 'y' }), array, 2, 1, /each line must be a JSON object/);
    const nolabel = write('nolabel.jsonl', '{"a": 1, "b": 0}\n');
    await rejectsAt(load('jsonl', { file: 'nolabel.jsonl', labelColumn: 'y' }), nolabel, 1, 'y', /label column "y" not found; columns found: "a", "b"/);
    const ragged = write('ragged.jsonl', '{"a": 1, "b": 2, "y": 0}\n{"a": 1, "y": 0}\n');
    await rejectsAt(load('jsonl', { file: 'ragged.jsonl', labelColumn: 'y' }), ragged, 2, 'b', /ragged row: field "b" is missing/);
    const text = write('text.jsonl', '{"a": 1, "y": 0}\n{"a": "n/a", "y": 1}\n');
    await rejectsAt(load('jsonl', { file: 'text.jsonl', labelColumn: 'y' }), text, 2, 'a', /non-numeric value "n\/a"/);
    const nested = write('nested.jsonl', '{"a": 1, "y": 0}\n{"a": [1], "y": 1}\n');
    await rejectsAt(load('jsonl', { file: 'nested.jsonl', labelColumn: 'y' }), nested, 2, 'a', /feature column "a" has non-numeric value \[1\]/);
    const badLabel = write('badlabel.jsonl', '{"a": 1, "y": 0}\n{"a": 2, "y": 0.5}\n');
    await rejectsAt(
      load('jsonl', { file: 'badlabel.jsonl', labelColumn: 'y' }),
      badLabel,
      2,
      'y',
      /label "y" is 0\.5; labels must be non-empty strings or integers/,
    );
    const empty = write('empty.jsonl', '\n\n');
    await rejectsAt(load('jsonl', { file: 'empty.jsonl', labelColumn: 'y' }), empty, 1, 1, /empty file/);
    const one = write('one.jsonl', '\n{"a": 1, "y": 3}\n{"a": 2, "y": 3}\n');
    await rejectsAt(load('jsonl', { file: 'one.jsonl', labelColumn: 'y' }), one, 2, 'y', /only one class \("3"\)/);
  });
});

describe('mutated files', () => {
  test('300 randomly corrupted CSV and JSONL files: each loads or fails with a located DatasetError', async () => {
    const rng = new Rng(2024);
    const csv = Buffer.from(goodCsv());
    const jsonl = Buffer.from(Array.from({ length: 60 }, (_, i) => JSON.stringify({ a: i, b: i % 7, y: i % 3 })).join('\n'));
    const alphabet = Buffer.from(',;"\n\r{}[]:x0.-e \\\u00ff');
    let failures = 0;
    for (let n = 0; n < 300; n++) {
      const format = n % 2 === 0 ? 'csv' : 'jsonl';
      const bytes = Buffer.from(format === 'csv' ? csv : jsonl);
      const edits = 1 + rng.int(4);
      let mutated: Buffer = bytes;
      for (let e = 0; e < edits; e++) {
        const at = rng.int(mutated.length);
        const kind = rng.next();
        if (kind < 0.4) mutated[at] = alphabet[rng.int(alphabet.length)];
        else if (kind < 0.7) mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1 + rng.int(20))]);
        else mutated = mutated.subarray(0, at);
      }
      const name = `fuzz-${n}.${format}`;
      const file = write(name, mutated);
      try {
        const d = await load(format, { file: name, labelColumn: 'y' }, [10, 5, 5]);
        assert.ok(d.train.count > 0 && d.train.x.every(Number.isFinite), 'a loaded dataset is sane');
      } catch (err) {
        failures++;
        assert.ok(err instanceof DatasetError, `${name}: not a DatasetError: ${String(err)}`);
        if (err.file !== undefined) {
          assert.equal(err.file, file);
          assert.ok(Number.isInteger(err.line) && err.line! >= 1, `${name}: line ${err.line} in ${err.message}`);
          assert.ok(err.column !== undefined, `${name}: column in ${err.message}`);
        } else {
          assert.match(err.message, /too few for|task\.options/, `${name}: an unlocated error must be about sizes or options: ${err.message}`);
        }
      }
    }
    assert.ok(failures > 30, `mutations do break files (${failures} of 300 rejected)`);
  });
});
