/** Plugs `model.arch: "use-lite"` into buildModel without build.ts knowing about it. */
import type { ModelConfig, UseLiteModelConfig } from '../../experiment/types';
import type { Rng } from '../../rng';
import { registerArchitecture } from '../build';
import { UseLiteEncoder } from './encoder';
import { loadUseLiteFiles } from './weights';

/** Build a USE-Lite model: pretrained encoder (weights parsed once per process) + a fresh head. */
export async function buildUseLite(config: UseLiteModelConfig, rng: Rng): Promise<UseLiteEncoder> {
  const files = await loadUseLiteFiles();
  return new UseLiteEncoder(config, files, rng);
}

let registered = false;

/** Idempotent: call once at start-up (trainer, CLI, tests). */
export function registerUseLite(): void {
  if (registered) return;
  registerArchitecture('use-lite', (config: ModelConfig, rng: Rng) => {
    if (config.arch !== 'use-lite') throw new Error(`internal: use-lite factory called for arch "${config.arch}"`);
    return buildUseLite(config, rng);
  });
  registered = true;
}
