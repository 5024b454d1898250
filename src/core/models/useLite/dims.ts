/**
 * USE-Lite's true shapes, read from the shipped graph (model.json), and its layer names.
 * Pure data (no tensors): layout.ts / params.ts can import it so the validator, the CodeLens counts
 * and the engine agree. Shapes are [out, in], as in PyTorch and PEFT.
 *
 * Layer 0 works at width 256 (the token embedding width) and widens to 512 in its output
 * projection, with a dense 256→512 projection on the residual path; layer 1 is 512 throughout.
 */

export const USE_LITE = {
  vocabSize: 8002,
  embedDim: 256,
  dModel: 512,
  heads: 4,
  ffnDim: 1536,
  layers: 2,
  outDim: 512,
  /** The graph clips every text to its first 128 tokens (ClipToMaxLength). */
  maxTokens: 128,
  layerNormEps: 1e-6,
} as const;

export interface UseLiteLinear {
  name: string;
  shape: [out: number, inp: number];
  isHead: boolean;
}

/** Per-layer attention width: 256 in layer 0, 512 in layer 1. */
export function attnWidth(layer: number): number {
  return layer === 0 ? USE_LITE.embedDim : USE_LITE.dModel;
}

/** Every dense layer in forward order, head last. */
export function useLiteLinears(classes: number): UseLiteLinear[] {
  const { dModel: d, ffnDim } = USE_LITE;
  const layers: UseLiteLinear[] = [];
  for (let l = 0; l < USE_LITE.layers; l++) {
    const w = attnWidth(l);
    for (const p of ['q', 'k', 'v']) layers.push({ name: `encoder.${l}.attn.${p}`, shape: [w, w], isHead: false });
    layers.push({ name: `encoder.${l}.attn.o`, shape: [d, w], isHead: false });
    if (w !== d) layers.push({ name: `encoder.${l}.residual`, shape: [d, w], isHead: false });
    layers.push({ name: `encoder.${l}.ffn.up`, shape: [ffnDim, d], isHead: false });
    layers.push({ name: `encoder.${l}.ffn.down`, shape: [d, ffnDim], isHead: false });
  }
  layers.push({ name: 'pooler', shape: [USE_LITE.outDim, d], isHead: false });
  layers.push({ name: 'head', shape: [classes, USE_LITE.outDim], isHead: true });
  return layers;
}

/** Parameters outside the linear layers: the token embedding and the layer norms (scale + bias). */
export function useLiteOtherParams(): { name: string; count: number }[] {
  const others = [{ name: 'embed.tokens', count: USE_LITE.vocabSize * USE_LITE.embedDim }];
  for (let l = 0; l < USE_LITE.layers; l++) {
    others.push({ name: `encoder.${l}.ln1`, count: 2 * attnWidth(l) }, { name: `encoder.${l}.ln2`, count: 2 * USE_LITE.dModel });
  }
  return others;
}
