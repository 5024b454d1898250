/**
 * The 8×8 handwritten digits (UCI optical digits test set as shipped by scikit-learn), 1,797
 * examples, intensities 0..16. Shipped in data/digits/digits.csv.gz (BSD-3, see LICENSE.md).
 * Intensities are rescaled to [0,1] and images optionally enlarged bilinearly to 14×14 or
 * 28×28 so a model pretrained on MNIST sees inputs of the same size and range.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import { DatasetError } from './errors';
import { shippedDataPath } from './paths';
import { sha256 } from './hash';
import type { RawImages } from './digitImages';
import { loadDigitImages } from './digitImages';
import { cachedOnce } from './memo';

const SIDE = 8;
const PIXELS = SIDE * SIDE;
const MAX_INTENSITY = 16;
export const DIGITS_IMAGE_SIZES = [8, 14, 28] as const;

/** Reads and parses the shipped CSV once per process. */
export const loadRawDigits = cachedOnce(readRawDigits);

async function readRawDigits(): Promise<RawImages> {
  const file = shippedDataPath('digits', 'digits.csv.gz');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new DatasetError(`cannot read the shipped digits data (${(err as Error).message})`, { file });
  }
  const rows = parse(gunzipSync(bytes), { skip_empty_lines: true }) as string[][];
  const x = new Float32Array(rows.length * PIXELS);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    if (row.length !== PIXELS + 1) throw new DatasetError(`expected ${PIXELS + 1} values, found ${row.length}`, { file, line: i + 1 });
    for (let k = 0; k < PIXELS; k++) x[i * PIXELS + k] = Number(row[k]) / MAX_INTENSITY;
    y[i] = Number(row[PIXELS]);
  });
  return { x, y, version: `sklearn digits.csv.gz sha256:${sha256(bytes)}` };
}

export function loadDigits(ctx: LoaderContext): Promise<Dataset> {
  return loadDigitImages(ctx, {
    dataset: 'digits',
    nativeName: 'digits(8x8)',
    side: SIDE,
    imageSizes: DIGITS_IMAGE_SIZES,
    defaultSize: 8,
    loadRaw: loadRawDigits,
    resize: 'bilinear (half-pixel centres)',
    source: 'UCI optical recognition of handwritten digits (test set), as scikit-learn digits.csv.gz; shipped in data/digits',
    licence: 'BSD-3-Clause (scikit-learn); data by E. Alpaydin, C. Kaynak',
    normalisation: 'intensities 0..16 divided by 16 → [0,1] (MNIST range)',
  });
}
