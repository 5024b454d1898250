/**
 * Fuzzing the run-directory readers (issue 10): metrics/spectra files and run.json truncated,
 * corrupted, padded with garbage or enormous lines. Every reader must return (never throw for a
 * bad line), return only well-formed records, and keep memory bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlTail, listRuns, readJsonl, readMetrics, readRunRecord } from '../../src/core/runs/reader';
import { isMetricRecord } from '../../src/core/runs/record';
import { RunWriter } from '../../src/core/runs/writer';
import { RunStoreError } from '../../src/core/runs/errors';
import type { MetricRecord } from '../../src/core/protocol';
import { testSpec } from '../fixtures/trainers/spec';
import { pick, Rng } from '../helpers/random';

function validMetrics(count: number): Buffer {
  const lines: string[] = [];
  for (let step = 1; step <= count; step++) {
    const record: MetricRecord =
      step % 5 === 0
        ? { kind: 'eval', split: 'val', step, epoch: step / 10, time: step / 7, loss: 1 / step, accuracy: 0.5 + step / 400 }
        : { kind: 'train', step, epoch: step / 10, time: step / 7, loss: 1 / step, accuracy: 0.4, lr: 0.003, samplesPerSec: 1234.5 };
    lines.push(JSON.stringify(record));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const GARBAGE = [
  '{',
  '}',
  '"',
  '\n',
  '\u0000',
  'NaN',
  '1e999999',
  '{"kind":"train"}',
  '[[[[[[[[',
  '\ud800',
  '\xff\xfe',
  ',',
  'null',
  '{"kind":"eval","split":"nope","step":1,"loss":1}',
];

function mutate(input: Buffer, rng: Rng): Buffer {
  let bytes = Buffer.from(input);
  const edits = 1 + rng.int(4);
  for (let i = 0; i < edits; i++) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(5)) {
      case 0: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 1: // flip bytes
        for (let k = 0; k < 1 + rng.next() * 8 && at + k < bytes.length; k++) bytes[at + k] = rng.int(256);
        break;
      case 2: // insert garbage
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(rng, GARBAGE), 'latin1'), bytes.subarray(at)]);
        break;
      case 3: // delete a span
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + rng.int(200))]);
        break;
      default: // duplicate a span
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + rng.int(300)), bytes.subarray(at)]);
    }
  }
  return bytes;
}

test('readMetrics (2,000 files) and JsonlTail (200 files) survive mutated metrics files and return only valid records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symlora-fuzz-'));
  const file = join(dir, 'metrics.jsonl');
  const original = validMetrics(60);
  const rng = new Rng(20261124);
  for (let round = 0; round < 2000; round++) {
    const bytes = mutate(original, rng);
    writeFileSync(file, bytes);
    const whole = readMetrics(dir);
    for (const record of whole.records) assert.ok(isMetricRecord(record), `round ${round}: invalid record returned`);
    assert.ok(
      whole.badLines.every((n, i) => n >= 1 && (i === 0 || n > whole.badLines[i - 1])),
      `round ${round}: bad line numbers sorted`,
    );
    assert.equal(whole.tornLastLine, bytes.length > 0 && bytes[bytes.length - 1] !== 10, `round ${round}: torn flag`);
    if (round % 10 !== 0) continue;
    // The tail, fed the same bytes in random slices, must agree with the whole-file reader.
    writeFileSync(file, '');
    const tail = new JsonlTail(file, isMetricRecord);
    const seen: MetricRecord[] = [];
    for (let at = 0; at < bytes.length;) {
      const next = Math.min(bytes.length, at + 1 + rng.int(700));
      writeFileSync(file, bytes.subarray(at, next), { flag: 'a' });
      seen.push(...tail.read().records);
      at = next;
    }
    assert.equal(seen.length, whole.records.length, `round ${round}: tail and whole-file reader agree`);
  }
});

test('an enormous line without a newline is read with bounded memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symlora-fuzz-'));
  const file = join(dir, 'metrics.jsonl');
  const fd = openSync(file, 'w');
  writeSync(fd, validMetrics(3));
  const chunk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 64; i++) writeSync(fd, chunk); // 64 MB of one unterminated line
  closeSync(fd);
  global.gc?.();
  const before = process.memoryUsage();
  const result = readJsonl(file, isMetricRecord, 1 << 20);
  const after = process.memoryUsage();
  assert.equal(result.records.length, 3);
  assert.equal(result.tornLastLine, true);
  const grown = after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed);
  assert.ok(grown < 32 * 1024 * 1024, `memory grew by ${(grown / 1e6).toFixed(1)} MB for a 64 MB line`);
});

test('mutated run.json files give a RunStoreError naming the file, and listRuns reports them without throwing', () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'symlora-fuzz-'));
  const writer = RunWriter.create(runsDir, testSpec());
  writer.finish('completed', { summary: { final: { valAccuracy: 0.5 }, best: { valAccuracy: 0.6 } } });
  const file = join(writer.dir, 'run.json');
  const original = Buffer.from(JSON.stringify(writer.record(), null, 2));
  const rng = new Rng(7);
  let failures = 0;
  for (let round = 0; round < 800; round++) {
    writeFileSync(file, mutate(original, rng));
    try {
      const record = readRunRecord(writer.dir);
      assert.equal(record.schemaVersion, 1);
      assert.equal(typeof record.id, 'string');
    } catch (error) {
      failures++;
      assert.ok(error instanceof RunStoreError, `round ${round}: ${String(error)}`);
      assert.ok(error.message.includes(file), `round ${round}: message names the file`);
    }
    const [summary] = listRuns(runsDir);
    assert.ok(summary, `round ${round}: the run is still listed`);
  }
  assert.ok(failures > 250, 'most mutations were detected');
});
