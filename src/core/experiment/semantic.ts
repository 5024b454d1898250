/**
 * Checks the schema cannot express: targets that match real layers, ranks that fit them,
 * architectures that fit the task's data, sizes that fit the dataset. Works on a defaults-filled
 * config; returns errors and warnings with JSON pointers (load.ts adds line/column).
 */
import { countParams } from '../adapters/params';
import { linearLayout, globToRegExp, type LinearLayout } from '../models/layout';
import type { ExperimentIssue } from './errors';
import type { ExperimentConfig, ModelConfig, TaskConfig, TrainConfig } from './types';

export interface SemanticResult {
  errors: ExperimentIssue[];
  warnings: ExperimentIssue[];
}

/** Examples each built-in dataset holds (train + val + test must fit). */
const DATASET_SIZES: Record<string, number> = { mnist: 10_000, digits: 1_797, 'fashion-mnist': 70_000 };
const SENTIMENT_PER_DOMAIN = 1_000;
const SPAM_GROUP_SIZES: Record<string, number> = { 'easy-ham-1': 5000, 'easy-ham-2': 2800, 'hard-ham-1': 500, 'spam-1': 1000, 'spam-2': 2792 };
/** Base models above this many weights get a warning (they will not train in reasonable time on a CPU). */
const LARGE_MODEL = 50_000_000;

type Report = (path: string, message: string) => void;

export function checkConfig(config: ExperimentConfig): SemanticResult {
  const result: SemanticResult = { errors: [], warnings: [] };
  const error: Report = (path, message) => result.errors.push({ path, message });
  const warn: Report = (path, message) => result.warnings.push({ path, message, severity: 'warning' });
  checkModel(config.model, error, warn);
  const layout = linearLayout(config.model);
  checkAdapter(config, layout, error, warn);
  checkTask(config, config.task, '/task', layout, error);
  checkTrain(config.train, config.task, '/train', error, warn);
  if (config.pretrain) checkPretrain(config, layout, error, warn);
  return result;
}

function checkPretrain(config: ExperimentConfig, layout: LinearLayout[], error: Report, warn: Report): void {
  const pretrain = config.pretrain!;
  const { arch } = config.model;
  if (pretrain.task.dataset === 'teacher') {
    error('/pretrain/task/dataset', `pretraining needs a real dataset, not "teacher" (the teacher task is made from the base itself)`);
  } else {
    checkTask(config, pretrain.task, '/pretrain/task', layout, error);
  }
  checkTrain(pretrain.train, pretrain.task, '/pretrain/train', error, warn);
  if (pretrain.trainable === 'head' && arch !== 'use-lite') {
    error(
      '/pretrain/trainable',
      `"head" trains only the classifier head, but an "${arch}" base starts from random weights, so its body would stay random; use "all" (only arch "use-lite" ships a pretrained encoder)`,
    );
  }
  if (pretrain.trainable === 'all' && arch === 'use-lite') {
    const weights = countParams(config.model, { ...config.adapter, kind: 'full' }).trainable.toLocaleString('en-US');
    warn(
      '/pretrain/trainable',
      `"all" fine-tunes all ${weights} weights of USE-Lite (embedding table included) on the source task, which is slow on a CPU; "head" keeps the shipped encoder and trains the head only`,
    );
  }
}

function checkModel(model: ModelConfig, error: Report, warn: Report): void {
  if (model.arch === 'transformer' && model.dModel % model.heads !== 0) {
    error('/model/heads', `dModel (${model.dModel}) must be divisible by heads (${model.heads})`);
  }
  const weights = linearLayout(model).reduce((sum, layer) => sum + layer.shape[0] * layer.shape[1], 0);
  if (weights > LARGE_MODEL) {
    warn('/model', `the base model has ${weights.toLocaleString('en-US')} weights; expect very slow training on a CPU`);
  }
}

function describe(layer: LinearLayout): string {
  return `${layer.name} [${layer.shape[0]}×${layer.shape[1]}]`;
}

function listLayers(layers: readonly LinearLayout[], max = 12): string {
  const shown = layers.slice(0, max).map(describe).join(', ');
  return layers.length > max ? `${shown}, … (${layers.length} in all)` : shown;
}

function isSquare(layer: LinearLayout): boolean {
  return layer.shape[0] === layer.shape[1];
}

