/**
 * Universal Sentence Encoder Lite, rebuilt in tfjs-core ops from the shipped graph's weights, with
 * every projection a named `Linear` so adapters can sit inside attention.
 *
 * Forward pass (as in model.json, "KonaTransformer"):
 *   x0 = 2·E[id] + sinusoidal timing signal(position)                       [T, 256]
 *        (the embedding is added twice in the shipped graph; we keep that)
 *   layer 0: a = LN(x0); h = o(attn(q a, k a, v a)) + residual(x0)          256 → 512
 *            h = h + down(relu(up(LN(h))))
 *   layer 1: h = h + o(attn(q LN(h), k LN(h), v LN(h))); h = h + ffn(LN(h))  512
 *   e = l2normalize(tanh(pooler(mean over real tokens of h)))              [512]
 * Attention has 4 heads, keys at padded positions get −1e9, layer norms use ε = 1e−6.
 * The classifier `head` reads e. Everything except adapters and the head stays frozen.
 *
 * Input rows are token ids as floats, padded with −1 (see tokenize.ts). Like the graph, every
 * per-token layer runs on the real tokens only (packed [N, d]); only attention sees padded grids,
 * built per group of 16 similar-length texts, so short sentences pay neither for `maxTokens` nor
 * for their batch's longest text.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { UseLiteModelConfig } from '../../experiment/types';
import type { Rng } from '../../rng';
import { Linear } from '../linear';
import type { Model } from '../model';
import { mm } from '../../ops';
import { attention, layerNorm, type LayerNormParams } from '../transformer';
import { attnWidth, USE_LITE, useLiteLinears } from './dims';
import { gatherRows } from './rows';
import { PAD_ID } from './tokenize';
import { rawTensor, type UseLiteFiles } from './weights';

const GRAPH = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const KERNELS = 'module/Encoder_en/KonaTransformer/Encode/';
const STACK = `${GRAPH}TransformerStack/`;

export class UseLiteEncoder implements Model {
  readonly linears: Linear[];
  readonly others = new Map<string, tf.Variable>();
  private readonly byName = new Map<string, Linear>();
  /** Sinusoidal position signal for positions 0..maxTokens-1, [maxTokens, 256] (fixed, not a parameter). */
  private readonly timing: tf.Tensor2D;

  constructor(
    readonly config: UseLiteModelConfig,
    files: UseLiteFiles,
    rng: Rng,
  ) {
    checkConfig(config);
    this.linears = useLiteLinears(config.classes).map(({ name, shape: [out, inp] }) => new Linear(name, inp, out, rng, Math.sqrt(1 / inp)));
    this.linears.forEach((l) => this.byName.set(l.name, l));
    try {
      loadWeights(this, files);
      this.timing = timingSignal(files, config.maxTokens);
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  linear(name: string): Linear {
    const layer = this.byName.get(name);
    if (!layer) throw new Error(`use-lite has no layer "${name}"`);
    return layer;
  }

  private norm(name: string): LayerNormParams {
    return { gamma: this.others.get(`${name}.gamma`)!, beta: this.others.get(`${name}.beta`)! };
  }

  /** Token ids [batch, maxTokens] (−1 = padding) → the 512-d sentence embeddings (unit length). */
  embed(x: tf.Tensor2D): tf.Tensor2D {
    const layout = packLayout(x);
    const { batch, tokens } = layout;
    if (tokens === 0) return this.finish(tf.zeros([batch, USE_LITE.dModel])); // only empty texts
    const embedded = gatherRows(this.others.get('embed.tokens')! as tf.Tensor2D, tf.tensor1d(layout.ids, 'int32'));
    const timing = tf.gather(this.timing, tf.tensor1d(layout.positions, 'int32'));
    // The graph adds the embeddings twice: AddTimingSignal returns E + signal, and the stack adds
    // that to E again.
    let h = tf.add(tf.mul(embedded, 2), timing) as tf.Tensor2D;
    const grid: Grid = {
      groups: layout.groups.map((g) => ({ ...g, bias: tf.tensor4d(layout.keyBias.subarray(g.cell, g.cell + g.rows * g.seq), [g.rows, 1, 1, g.seq]) })),
      padded: tf.tensor1d(layout.paddedIndex, 'int32'),
      packed: tf.tensor1d(layout.packedIndex, 'int32'),
    };
    for (let l = 0; l < USE_LITE.layers; l++) h = this.block(l, h, grid);
    const pooled = mm(tf.tensor2d(layout.meanWeights, [batch, tokens]), h); // mean over each text's tokens
    return this.finish(pooled);
  }

  /** pooled [B, 512] → l2normalize(tanh(pooler(pooled))). */
  private finish(pooled: tf.Tensor2D): tf.Tensor2D {
    const e = tf.tanh(this.linear('pooler').forward(pooled));
    const norm = tf.rsqrt(tf.maximum(tf.sum(tf.square(e), 1, true), 1e-12));
    return tf.mul(e, norm) as tf.Tensor2D;
  }

  /**
   * One transformer layer on packed tokens [N, w] (every projection, norm and the FFN run only on
   * real tokens, as the graph's gather/scatter does); attention alone works on padded grids, one
   * per group of similar-length texts.
   */
  private block(l: number, x: tf.Tensor2D, grid: Grid): tf.Tensor2D {
    const p = `encoder.${l}`;
    const eps = USE_LITE.layerNormEps;
    const a = layerNorm(x, this.norm(`${p}.ln1`), eps);
    const toGrid = (t: tf.Tensor2D) => gatherRows(tf.concat([t, tf.zeros([1, t.shape[1]])]) as tf.Tensor2D, grid.padded);
    const [q, k, v] = (['q', 'k', 'v'] as const).map((name) => toGrid(this.linear(`${p}.attn.${name}`).forward(a)));
    const contexts = grid.groups.map((g) => {
      const cells = (t: tf.Tensor2D) => tf.slice(t, [g.cell, 0], [g.rows * g.seq, -1]);
      return attention(cells(q), cells(k), cells(v), g.rows, g.seq, USE_LITE.heads, g.bias);
    });
    const ctx = gatherRows(contexts.length === 1 ? contexts[0] : (tf.concat(contexts) as tf.Tensor2D), grid.packed);
    const residual = attnWidth(l) === USE_LITE.dModel ? x : this.linear(`${p}.residual`).forward(x);
    const h = tf.add(residual, this.linear(`${p}.attn.o`).forward(ctx)) as tf.Tensor2D;
    const up = tf.relu(this.linear(`${p}.ffn.up`).forward(layerNorm(h, this.norm(`${p}.ln2`), eps))) as tf.Tensor2D;
    return tf.add(h, this.linear(`${p}.ffn.down`).forward(up)) as tf.Tensor2D;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.linear('head').forward(this.embed(x));
  }

  dispose(): void {
    this.linears.forEach((l) => l.dispose());
    this.others.forEach((v) => v.dispose());
    this.timing?.dispose();
  }
}

function checkConfig(config: UseLiteModelConfig): void {
  if (!Number.isInteger(config.classes) || config.classes < 1)
    throw new Error(`model.classes: must be a positive integer, got ${JSON.stringify(config.classes)}`);
  if (!Number.isInteger(config.maxTokens) || config.maxTokens < 1 || config.maxTokens > USE_LITE.maxTokens) {
    throw new Error(
      `model.maxTokens: USE-Lite reads at most ${USE_LITE.maxTokens} tokens per text (its graph clips there); got ${JSON.stringify(config.maxTokens)}`,
    );
  }
}

/** Texts per attention group: sorting by length and grouping keeps the padded grids small. */
export const ATTENTION_GROUP = 16;

export interface AttentionGroup {
  /** First grid cell of this group in the concatenated grids. */
  cell: number;
  rows: number;
  /** Longest text of the group (at least 1). */
  seq: number;
}

interface Grid {
  groups: (AttentionGroup & { bias: tf.Tensor })[];
  /** Grid cell → packed token index, or N (a zero row) for padding. */
  padded: tf.Tensor1D;
  /** Packed token → its grid cell. */
  packed: tf.Tensor1D;
}

export interface PackLayout {
  batch: number;
  /** Real tokens in the batch (N), packed text by text in input order. */
  tokens: number;
  ids: Int32Array;
  positions: Int32Array;
  /** Texts sorted by length in groups of ATTENTION_GROUP, each on a [rows, seq] grid, concatenated. */
  groups: AttentionGroup[];
  paddedIndex: Int32Array;
  packedIndex: Int32Array;
  /** Additive attention mask per grid cell: 0 for real keys, −1e9 for padding. */
  keyBias: Float32Array;
  /** [B, N]: 1/length where token j belongs to text b, so meanWeights·h averages each text. */
  meanWeights: Float32Array;
}

/**
 * Where the real tokens are. Each row holds its ids from column 0 and then −1 padding; a −1 in
 * the middle ends the text there (rows come from encodeTexts, which never does that).
 */
export function packLayout(x: tf.Tensor2D): PackLayout {
  const [batch, width] = x.shape;
  const values = x.dataSync();
  const lengths = new Int32Array(batch);
  const start = new Int32Array(batch);
  let tokens = 0;
  for (let r = 0; r < batch; r++) {
    let n = 0;
    while (n < width && values[r * width + n] !== PAD_ID) n++;
    lengths[r] = n;
    start[r] = tokens;
    tokens += n;
  }
  const ids = new Int32Array(tokens);
  const positions = new Int32Array(tokens);
  const meanWeights = new Float32Array(batch * tokens);
  for (let r = 0; r < batch; r++) {
    for (let c = 0; c < lengths[r]; c++) {
      const id = values[r * width + c];
      if (!Number.isInteger(id) || id < 0 || id >= USE_LITE.vocabSize)
        throw new Error(`use-lite input row ${r}, column ${c}: ${id} is not a token id (0..${USE_LITE.vocabSize - 1}) or the padding −1`);
      const j = start[r] + c;
      ids[j] = id;
      positions[j] = c;
      meanWeights[r * tokens + j] = 1 / lengths[r];
    }
  }
  const { groups, paddedIndex, packedIndex, keyBias } = attentionGrids(lengths, start, tokens);
  return { batch, tokens, ids, positions, groups, paddedIndex, packedIndex, keyBias, meanWeights };
}

function attentionGrids(lengths: Int32Array, start: Int32Array, tokens: number) {
  const order = Array.from(lengths.keys()).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const groups: AttentionGroup[] = [];
  let cells = 0;
  for (let i = 0; i < order.length; i += ATTENTION_GROUP) {
    const members = order.slice(i, i + ATTENTION_GROUP);
    const seq = Math.max(1, lengths[members[members.length - 1]]);
    groups.push({ cell: cells, rows: members.length, seq });
    cells += members.length * seq;
  }
  const paddedIndex = new Int32Array(cells).fill(tokens);
  const packedIndex = new Int32Array(tokens);
  const keyBias = new Float32Array(cells).fill(-1e9);
  groups.forEach((g, gi) => {
    order.slice(gi * ATTENTION_GROUP, gi * ATTENTION_GROUP + g.rows).forEach((r, row) => {
      for (let c = 0; c < lengths[r]; c++) {
        const cell = g.cell + row * g.seq + c;
        paddedIndex[cell] = start[r] + c;
        packedIndex[start[r] + c] = cell;
        keyBias[cell] = 0;
      }
    });
  });
  return { groups, paddedIndex, packedIndex, keyBias };
}

/** concat(sin(pos·ω), cos(pos·ω)) with the graph's 128 inverse timescales ω. */
function timingSignal(files: UseLiteFiles, maxTokens: number): tf.Tensor2D {
  const inv = rawTensor(files, `${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, USE_LITE.embedDim / 2]).data;
  const half = inv.length;
  const out = new Float32Array(maxTokens * 2 * half);
  for (let pos = 0; pos < maxTokens; pos++) {
    for (let i = 0; i < half; i++) {
      // Float32 product, as the graph computes it, before sin/cos.
      const angle = Math.fround(pos * inv[i]);
      out[pos * 2 * half + i] = Math.sin(angle);
      out[pos * 2 * half + half + i] = Math.cos(angle);
    }
  }
  return tf.tensor2d(out, [maxTokens, 2 * half]);
}

function loadWeights(model: UseLiteEncoder, files: UseLiteFiles): void {
  const { dModel: d, ffnDim, embedDim } = USE_LITE;
  const f32 = (name: string, shape: number[]) => rawTensor(files, name, shape).data as Float32Array;
  const setLinear = (layer: string, kernel: Float32Array, bias: Float32Array) => {
    const lin = model.linear(layer);
    lin.weightT.assign(tf.tensor2d(kernel, [lin.inDim, lin.outDim]));
    lin.bias.assign(tf.tensor1d(bias));
  };
  const addOther = (name: string, values: Float32Array, shape: number[]) =>
    model.others.set(name, tf.variable(tf.tensor(values, shape), false, `use-lite/${name}`));

  addOther('embed.tokens', f32('module/Embeddings_en', [USE_LITE.vocabSize, embedDim]), [USE_LITE.vocabSize, embedDim]);
  for (let l = 0; l < USE_LITE.layers; l++) {
    const w = attnWidth(l);
    const layer = `${GRAPH}Layer_${l}/TransformerLayer/`;
    const kernels = `${KERNELS}Layer_${l}/TransformerLayer/MultiheadAttention/`;
    const qkv = f32(`${kernels}qkv_transform_single/kernel/part_0`, [1, 1, w, 3 * w]);
    const qkvBias = f32(`${layer}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * w]);
    ['q', 'k', 'v'].forEach((p, i) => setLinear(`encoder.${l}.attn.${p}`, columns(qkv, w, 3 * w, i * w, w), qkvBias.slice(i * w, (i + 1) * w)));
    setLinear(
      `encoder.${l}.attn.o`,
      f32(`${kernels}output_transform_single/kernel/part_0`, [1, 1, w, d]),
      f32(`${layer}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [d]),
    );
    if (w !== d)
      setLinear(`encoder.${l}.residual`, f32(`${layer}dense/kernel/ConcatPartitions/concat`, [w, d]), f32(`${layer}dense/bias/ConcatPartitions/concat`, [d]));
    const ffn = `${STACK}Layer_${l}/TransformerLayer/FFN/`;
    setLinear(`encoder.${l}.ffn.up`, f32(`${ffn}conv1/Tensordot/Reshape_1`, [d, ffnDim]), f32(`${layer}FFN/conv1/bias/ConcatPartitions/concat`, [ffnDim]));
    setLinear(`encoder.${l}.ffn.down`, f32(`${ffn}conv2/Tensordot/Reshape_1`, [ffnDim, d]), f32(`${layer}FFN/conv2/bias/ConcatPartitions/concat`, [d]));
    const norm = (name: string, prefix: string, width: number) => {
      addOther(`${name}.gamma`, f32(`${prefix}layer_norm/layer_norm_scale/ConcatPartitions/concat`, [width]), [width]);
      addOther(`${name}.beta`, f32(`${prefix}layer_norm/layer_norm_bias/ConcatPartitions/concat`, [width]), [width]);
    };
    norm(`encoder.${l}.ln1`, `${layer}layer_prepostprocess/`, w);
    norm(`encoder.${l}.ln2`, `${layer}FFN/layer_prepostprocess/`, d);
  }
  setLinear(
    'pooler',
    f32('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [d, USE_LITE.outDim]),
    f32('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [USE_LITE.outDim]),
  );
}

/** Columns [from, from + count) of a row-major [rows, width] matrix. */
function columns(values: Float32Array, rows: number, width: number, from: number, count: number): Float32Array {
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * width + from, r * width + from + count), r * count);
  return out;
}
