/**
 * Which adapter goes on which layer, and the exact trainable-parameter counts that follow — from the
 * config alone, so the CLI, the CodeLens and run.json report the same numbers before any tensor exists.
 */
import type { AdapterConfig, ModelConfig } from '../experiment/types';
import { linearLayout, matchesAny, type LinearLayout } from '../models/layout';
import { useLiteOtherParams } from '../models/useLite/dims';
import type { LayerParamCount, ParamReport } from '../protocol';

export type LayerRole = 'lora' | 'symlora' | 'full' | 'head' | 'frozen';

export interface LayerPlan extends LinearLayout {
  role: LayerRole;
}

export interface AdapterPlan {
  layers: LayerPlan[];
  /** Targets matched but left frozen (non-square layers for symlora with nonSquare 'skip'). */
  skipped: string[];
  /** Parameters outside the linear layers (layer norms, positional embeddings), all trainable only under 'full'. */
  otherParams: { name: string; count: number }[];
}

export function planAdapters(model: ModelConfig, adapter: AdapterConfig): AdapterPlan {
  const skipped: string[] = [];
  const layers = linearLayout(model).map((layout): LayerPlan => {
    const role = layerRole(layout, adapter, skipped);
    return { ...layout, role };
  });
  return { layers, skipped, otherParams: otherParams(model) };
}

function layerRole(layout: LinearLayout, adapter: AdapterConfig, skipped: string[]): LayerRole {
  const { kind } = adapter;
  if (kind === 'full') return 'full';
  if (layout.isHead) return kind === 'head' || ((kind === 'lora' || kind === 'symlora') && adapter.trainHead) ? 'head' : 'frozen';
  if (kind !== 'lora' && kind !== 'symlora') return 'frozen';
  if (!matchesAny(layout.name, adapter.targets)) return 'frozen';
  const [out, inp] = layout.shape;
  if (kind === 'symlora' && out !== inp) {
    if (adapter.nonSquare === 'lora') return 'lora';
    skipped.push(layout.name);
    return 'frozen';
  }
  return kind;
}

function otherParams(model: ModelConfig): { name: string; count: number }[] {
  switch (model.arch) {
    case 'mlp':
      return [];
    case 'transformer': {
      const d = model.dModel;
      const others = [{ name: 'embed.position', count: model.seqLen * d }];
      for (let l = 0; l < model.layers; l++) {
        others.push({ name: `encoder.${l}.ln1`, count: 2 * d }, { name: `encoder.${l}.ln2`, count: 2 * d });
      }
      others.push({ name: 'final_ln', count: 2 * d });
      return others;
    }
    case 'use-lite':
      return useLiteOtherParams();
  }
}

export function linearParamCount(shape: [number, number]): number {
  return shape[0] * shape[1] + shape[0];
}

export function lowRankParamCount(role: 'lora' | 'symlora', shape: [number, number], rank: number): number {
  const [out, inp] = shape;
  return role === 'lora' ? rank * (out + inp) : inp * rank + rank;
}

export function countParams(model: ModelConfig, adapter: AdapterConfig): ParamReport {
  const plan = planAdapters(model, adapter);
  const layers: LayerParamCount[] = plan.layers.map((layer) => ({
    layer: layer.name,
    shape: layer.shape,
    adapter: layer.role,
    trainable: layerTrainable(layer, adapter.rank),
  }));
  const fullOthers = adapter.kind === 'full';
  for (const other of plan.otherParams) {
    layers.push({ layer: other.name, shape: [other.count, 1], adapter: fullOthers ? 'full' : 'frozen', trainable: fullOthers ? other.count : 0 });
  }
  const base = plan.layers.reduce((sum, l) => sum + linearParamCount(l.shape), 0) + plan.otherParams.reduce((s, o) => s + o.count, 0);
  const adapterCount = layers.filter((l) => l.adapter === 'lora' || l.adapter === 'symlora').reduce((s, l) => s + l.trainable, 0);
  return {
    trainable: layers.reduce((s, l) => s + l.trainable, 0),
    adapter: adapterCount,
    base,
    layers,
    skipped: plan.skipped,
  };
}

function layerTrainable(layer: LayerPlan, rank: number): number {
  switch (layer.role) {
    case 'lora':
    case 'symlora':
      return lowRankParamCount(layer.role, layer.shape, rank);
    case 'full':
    case 'head':
      return linearParamCount(layer.shape);
    case 'frozen':
      return 0;
  }
}