/** Layers matched by each pattern; reports patterns that match no adaptable layer. */
function matchTargets(patterns: readonly string[], path: string, layout: readonly LinearLayout[], error: Report): LinearLayout[] {
  const adaptable = layout.filter((layer) => !layer.isHead);
  const matched = new Set<LinearLayout>();
  patterns.forEach((pattern, i) => {
    const regexp = globToRegExp(pattern);
    const hits = adaptable.filter((layer) => regexp.test(layer.name));
    if (hits.length === 0) {
      const headNote = layout.some((layer) => layer.isHead && regexp.test(layer.name)) ? ' (the head is never adapted; see adapter.trainHead)' : '';
      error(`${path}/${i}`, `pattern "${pattern}" matches no adaptable layer${headNote}; layers: ${listLayers(adaptable)}`);
    }
    hits.forEach((layer) => matched.add(layer));
  });
  return layout.filter((layer) => matched.has(layer));
}

function checkAdapter(config: ExperimentConfig, layout: LinearLayout[], error: Report, warn: Report): void {
  const { adapter } = config;
  if (adapter.init === 'eig' && adapter.kind !== 'symlora') {
    warn('/adapter/init', `init "eig" applies to symlora only; it is ignored for kind "${adapter.kind}"`);
  }
  if (adapter.kind !== 'lora' && adapter.kind !== 'symlora') return;
  const targets = matchTargets(adapter.targets, '/adapter/targets', layout, error);
  if (targets.length === 0) return;
  let adapted = targets;
  if (adapter.kind === 'symlora') {
    const nonSquare = targets.filter((layer) => !isSquare(layer));
    if (adapter.nonSquare === 'skip') {
      adapted = targets.filter(isSquare);
      if (adapted.length === 0) {
        error(
          '/adapter/targets',
          `symlora needs square layers but every target is non-square: ${listLayers(nonSquare)}; target square layers or set adapter.nonSquare to "lora"`,
        );
        return;
      }
      if (nonSquare.length) {
        warn('/adapter/nonSquare', `symlora skips non-square targets ${listLayers(nonSquare)}; set nonSquare to "lora" to adapt them with LoRA`);
      }
    }
  }
  const tooSmall = adapted.filter((layer) => adapter.rank > Math.min(...layer.shape));
  if (tooSmall.length) {
    error(
      '/adapter/rank',
      `rank ${adapter.rank} exceeds min(out, in) of ${listLayers(tooSmall, 4)}; the largest rank that fits every adapted layer is ${Math.min(...adapted.flatMap((l) => l.shape))}`,
    );
  }
}

function checkTask(config: ExperimentConfig, task: TaskConfig, path: string, layout: LinearLayout[], error: Report): void {
  if (task.dataset === 'teacher') return checkTeacher(config, task, path, layout, error);
  checkDatasetModel(config.model, task, path, error);
  checkDatasetSize(task, path, error);
}

