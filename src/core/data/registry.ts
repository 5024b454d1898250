/** The one entry point the engine uses to get a real dataset. */
import type { DatasetTask } from '../experiment/types';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import { DatasetError } from './errors';
import { loadMnist } from './mnist';
import { loadDigits } from './digits';
import { loadFashionMnist } from './fashionMnist';
import { loadSentiment } from './sentiment';
import { loadSpam } from './spam';
import { loadTable } from './tabular';

export interface LoadOptions {
  seed: number;
  /** Folder of the experiment file, for relative paths. */
  baseDir?: string;
  /** Where fetched datasets are cached (default ~/.cache/symlora-lab or $SYMLORA_CACHE_DIR). */
  cacheDir?: string;
  signal?: AbortSignal;
}

type Loader = (ctx: LoaderContext) => Promise<Dataset>;

const LOADERS: Record<DatasetTask['dataset'], Loader> = {
  mnist: loadMnist,
  digits: loadDigits,
  'fashion-mnist': (ctx) => loadFashionMnist(ctx),
  sentiment: loadSentiment,
  spam: (ctx) => loadSpam(ctx),
  csv: (ctx) => loadTable('csv', ctx),
  jsonl: (ctx) => loadTable('jsonl', ctx),
};

export const DATASET_NAMES: readonly string[] = Object.keys(LOADERS);

function checkSize(task: DatasetTask, key: 'trainSize' | 'valSize' | 'testSize'): number {
  const value = task[key];
  if (!Number.isInteger(value) || value < 0) throw new DatasetError(`task.${key}: must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
}

export async function loadDataset(task: DatasetTask, opts: LoadOptions): Promise<Dataset> {
  const loader = LOADERS[task.dataset];
  if (!loader) throw new DatasetError(`task.dataset: unknown dataset ${JSON.stringify(task.dataset)} (known: ${DATASET_NAMES.join(', ')})`);
  if (!Number.isInteger(opts.seed)) throw new DatasetError(`seed: must be an integer, got ${JSON.stringify(opts.seed)}`);
  const options = task.options ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new DatasetError('task.options: must be an object');
  opts.signal?.throwIfAborted();
  const sizes = { train: checkSize(task, 'trainSize'), val: checkSize(task, 'valSize'), test: checkSize(task, 'testSize') };
  if (sizes.train === 0) throw new DatasetError('task.trainSize: must be at least 1');
  return loader({ options, sizes, seed: opts.seed, baseDir: opts.baseDir, cacheDir: opts.cacheDir, signal: opts.signal });
}
