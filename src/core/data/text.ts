/**
 * Bag-of-words features for text datasets. The vocabulary comes from the TRAIN split only
 * (never val/test), as the `vocabSize` most frequent lowercased word tokens, ties broken
 * alphabetically, so it is a pure function of the training texts (and hence of the seed).
 * A loader may pass other texts instead (sentiment `vocabDomains`: a vocabulary shared across tasks).
 * Features are term counts, l2-normalised per example.
 */
import { sha256 } from './hash';

const TOKEN = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** Lowercased word tokens: runs of letters/digits, keeping an apostrophe suffix (don't, it's). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export interface Vocabulary {
  words: string[];
  index: Map<string, number>;
  /** sha256 of the words joined by newlines: identifies the feature space in run records. */
  hash: string;
}

export function buildVocabulary(trainTexts: readonly string[], vocabSize: number): Vocabulary {
  const counts = new Map<string, number>();
  for (const text of trainTexts) {
    for (const token of tokenize(text)) counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  const words = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, vocabSize)
    .map(([word]) => word);
  return { words, index: new Map(words.map((w, i) => [w, i])), hash: sha256(words.join('\n')) };
}

/**
 * `count × vocabSize` l2-normalised term-count rows. The width is `vocabSize` even when the
 * training texts hold fewer distinct words, so the input size depends only on the config.
 */
export function bagOfWords(texts: readonly string[], vocab: Vocabulary, width: number): Float32Array {
  const out = new Float32Array(texts.length * width);
  texts.forEach((text, row) => {
    const base = row * width;
    for (const token of tokenize(text)) {
      const k = vocab.index.get(token);
      if (k !== undefined) out[base + k] += 1;
    }
    let norm = 0;
    for (let k = 0; k < width; k++) norm += out[base + k] * out[base + k];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < width; k++) out[base + k] *= inv;
    }
  });
  return out;
}
