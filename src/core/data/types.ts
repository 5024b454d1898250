/** A supervised classification dataset held in memory, already split and normalised. */

export interface Split {
  /** Row-major features, `count × featureSize` (featureSize = product of `inputShape`). */
  x: Float32Array;
  /** Class index per example (for regression tasks: unused, see `targets`). */
  y: Int32Array;
  /** Optional regression targets, `count × targetSize` (teacher task with labels: 'logits'). */
  targets?: Float32Array;
  /** Raw text per example, for text datasets (used by models that tokenise themselves, e.g. use-lite). */
  text?: string[];
  count: number;
}

export interface Dataset {
  /** e.g. "mnist", "digits(8x8→28x28)", "teacher(symmetric, r=4)". */
  name: string;
  /** Version string recorded in run.json (package version, file sha256, generator version...). */
  version: string;
  /** Per-example input shape: [features] for tabular/MLP, [seqLen, features] for sequences. */
  inputShape: number[];
  numClasses: number;
  classNames: string[];
  train: Split;
  val: Split;
  test: Split;
  /** Free-form facts worth recording (source, licence, normalisation, truncation counts...). */
  info: Record<string, string | number | boolean>;
}
