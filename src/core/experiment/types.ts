/**
 * The experiment file (`*.symlora.json`) as TypeScript types.
 * The JSON Schema in `schemas/experiment.schema.json` is the source of truth for validation; these types mirror it
 * after defaults have been applied (see `defaults.ts`), so every field here is present.
 */

export type AdapterKind = 'lora' | 'symlora' | 'full' | 'head' | 'none';
export const ADAPTER_KINDS: readonly AdapterKind[] = ['lora', 'symlora', 'full', 'head', 'none'];

export type Activation = 'relu' | 'gelu' | 'tanh';

export interface MlpModelConfig {
  arch: 'mlp';
  inputDim: number;
  hidden: number[];
  classes: number;
  activation: Activation;
}

export interface TransformerModelConfig {
  arch: 'transformer';
  /** Features per token of the input sequence. */
  inputDim: number;
  seqLen: number;
  dModel: number;
  heads: number;
  layers: number;
  ffnDim: number;
  classes: number;
}

/** Universal Sentence Encoder Lite rebuilt from its shipped weights (issue 4). */
export interface UseLiteModelConfig {
  arch: 'use-lite';
  classes: number;
  maxTokens: number;
}

export type ModelConfig = MlpModelConfig | TransformerModelConfig | UseLiteModelConfig;

export interface TeacherShift {
  rank: number;
  /** 'symmetric' = Q·diag(λ)·Qᵀ, 'asymmetric' = U·diag(σ)·Vᵀ, 'antisymmetric' = U·Vᵀ − V·Uᵀ. */
  kind: 'symmetric' | 'asymmetric' | 'antisymmetric';
  /** Spectral scale of the shift relative to the layer weights' spectral norm. */
  scale: number;
  /** Layer patterns the teacher shifts (defaults to the adapter's targets). */
  targets: string[];
}

export interface TeacherTask {
  dataset: 'teacher';
  shift: TeacherShift;
  /** 'class': labels are argmax of the teacher's logits (cross-entropy); 'logits': regress the teacher's logits (MSE). */
  labels: 'class' | 'logits';
  trainSize: number;
  valSize: number;
  testSize: number;
}

export interface DatasetTask {
  dataset: 'mnist' | 'digits' | 'fashion-mnist' | 'sentiment' | 'spam' | 'csv' | 'jsonl';
  /** Dataset-specific options (file path, label column, domains, image size...). */
  options: Record<string, unknown>;
  trainSize: number;
  valSize: number;
  testSize: number;
}

export type TaskConfig = TeacherTask | DatasetTask;

export type NonSquarePolicy = 'skip' | 'lora';
export type SymLoraInit = 'zero' | 'eig';
export type ScalingRule = 'alpha/r' | 'alpha/sqrt(r)';

export interface AdapterConfig {
  kind: AdapterKind;
  rank: number;
  alpha: number;
  scaling: ScalingRule;
  /** Glob patterns over layer names (`*` matches any run of characters). */
  targets: string[];
  /** What symlora does with non-square targets. */
  nonSquare: NonSquarePolicy;
  init: SymLoraInit;
  /** Whether the classification head is trained alongside the adapters (as PEFT's modules_to_save). */
  trainHead: boolean;
}

export type Schedule = 'constant' | 'cosine';
export type OptimizerName = 'adam' | 'adamw';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  schedule: Schedule;
  warmupSteps: number;
  /** Evaluate on the validation split every N steps (0 = once per epoch). */
  evalEvery: number;
  /** Log a spectrum snapshot every N steps (0 = only at the end). */
  spectrumEvery: number;
  /** Save a checkpoint every N steps (0 = only at the end). */
  checkpointEvery: number;
  /** Clip the global gradient norm (0 = off). */
  gradClip: number;
}

/** What pretraining trains: every weight, or the classifier head on top of the shipped encoder (use-lite). */
export type PretrainTrainable = 'all' | 'head';

export interface PretrainConfig {
  task: TaskConfig;
  train: TrainConfig;
  seed: number;
  trainable: PretrainTrainable;
}

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface ExperimentConfig {
  name: string;
  description: string;
  model: ModelConfig;
  task: TaskConfig;
  pretrain?: PretrainConfig;
  adapter: AdapterConfig;
  train: TrainConfig;
  seed: number;
  backend: BackendName;
  /** Dotted paths → lists of values; the run grid is their Cartesian product. */
  sweep: Record<string, unknown[]>;
}

/** One concrete run: an experiment with the sweep resolved. */
export interface RunSpec {
  /** Experiment name (groups runs in the UI). */
  experiment: string;
  /** Path of the experiment file it came from, if any. */
  sourceFile?: string;
  /** The sweep assignment that produced this run, e.g. {"adapter.rank": 4, "seed": 1}. */
  sweepPoint: Record<string, unknown>;
  config: Omit<ExperimentConfig, 'sweep'>;
}
