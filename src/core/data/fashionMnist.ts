/**
 * Fashion-MNIST (Zalando Research, MIT): 60,000 train + 10,000 test images, 28×28 grey, 10
 * clothing classes. Looked for, in order: `task.options.dir`, Debian's dataset-fashion-mnist
 * (/usr/share/datasets/fashion-mnist), the fetch cache; otherwise downloaded once from the
 * canonical source and verified. Train/val are drawn from the official training images, test
 * from the official test images.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './types';
import type { LoaderContext } from './context';
import type { Checked } from './fetch';
import { downloadVerified, readVerified } from './fetch';
import { parseIdx, maybeGunzip } from './idx';
import { readString } from './options';
import { DatasetError } from './errors';
import { resolveCacheDir, resolveUserPath } from './paths';
import { sha256 } from './hash';
import { imageDataset, readImageOptions } from './digitImages';
import { AsyncMemo } from './memo';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const DEFAULT_FASHION_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const SIDE = 28;

export type IdxPart = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export interface IdxFileSpec {
  /** Name as published (gzipped); the raw name without `.gz` is accepted in local folders. */
  name: string;
  /** sha256 of the DECOMPRESSED IDX bytes, so a recompressed copy (e.g. Debian's) verifies too. */
  sha256: string;
}

/** The canonical files and digests (computed from the decompressed IDX content). */
export const FASHION_FILES: Record<IdxPart, IdxFileSpec> = {
  trainImages: { name: 'train-images-idx3-ubyte.gz', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
  trainLabels: { name: 'train-labels-idx1-ubyte.gz', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
  testImages: { name: 't10k-images-idx3-ubyte.gz', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
  testLabels: { name: 't10k-labels-idx1-ubyte.gz', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
};

/** Where the IDX files may come from; tests substitute a local server and fixture digests. */
export interface FashionSource {
  urlBase: string;
  files: Record<IdxPart, IdxFileSpec>;
  /** Folders searched before the cache (default: Debian's). */
  systemDirs: string[];
}

export function defaultFashionSource(): FashionSource {
  return {
    urlBase: process.env.SYMLORA_FASHION_MNIST_URL || DEFAULT_FASHION_URL,
    files: FASHION_FILES,
    systemDirs: [DEBIAN_FASHION_DIR],
  };
}

interface RawFashion {
  images: Uint8Array;
  labels: Uint8Array;
  trainCount: number;
  testCount: number;
  origin: string;
  version: string;
}

const memo = new AsyncMemo<string, RawFashion>();

/** Finds the IDX files in a folder (gzipped or raw names); undefined when any is missing. */
function filesIn(dir: string, files: Record<IdxPart, IdxFileSpec>): Record<IdxPart, string> | undefined {
  const found = {} as Record<IdxPart, string>;
  for (const [part, spec] of Object.entries(files) as [IdxPart, IdxFileSpec][]) {
    const candidates = [spec.name, spec.name.replace(/\.gz$/, '')].map((n) => join(dir, n));
    const hit = candidates.find((c) => existsSync(c));
    if (!hit) return undefined;
    found[part] = hit;
  }
  return found;
}

const gunzipCheck = (sha: string): Checked => ({ sha256: sha, digestOf: (bytes, file) => maybeGunzip(bytes, file) });

async function readFolder(paths: Record<IdxPart, string>): Promise<Record<IdxPart, Uint8Array>> {
  const out = {} as Record<IdxPart, Uint8Array>;
  for (const part of Object.keys(paths) as IdxPart[]) out[part] = await readFile(paths[part]);
  return out;
}

/** Cached copies, downloading (and verifying) whatever is missing. */
async function readCachedOrFetch(source: FashionSource, cacheDir: string, signal?: AbortSignal): Promise<Record<IdxPart, Uint8Array>> {
  const out = {} as Record<IdxPart, Uint8Array>;
  for (const [part, spec] of Object.entries(source.files) as [IdxPart, IdxFileSpec][]) {
    const dest = join(cacheDir, spec.name);
    const check = gunzipCheck(spec.sha256);
    const cached = await readVerified(dest, check);
    if (cached) {
      out[part] = cached;
      continue;
    }
    const url = new URL(spec.name, source.urlBase.endsWith('/') ? source.urlBase : `${source.urlBase}/`).href;
    try {
      out[part] = await downloadVerified(url, dest, check, signal);
    } catch (err) {
      throw new DatasetError(
        `Fashion-MNIST not found locally and the download failed: ${(err as Error).message}\n` +
          `Ways out: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), set task.options.dir ` +
          `to a folder holding the four IDX files, or put them in ${cacheDir}`,
      );
    }
  }
  return out;
}

function assemble(bytes: Record<IdxPart, Uint8Array>, where: Record<IdxPart, string>, origin: string): RawFashion {
  const arrays = Object.fromEntries(
    (Object.keys(bytes) as IdxPart[]).map((part) => [part, parseIdx(bytes[part], where[part])]),
  ) as Record<IdxPart, ReturnType<typeof parseIdx>>;
  for (const part of ['trainImages', 'testImages'] as const) {
    const d = arrays[part].dims;
    if (d.length !== 3 || d[1] !== SIDE || d[2] !== SIDE) throw new DatasetError(`expected n×28×28 images, got ${d.join('×')}`, { file: where[part] });
  }
  for (const [images, labels] of [['trainImages', 'trainLabels'], ['testImages', 'testLabels']] as const) {
    if (arrays[labels].dims.length !== 1 || arrays[labels].dims[0] !== arrays[images].dims[0]) {
      throw new DatasetError(`${arrays[labels].dims.join('×')} labels for ${arrays[images].dims[0]} images`, { file: where[labels] });
    }
    const bad = arrays[labels].data.findIndex((l) => l > 9);
    if (bad >= 0) throw new DatasetError(`label ${arrays[labels].data[bad]} at index ${bad} is not in 0..9`, { file: where[labels] });
  }
  const trainCount = arrays.trainImages.dims[0];
  const testCount = arrays.testImages.dims[0];
  const images = new Uint8Array((trainCount + testCount) * SIDE * SIDE);
  images.set(arrays.trainImages.data, 0);
  images.set(arrays.testImages.data, trainCount * SIDE * SIDE);
  const labels = new Uint8Array(trainCount + testCount);
  labels.set(arrays.trainLabels.data, 0);
  labels.set(arrays.testLabels.data, trainCount);
  const version = `fashion-mnist sha256:${sha256(Object.values(arrays).map((a) => sha256(a.data)).join(''))}`;
  return { images, labels, trainCount, testCount, origin, version };
}

async function locateAndRead(dir: string | undefined, source: FashionSource, cacheDir: string, signal?: AbortSignal): Promise<RawFashion> {
  if (dir !== undefined) {
    const paths = filesIn(dir, source.files);
    if (!paths) {
      throw new DatasetError(
        `task.options.dir: ${dir} does not hold the Fashion-MNIST IDX files (${Object.values(source.files).map((f) => f.name).join(', ')}, gzipped or not)`,
      );
    }
    return assemble(await readFolder(paths), paths, dir);
  }
  for (const systemDir of source.systemDirs) {
    const paths = filesIn(systemDir, source.files);
    if (paths) return assemble(await readFolder(paths), paths, systemDir);
  }
  const bytes = await readCachedOrFetch(source, cacheDir, signal);
  const where = Object.fromEntries(Object.entries(source.files).map(([p, s]) => [p, join(cacheDir, s.name)])) as Record<IdxPart, string>;
  return assemble(bytes, where, cacheDir);
}

export async function loadFashionMnist(ctx: LoaderContext, source: FashionSource = defaultFashionSource()): Promise<Dataset> {
  const { imageSize, classes } = readImageOptions(ctx, 'fashion-mnist', [28, 14, 8] as const, 28, ['dir']);
  const dirOption = readString(ctx.options, 'dir');
  const dir = dirOption === undefined ? undefined : resolveUserPath(dirOption, ctx.baseDir);
  const cacheDir = join(resolveCacheDir(ctx.cacheDir), 'fashion-mnist');
  const key = JSON.stringify([dir, source, cacheDir]);
  const raw = await memo.get(key, () => locateAndRead(dir, source, cacheDir, ctx.signal));
  // Class subsets relabel 0..k-1 in the order given; other examples are left out of the pools.
  const newLabel = new Int32Array(10).fill(-1);
  classes.forEach((c, i) => (newLabel[c] = i));
  const y = Int32Array.from(raw.labels, (l) => newLabel[l]);
  const kept = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k).filter((i) => y[i] >= 0);
  return imageDataset(ctx, {
    dataset: 'fashion-mnist',
    side: SIDE,
    imageSize,
    classes,
    classNames: classes.map((c) => FASHION_CLASSES[c]),
    version: raw.version,
    pool: {
      x: raw.images,
      featureSize: SIDE * SIDE,
      y,
      scale: 1 / 255,
      fixed: {
        trainPool: kept(0, raw.trainCount),
        testPool: kept(raw.trainCount, raw.trainCount + raw.testCount),
        description: 'official: train/val from the 60k training images, test from the 10k test images; stratified, seeded',
      },
    },
    resize: 'area average',
    source: `Fashion-MNIST IDX files from ${raw.origin}`,
    licence: 'MIT (Zalando Research)',
    normalisation: 'bytes 0..255 divided by 255 → [0,1]',
  });
}

/** Forgets the parsed files held in memory (tests use it to exercise the disk cache). */
export function clearFashionMemo(): void {
  memo.clear();
}
