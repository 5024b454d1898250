// Fashion-MNIST: IDX parsing, local folders, and the download-once cache exercised against an
// HTTP server on 127.0.0.1 serving small fixture files (never the internet).
import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  loadFashionMnist,
  clearFashionMemo,
  defaultFashionSource,
  DEBIAN_FASHION_DIR,
  type FashionSource,
  type IdxFileSpec,
  type IdxPart,
} from '../../src/core/data/fashionMnist';
import { parseIdx } from '../../src/core/data/idx';
import { loadDataset } from '../../src/core/data/registry';
import type { LoaderContext } from '../../src/core/data/context';

const FIXTURE = join(__dirname, '..', 'fixtures', 'data', 'fashion-mini');
const CHECKSUMS = JSON.parse(readFileSync(join(FIXTURE, 'checksums.json'), 'utf8')) as Record<IdxPart, IdxFileSpec>;

type Mode = 'ok' | 'corrupt' | 'truncate';
let server: Server;
let base = '';
let mode: Mode = 'ok';
let requests: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    requests.push(name);
    const file = join(FIXTURE, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    if (mode === 'corrupt') {
      res.writeHead(200).end(Buffer.from(body).fill(7, 20));
    } else if (mode === 'truncate') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else {
      res.writeHead(200).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

let cacheRoot: string;
beforeEach(() => {
  clearFashionMemo();
  mode = 'ok';
  requests = [];
  cacheRoot = mkdtempSync(join(tmpdir(), 'symlora-fashion-'));
});
afterEach(() => rmSync(cacheRoot, { recursive: true, force: true }));

/** A local URL on which nothing listens: a port just released by a server of our own. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

const source = (overrides: Partial<FashionSource> = {}): FashionSource => ({ urlBase: base, files: CHECKSUMS, systemDirs: [], ...overrides });
const ctx = (options: Record<string, unknown> = {}, seed = 1): LoaderContext => ({
  options,
  sizes: { train: 20, val: 10, test: 10 },
  seed,
  cacheDir: cacheRoot,
});
const cacheFiles = () => (existsSync(join(cacheRoot, 'fashion-mnist')) ? readdirSync(join(cacheRoot, 'fashion-mnist')).sort() : []);

describe('IDX parsing', () => {
  test('reads gzipped and raw files and rejects malformed ones', () => {
    const images = parseIdx(readFileSync(join(FIXTURE, 'train-images-idx3-ubyte.gz')), 'x.gz');
    assert.deepEqual(images.dims, [40, 28, 28]);
    const labels = parseIdx(readFileSync(join(FIXTURE, 'train-labels-idx1-ubyte')), 'y');
    assert.deepEqual(labels.dims, [40]);
    assert.deepEqual([...labels.data.subarray(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    const raw = readFileSync(join(FIXTURE, 'train-labels-idx1-ubyte'));
    assert.throws(() => parseIdx(raw.subarray(0, raw.length - 1), 'short'), /short: IDX payload is 39 bytes, dimensions 40 need 40/);
    assert.throws(() => parseIdx(Buffer.from([1, 2, 3, 4]), 'bad'), /bad: not an IDX file/);
    assert.throws(() => parseIdx(Buffer.from([0x1f, 0x8b, 0, 0, 0]), 'gz'), /gz: corrupt gzip/);
  });
});

describe('fetch into the cache', () => {
  test('downloads once, verifies, and then loads offline from the cache', async () => {
    const first = await loadFashionMnist(ctx(), source());
    assert.equal(requests.length, 4);
    assert.deepEqual(
      cacheFiles(),
      Object.values(CHECKSUMS)
        .map((f) => f.name)
        .sort(),
    );
    assert.equal(first.train.count, 20);
    assert.equal(first.test.count, 10);
    assert.equal(first.info.source, `Fashion-MNIST IDX files from ${join(cacheRoot, 'fashion-mnist')}`);
    // Fixture class k is a bright band at rows 2k..2k+4: check a test image really is that.
    const label = first.test.y[0];
    const row = 2 * label + 1;
    assert.ok(first.test.x[row * 28 + 3] > 0.75, 'pixel inside the band is bright');
    assert.equal(first.test.x[((2 * label + 7) % 28) * 28 + 3], 0, 'pixel outside the band is dark');

    clearFashionMemo();
    requests = [];
    const offline = source({ urlBase: await deadUrl() });
    const second = await loadFashionMnist(ctx(), offline);
    assert.equal(requests.length, 0);
    assert.deepEqual(second.test.x, first.test.x);
    assert.equal(second.version, first.version);
  });

  test('a wrong checksum is rejected and nothing is left in the cache', async () => {
    const wrong = { ...CHECKSUMS, trainImages: { ...CHECKSUMS.trainImages, sha256: '0'.repeat(64) } };
    await assert.rejects(loadFashionMnist(ctx(), source({ files: wrong })), /checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz/);
    assert.deepEqual(cacheFiles(), []);
  });

  test('corrupted bytes from the server are rejected, no partial file remains', async () => {
    mode = 'corrupt';
    await assert.rejects(loadFashionMnist(ctx(), source()), /checksum mismatch/);
    assert.deepEqual(cacheFiles(), []);
  });

  test('a connection dropped mid-download leaves nothing half-written', async () => {
    mode = 'truncate';
    await assert.rejects(
      loadFashionMnist(ctx(), source()),
      /download failed: download of http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz was interrupted/,
    );
    assert.deepEqual(cacheFiles(), []);
  });

  test('a corrupted cached file is discarded and downloaded again', async () => {
    await loadFashionMnist(ctx(), source());
    const cached = join(cacheRoot, 'fashion-mnist', CHECKSUMS.testLabels.name);
    writeFileSync(cached, 'garbage');
    clearFashionMemo();
    requests = [];
    const again = await loadFashionMnist(ctx(), source());
    assert.deepEqual(requests, [CHECKSUMS.testLabels.name]);
    assert.equal(again.test.count, 10);
    assert.notEqual(readFileSync(cached, 'utf8'), 'garbage');
  });

  test('offline without a local copy: a clear error naming the ways out', async () => {
    const dead = await deadUrl();
    await assert.rejects(
      loadFashionMnist(ctx(), source({ urlBase: dead })),
      (err: Error) =>
        err.message.includes(`cannot download ${dead}train-images-idx3-ubyte.gz (ECONNREFUSED)`) &&
        err.message.includes('dataset-fashion-mnist') &&
        err.message.includes('task.options.dir') &&
        err.message.includes(join(cacheRoot, 'fashion-mnist')),
    );
    assert.deepEqual(
      cacheFiles().filter((f) => f.endsWith('.part')),
      [],
    );
  });

  test('SYMLORA_FASHION_MNIST_URL overrides the download base', () => {
    const saved = process.env.SYMLORA_FASHION_MNIST_URL;
    process.env.SYMLORA_FASHION_MNIST_URL = base;
    try {
      assert.equal(defaultFashionSource().urlBase, base);
    } finally {
      if (saved === undefined) delete process.env.SYMLORA_FASHION_MNIST_URL;
      else process.env.SYMLORA_FASHION_MNIST_URL = saved;
    }
    assert.match(defaultFashionSource().urlBase, /^http:\/\/fashion-mnist\.s3-website/);
  });
});

describe('local folders', () => {
  test('task.options.dir is read relative to baseDir, without any request', async () => {
    const d = await loadFashionMnist({ ...ctx({ dir: 'fashion-mini', imageSize: 14 }), baseDir: join(FIXTURE, '..') }, source());
    assert.equal(requests.length, 0);
    assert.deepEqual(d.inputShape, [196]);
    assert.equal(d.train.x.length, 20 * 196);
    assert.equal(d.name, 'fashion-mnist(28x28→14x14)');
  });

  test('classes keeps a subset, relabelled in the given order, from both official parts', async () => {
    const d = await loadFashionMnist({ ...ctx({ dir: FIXTURE, classes: [9, 0, 5] }), sizes: { train: 10, val: 2, test: 6 } }, source());
    assert.deepEqual(d.classNames, ['Ankle boot', 'T-shirt/top', 'Sandal']);
    assert.equal(d.numClasses, 3);
    assert.equal(d.info.examplesAvailable, 18, '4 + 2 examples of each of the 3 classes');
    assert.deepEqual([...d.test.y].sort(), [0, 0, 1, 1, 2, 2]);
    // Fixture class k is a band at rows 2k..2k+4: class 0 here is "Ankle boot" (9), rows 18..22.
    const first = d.test.y.indexOf(0);
    assert.ok(d.test.x[first * 784 + 19 * 28 + 3] > 0.75);
    assert.equal(d.test.x[first * 784 + 1 * 28 + 3], 0);
  });

  test('a dir without the files is an error naming the option', async () => {
    await assert.rejects(loadFashionMnist(ctx({ dir: tmpdir() }), source()), /task\.options\.dir: .* does not hold the Fashion-MNIST IDX files/);
  });

  test('splits: official train pool for train/val, test pool for test; deterministic by seed', async () => {
    const a = await loadFashionMnist(ctx({ dir: FIXTURE }, 3), source());
    const b = await loadFashionMnist(ctx({ dir: FIXTURE }, 3), source());
    const c = await loadFashionMnist(ctx({ dir: FIXTURE }, 4), source());
    assert.deepEqual(a.train.x, b.train.x);
    assert.deepEqual(a.train.y, b.train.y);
    assert.notDeepEqual(a.train.y, c.train.y);
    assert.equal(a.info.split, 'official: train/val from the 60k training images, test from the 10k test images; stratified, seeded');
  });

  test('too few examples for the requested sizes: shrinks and records it, or errors when a split would be empty', async () => {
    const small = await loadFashionMnist({ ...ctx({ dir: FIXTURE }), sizes: { train: 60, val: 20, test: 10 } }, source());
    assert.equal(small.train.count + small.val.count, 40);
    assert.equal(small.info.truncated, true);
    await assert.rejects(
      loadFashionMnist({ ...ctx({ dir: FIXTURE }), sizes: { train: 2000, val: 10, test: 10 } }, source()),
      /has only 40 examples, too few for valSize=10/,
    );
  });
});

describe('Debian copy (when installed)', { skip: !existsSync(DEBIAN_FASHION_DIR) && `${DEBIAN_FASHION_DIR} not installed` }, () => {
  test('loadDataset finds the system copy, 60k/10k, canonical content', async () => {
    clearFashionMemo();
    const d = await loadDataset({ dataset: 'fashion-mnist', options: {}, trainSize: 500, valSize: 100, testSize: 200 }, { seed: 0, cacheDir: cacheRoot });
    assert.equal(d.info.examplesAvailable, 70000);
    assert.equal(d.info.source, `Fashion-MNIST IDX files from ${DEBIAN_FASHION_DIR}`);
    assert.deepEqual([d.train.count, d.val.count, d.test.count], [500, 100, 200]);
    assert.equal(d.classNames[9], 'Ankle boot');
    assert.ok(d.train.x.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(cacheFiles(), []);
  });
});