function checkTeacher(config: ExperimentConfig, task: Extract<TaskConfig, { dataset: 'teacher' }>, path: string, layout: LinearLayout[], error: Report): void {
  if (config.model.arch === 'use-lite') {
    error('/model/arch', `the teacher task needs a randomly initialised base (arch "mlp" or "transformer"), not "use-lite"`);
    return;
  }
  const { shift } = task;
  // Shift targets default to the adapter's, whose patterns are already checked: report them once.
  const alreadyChecked = ['lora', 'symlora'].includes(config.adapter.kind) && sameList(shift.targets, config.adapter.targets);
  const shifted = matchTargets(shift.targets, `${path}/shift/targets`, layout, alreadyChecked ? () => {} : error);
  if (shift.kind !== 'asymmetric') {
    const nonSquare = shifted.filter((layer) => !isSquare(layer));
    if (nonSquare.length) {
      error(
        `${path}/shift/kind`,
        `a ${shift.kind} shift needs square layers; non-square shifted layers: ${listLayers(nonSquare)} (set ${path.slice(1).replace('/', '.')}.shift.targets to square layers)`,
      );
    }
  }
  // U·Vᵀ − V·Uᵀ with U, V n×r has rank 2r, so r can be at most n/2.
  const limit = (layer: LinearLayout) => (shift.kind === 'antisymmetric' ? Math.floor(Math.min(...layer.shape) / 2) : Math.min(...layer.shape));
  const tooSmall = shifted.filter((layer) => shift.rank > limit(layer));
  if (tooSmall.length) {
    const bound = shift.kind === 'antisymmetric' ? 'min(out, in) / 2 (an antisymmetric shift of rank r has matrix rank 2r)' : 'min(out, in)';
    error(`${path}/shift/rank`, `shift rank ${shift.rank} exceeds ${bound} of ${listLayers(tooSmall, 4)}`);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Features per example the dataset produces, or undefined when only the file knows. */
function datasetFeatures(task: Exclude<TaskConfig, { dataset: 'teacher' }>): { count?: number; text: boolean; what: string } {
  const options = task.options;
  switch (task.dataset) {
    case 'mnist':
    case 'digits':
    case 'fashion-mnist': {
      const size = options.imageSize as number;
      return { count: size * size, text: false, what: `${task.dataset} at imageSize ${size} gives ${size * size} features per example` };
    }
    case 'sentiment':
    case 'spam':
      if (options.features === 'text') return { text: true, what: 'raw text' };
      return {
        count: options.vocabSize as number,
        text: false,
        what: `bag-of-words with vocabSize ${String(options.vocabSize)} gives ${String(options.vocabSize)} features per example`,
      };
    case 'csv':
    case 'jsonl': {
      const columns = options.featureColumns as string[] | undefined;
      return { count: columns?.length, text: false, what: `${columns?.length ?? 0} featureColumns give as many features per example` };
    }
  }
}

function datasetClasses(task: Exclude<TaskConfig, { dataset: 'teacher' }>): number | undefined {
  const options = task.options;
  if (['mnist', 'digits', 'fashion-mnist'].includes(task.dataset)) return (options.classes as number[] | undefined)?.length ?? 10;
  if (task.dataset === 'sentiment' || task.dataset === 'spam') return 2;
  return undefined;
}

function checkDatasetModel(model: ModelConfig, task: Exclude<TaskConfig, { dataset: 'teacher' }>, path: string, error: Report): void {
  const features = datasetFeatures(task);
  if (model.arch === 'use-lite') {
    if (!features.text) {
      error(
        '/model/arch',
        `arch "use-lite" reads raw text, but ${path.slice(1).replace('/', '.')} "${task.dataset}" gives numeric features; use sentiment or spam with options.features "text"`,
      );
    }
  } else if (features.text) {
    error(`${path}/options/features`, `features "text" needs arch "use-lite"; arch "${model.arch}" takes numeric features (use "bow")`);
  } else if (features.count !== undefined) {
    const modelFeatures = model.arch === 'mlp' ? model.inputDim : model.inputDim * model.seqLen;
    if (modelFeatures !== features.count) {
      const fix = model.arch === 'mlp' ? `set model.inputDim to ${features.count}` : `make model.inputDim × model.seqLen equal ${features.count}`;
      error('/model/inputDim', `${features.what}, but the model takes ${modelFeatures}; ${fix}`);
    }
  }
  const classes = datasetClasses(task);
  if (classes !== undefined && model.classes < classes) {
    error('/model/classes', `${task.dataset} has ${classes} classes but the model outputs ${model.classes}`);
  }
}

function datasetSize(task: Exclude<TaskConfig, { dataset: 'teacher' }>): number | undefined {
  const options = task.options;
  if (task.dataset === 'sentiment') return (options.domains as string[]).length * SENTIMENT_PER_DOMAIN;
  if (task.dataset === 'spam') return (options.groups as string[]).reduce((sum, g) => sum + (SPAM_GROUP_SIZES[g] ?? 0), 0);
  return DATASET_SIZES[task.dataset];
}

function checkDatasetSize(task: Exclude<TaskConfig, { dataset: 'teacher' }>, path: string, error: Report): void {
  const available = datasetSize(task);
  const wanted = task.trainSize + task.valSize + task.testSize;
  if (available !== undefined && wanted > available) {
    error(
      `${path}/trainSize`,
      `${task.dataset} has ${available.toLocaleString('en-US')} examples with these options, but trainSize + valSize + testSize = ${wanted.toLocaleString('en-US')}`,
    );
  }
}

function checkTrain(train: TrainConfig, task: TaskConfig, path: string, error: Report, warn: Report): void {
  if (train.batchSize > task.trainSize) {
    error(`${path}/batchSize`, `batchSize ${train.batchSize} is larger than the training set (trainSize ${task.trainSize})`);
  }
  const steps = Math.ceil(task.trainSize / train.batchSize) * train.epochs;
  if (train.warmupSteps > steps) {
    warn(`${path}/warmupSteps`, `warmupSteps ${train.warmupSteps} exceeds the ${steps} training steps: the learning rate never reaches lr`);
  }
}
