/**
 * Text → the rows the training loop feeds USE-Lite: token ids as floats, `maxTokens` per text,
 * padded with −1 (the graph's own padding value; id 0 is <unk>, a real token).
 *
 * Tokenisation depends only on the text, so a dataset is tokenised once, before training. The
 * encoder's outputs are never cached: adapters sit inside it and change every step.
 */
import type { Dataset, Split } from '../../data/types';
import { SentencePieceTokenizer } from './tokenizer';
import { loadUseLiteFiles } from './weights';

export const PAD_ID = -1;

export interface EncodedTexts {
  /** Row-major [count, maxTokens]. */
  ids: Float32Array;
  /** Texts that had more than maxTokens tokens (their tail was dropped). */
  truncated: number;
  /** Texts with no token at all (empty or blank after normalisation): every column is padding. */
  empty: number;
  /**
   * Longest text that was not truncated, in tokens. A truncated text's full length is unknown:
   * only enough of it to fill maxTokens is tokenised (SentencePieceTokenizer.encodeFirst).
   */
  longestKept: number;
}

let tokenizerPromise: Promise<SentencePieceTokenizer> | undefined;

/** The shipped vocabulary's tokenizer, built once per process. */
export function useLiteTokenizer(): Promise<SentencePieceTokenizer> {
  tokenizerPromise ??= loadUseLiteFiles().then((files) => new SentencePieceTokenizer(files.vocabulary));
  tokenizerPromise.catch(() => (tokenizerPromise = undefined));
  return tokenizerPromise;
}

export function encodeTexts(tokenizer: SentencePieceTokenizer, texts: readonly string[], maxTokens: number): EncodedTexts {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`maxTokens: must be a positive integer, got ${JSON.stringify(maxTokens)}`);
  const ids = new Float32Array(texts.length * maxTokens).fill(PAD_ID);
  let truncated = 0;
  let empty = 0;
  let longestKept = 0;
  texts.forEach((text, row) => {
    if (typeof text !== 'string') throw new Error(`text ${row}: expected a string, got ${text === null ? 'null' : typeof text}`);
    const first = tokenizer.encodeFirst(text, maxTokens);
    if (first.truncated) truncated++;
    else longestKept = Math.max(longestKept, first.ids.length);
    if (first.ids.length === 0) empty++;
    ids.set(first.ids, row * maxTokens);
  });
  return { ids, truncated, empty, longestKept };
}

export interface TokenizeReport {
  truncated: number;
  empty: number;
  texts: number;
  longestKept: number;
}

/**
 * The same dataset with `x` holding token ids ([count, maxTokens], −1 padded) and
 * `inputShape [maxTokens]`. Needs `split.text` on every split (sentiment/spam with
 * options.features "text"). Truncations are counted in `info` and reported once through `log`.
 */
export async function tokenizeDataset(dataset: Dataset, maxTokens: number, log?: (message: string) => void): Promise<Dataset> {
  const tokenizer = await useLiteTokenizer();
  const report: TokenizeReport = { truncated: 0, empty: 0, texts: 0, longestKept: 0 };
  const encodeSplit = (name: 'train' | 'val' | 'test'): Split => {
    const split = dataset[name];
    if (!split.text)
      throw new Error(`dataset ${dataset.name}: the ${name} split has no raw text; arch "use-lite" needs a text dataset with options.features "text"`);
    if (split.text.length !== split.count)
      throw new Error(`dataset ${dataset.name}: the ${name} split has ${split.text.length} texts for ${split.count} examples`);
    const encoded = encodeTexts(tokenizer, split.text, maxTokens);
    report.truncated += encoded.truncated;
    report.empty += encoded.empty;
    report.texts += split.count;
    report.longestKept = Math.max(report.longestKept, encoded.longestKept);
    return { ...split, x: encoded.ids };
  };
  const splits = { train: encodeSplit('train'), val: encodeSplit('val'), test: encodeSplit('test') };
  if (report.truncated > 0) {
    log?.(`use-lite: ${report.truncated} of ${report.texts} texts are longer than ${maxTokens} tokens and were truncated to their first ${maxTokens}`);
  }
  return {
    ...dataset,
    inputShape: [maxTokens],
    ...splits,
    info: {
      ...dataset.info,
      tokenizer: `SentencePiece (USE-Lite vocabulary, ${tokenizer.size} pieces)`,
      maxTokens,
      truncatedTexts: report.truncated,
      emptyTexts: report.empty,
      // Exact when nothing was cut; a cut text was only tokenised far enough to know it is longer.
      longestTextTokens: report.truncated > 0 ? `> ${maxTokens}` : report.longestKept,
    },
  };
}
