/**
 * Names and shapes of a model's linear layers, derived from its config alone (no tensors), so the
 * validator, the CodeLens parameter counts and the engine agree on what `adapter.targets` selects.
 * Shapes are [out, in], as in PyTorch and PEFT.
 */
import type { ModelConfig } from '../experiment/types';
import { useLiteLinears } from './useLite/dims';

export interface LinearLayout {
  name: string;
  shape: [out: number, inp: number];
  /** The classifier head is never adapted; `head` / `trainHead` train it directly. */
  isHead: boolean;
}

export function linearLayout(model: ModelConfig): LinearLayout[] {
  switch (model.arch) {
    case 'mlp': {
      const layers: LinearLayout[] = [];
      let inp = model.inputDim;
      model.hidden.forEach((width, i) => {
        layers.push({ name: `hidden.${i}`, shape: [width, inp], isHead: false });
        inp = width;
      });
      layers.push({ name: 'head', shape: [model.classes, inp], isHead: true });
      return layers;
    }
    case 'transformer': {
      const d = model.dModel;
      const layers: LinearLayout[] = [{ name: 'embed', shape: [d, model.inputDim], isHead: false }];
      for (let l = 0; l < model.layers; l++) {
        for (const p of ['q', 'k', 'v', 'o']) {
          layers.push({ name: `encoder.${l}.attn.${p}`, shape: [d, d], isHead: false });
        }
        layers.push({ name: `encoder.${l}.ffn.up`, shape: [model.ffnDim, d], isHead: false });
        layers.push({ name: `encoder.${l}.ffn.down`, shape: [d, model.ffnDim], isHead: false });
      }
      layers.push({ name: 'head', shape: [model.classes, d], isHead: true });
      return layers;
    }
    case 'use-lite':
      return useLiteLinears(model.classes);
  }
}

/** Glob over layer names: `*` matches any run of characters (dots included); the whole name must match. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(name));
}
