/** Reports over many runs: grouping by seed, statistics, the LoRA vs SymLoRA comparisons, rendering. */
export * from './collect';
export * from './aggregate';
export * from './render';
