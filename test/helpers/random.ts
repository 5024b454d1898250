/**
 * Seeded random fixtures for tests, all drawn from the project's own `Rng` (src/core/rng.ts),
 * so every test sees the same values on every run and a failure can be replayed from its seed.
 */
import { Rng } from '../../src/core/rng';
import type { LoraLayerWeights, SymLoraLayerWeights } from '../../src/core/io/adapterFile';

export { Rng };

/** `n` values uniform in [-amp, amp). */
export function randomArray(n: number, rng: Rng, amp = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * amp);
}

/** One element of `items`, chosen uniformly. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** A SymLoRA layer of shape n×n with random Q (n×rank) and, unless given, random λ. */
export function randomSymloraLayer(rng: Rng, layer: string, n: number, rank: number, scale: number, lambda?: Float32Array): SymLoraLayerWeights {
  const Q = randomArray(n * rank, rng);
  return { kind: 'symlora', layer, shape: [n, n], rank, scale, Q, lambda: lambda ?? randomArray(rank, rng) };
}

/** A LoRA layer of shape out×inp with random A (rank×inp) and B (out×rank). */
export function randomLoraLayer(rng: Rng, layer: string, out: number, inp: number, rank: number, scale: number): LoraLayerWeights {
  const A = randomArray(rank * inp, rng);
  return { kind: 'lora', layer, shape: [out, inp], rank, scale, A, B: randomArray(out * rank, rng) };
}
