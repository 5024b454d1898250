/** Builds `model.arch: "use-lite"` for buildModel (imported on demand). */
import type { UseLiteModelConfig } from '../../experiment/types';
import type { Rng } from '../../rng';
import { UseLiteEncoder } from './encoder';
import { loadUseLiteFiles } from './weights';

/** Build a USE-Lite model: pretrained encoder (weights parsed once per process) + a fresh head. */
export async function buildUseLite(config: UseLiteModelConfig, rng: Rng): Promise<UseLiteEncoder> {
  const files = await loadUseLiteFiles();
  return new UseLiteEncoder(config, files, rng);
}
