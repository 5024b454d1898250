/** Shared builder for text datasets (sentiment, spam): split by seed, then featurise. */
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import type { Pool } from './build';
import { splitPool } from './build';
import { readChoice, readInt } from './options';
import { bagOfWords, buildVocabulary } from './text';

export type TextFeatures = 'bow' | 'text';
export const TEXT_FEATURES: readonly TextFeatures[] = ['bow', 'text'];

export interface TextCorpus {
  name: string;
  version: string;
  texts: readonly string[];
  labels: Int32Array;
  classNames: string[];
  fixed?: Pool['fixed'];
  info: Record<string, string | number | boolean>;
  /**
   * Where the vocabulary comes from instead of the whole train split: the `fixed` texts
   * (seed-independent) plus this task's train texts for which `ownTrain` returns true.
   */
  vocabSource?: { fixed: readonly string[]; ownTrain: (text: string) => boolean; description: string };
}

export function buildTextDataset(corpus: TextCorpus, ctx: LoaderContext): Dataset {
  const features = readChoice(ctx.options, 'features', TEXT_FEATURES, 'bow');
  const vocabSize = readInt(ctx.options, 'vocabSize', 2000, 1, 200_000);
  const pool: Pool = { x: new Float32Array(0), featureSize: 0, y: corpus.labels, text: corpus.texts, fixed: corpus.fixed };
  const { splits, info } = splitPool(pool, ctx.sizes, ctx.seed, corpus.name);
  const common = {
    name: corpus.name,
    version: corpus.version,
    numClasses: corpus.classNames.length,
    classNames: corpus.classNames,
  };
  if (features === 'text') {
    return {
      ...common,
      inputShape: [0],
      ...splits,
      info: { ...corpus.info, ...info, features: 'text (raw strings in split.text; x has no columns)' },
    };
  }
  const vocabTexts = corpus.vocabSource
    ? [...corpus.vocabSource.fixed, ...splits.train.text!.filter(corpus.vocabSource.ownTrain)]
    : splits.train.text!;
  const vocab = buildVocabulary(vocabTexts, vocabSize);
  const featurised = {
    train: { ...splits.train, x: bagOfWords(splits.train.text!, vocab, vocabSize) },
    val: { ...splits.val, x: bagOfWords(splits.val.text!, vocab, vocabSize) },
    test: { ...splits.test, x: bagOfWords(splits.test.text!, vocab, vocabSize) },
  };
  return {
    ...common,
    name: `${corpus.name}(bow ${vocabSize})`,
    inputShape: [vocabSize],
    ...featurised,
    info: {
      ...corpus.info,
      ...info,
      features: 'bag of words: lowercased word tokens, term counts, l2-normalised per example',
      vocabulary: corpus.vocabSource
        ? `the ${vocabSize} most frequent tokens of ${corpus.vocabSource.description} (ties alphabetical)`
        : `the ${vocabSize} most frequent train-split tokens (ties alphabetical); val/test never seen`,
      vocabSize,
      vocabWordsFound: vocab.words.length,
      vocabHash: vocab.hash,
    },
  };
}
