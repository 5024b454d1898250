/** Registry of low-rank adapter kinds, as PEFT maps a config's peft_type to its tuner. */
import { LoraAdapter } from './lora';
import { SymLoraAdapter } from './symlora';
import type { Adapter, AdapterContext, LowRankKind } from './types';

const FACTORIES: Record<LowRankKind, (ctx: AdapterContext) => Adapter> = {
  lora: (ctx) => new LoraAdapter(ctx),
  symlora: (ctx) => new SymLoraAdapter(ctx),
};

export function createAdapter(kind: LowRankKind, ctx: AdapterContext): Adapter {
  return FACTORIES[kind](ctx);
}
