/**
 * Plumbing shared by the ten-class image sets (MNIST, digits, Fashion-MNIST): the `imageSize` /
 * `classes` options, class subsets, and turning a pool of square images into resized, seeded
 * splits.
 */
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import type { Pool } from './build';
import { splitPool, mapFeatures } from './build';
import { resizeImages } from './image';
import { checkKnownKeys, readChoice } from './options';
import { optionError } from './errors';

/** A whole image set as read from disk: row-major pixels in [0,1] and digit labels. */
export interface RawImages {
  x: Float32Array;
  y: Int32Array;
  version: string;
}

/** `classes` option: distinct digits, mapped to class indices in the order given. */
export function readDigitClasses(options: Record<string, unknown>): number[] {
  const value = options.classes;
  if (value === undefined) return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  if (!Array.isArray(value) || value.length < 2) throw optionError('classes', `must list at least two classes (0..9), got ${JSON.stringify(value)}`);
  value.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 9) throw optionError(`classes[${i}]`, `must be a class index 0..9, got ${JSON.stringify(d)}`);
    if (value.indexOf(d) !== i) throw optionError(`classes[${i}]`, `duplicate class ${d}`);
  });
  return value as number[];
}

/** The options every image set takes (`imageSize`, `classes`), after checking for unknown keys. */
export function readImageOptions<S extends number>(
  ctx: LoaderContext,
  dataset: string,
  imageSizes: readonly S[],
  defaultSize: S,
  extraKeys: readonly string[] = [],
): { imageSize: S; classes: number[] } {
  checkKnownKeys(ctx.options, [...extraKeys, 'imageSize', 'classes'], dataset);
  return { imageSize: readChoice(ctx.options, 'imageSize', imageSizes, defaultSize), classes: readDigitClasses(ctx.options) };
}

/** Keeps only the chosen digits and relabels them 0..k-1. */
export function selectClasses(x: Float32Array, y: Int32Array, featureSize: number, classes: number[]): { x: Float32Array; y: Int32Array } {
  if (classes.length === 10 && classes.every((d, i) => d === i)) return { x, y };
  const newLabel = new Map(classes.map((d, i) => [d, i]));
  const keep: number[] = [];
  y.forEach((label, i) => {
    if (newLabel.has(label)) keep.push(i);
  });
  const outX = new Float32Array(keep.length * featureSize);
  const outY = new Int32Array(keep.length);
  keep.forEach((src, row) => {
    outX.set(x.subarray(src * featureSize, (src + 1) * featureSize), row * featureSize);
    outY[row] = newLabel.get(y[src])!;
  });
  return { x: outX, y: outY };
}

export interface ImageSet {
  /** Dataset id: in messages, and the name's stem when images are resized. */
  dataset: string;
  /** Name when images keep their native size (default: `dataset`). */
  nativeName?: string;
  /** Native image side; pool rows hold side×side pixels. */
  side: number;
  imageSize: number;
  classes: number[];
  classNames: string[];
  version: string;
  pool: Pool;
  /** How images are resized when `imageSize` differs from `side`. */
  resize: string;
  source: string;
  licence: string;
  normalisation: string;
}

/** Seeded splits of the pool, each resized to imageSize², described for `info`. */
export function imageDataset(ctx: LoaderContext, set: ImageSet): Dataset {
  const { splits, info } = splitPool(set.pool, ctx.sizes, ctx.seed, set.dataset);
  const resized = mapFeatures(splits, (features, count) => resizeImages(features, count, set.side, set.imageSize));
  const native = set.imageSize === set.side;
  return {
    name: native ? (set.nativeName ?? set.dataset) : `${set.dataset}(${set.side}x${set.side}→${set.imageSize}x${set.imageSize})`,
    version: set.version,
    inputShape: [set.imageSize * set.imageSize],
    numClasses: set.classes.length,
    classNames: set.classNames,
    ...resized,
    info: {
      ...info,
      source: set.source,
      licence: set.licence,
      imageSize: set.imageSize,
      resize: native ? 'none' : set.resize,
      normalisation: set.normalisation,
      classes: set.classes.join(','),
    },
  };
}

/** A set of 0..9 digit images read whole from disk (MNIST, digits): what loadDigitImages needs besides the context. */
export interface DigitImageSource extends Omit<ImageSet, 'imageSize' | 'classes' | 'classNames' | 'version' | 'pool'> {
  imageSizes: readonly number[];
  defaultSize: number;
  loadRaw: () => Promise<RawImages>;
}

/** Options, then the raw images (cached by the source), the chosen classes, and seeded resized splits. */
export async function loadDigitImages(ctx: LoaderContext, source: DigitImageSource): Promise<Dataset> {
  const { imageSizes, defaultSize, loadRaw, ...about } = source;
  const { imageSize, classes } = readImageOptions(ctx, source.dataset, imageSizes, defaultSize);
  const raw = await loadRaw();
  const pixels = source.side * source.side;
  return imageDataset(ctx, {
    ...about,
    imageSize,
    classes,
    classNames: classes.map(String),
    version: raw.version,
    pool: { ...selectClasses(raw.x, raw.y, pixels, classes), featureSize: pixels },
  });
}
