/**
 * The dataset a model trains on for a (non-teacher) task, in the form the model reads. Runs and
 * pretraining both load through here, so a pretrained base and the runs built on it see their
 * inputs the same way (for use-lite: the same tokenizer and the same `maxTokens`).
 */
import { loadDataset } from '../data/registry';
import type { Dataset } from '../data/types';
import type { DatasetTask, ModelConfig } from '../experiment/types';

export interface TaskDataOptions {
  seed: number;
  /** Folder of the experiment file, for dataset paths relative to it. */
  baseDir?: string;
  log?: (message: string) => void;
}

export async function loadTaskDataset(model: ModelConfig, task: DatasetTask, options: TaskDataOptions): Promise<Dataset> {
  const dataset = await loadDataset(task, { seed: options.seed, baseDir: options.baseDir });
  if (model.arch !== 'use-lite') return dataset;
  // Tokenised once per load; the encoder's outputs are never cached since adapters sit inside it.
  const { tokenizeDataset } = await import('../models/useLite/tokenize');
  return tokenizeDataset(dataset, model.maxTokens, options.log);
}
