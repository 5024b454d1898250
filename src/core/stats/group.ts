/** Grouping runs that differ only by seed, for statistics across seeds. */
import type { RunSpec } from '../experiment/types';

/** Key–order-independent JSON, so equal configs give equal keys whatever their field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The run's configuration without its seed: runs with equal keys are repeats of one configuration. */
export function configKeyWithoutSeed(spec: RunSpec): string {
  const { seed: _seed, ...config } = spec.config;
  return canonicalJson({ experiment: spec.experiment, config });
}

/** Groups items by the key of their spec, keeping first-seen order of the groups. */
export function groupBySeedlessConfig<T>(items: readonly T[], specOf: (item: T) => RunSpec): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = configKeyWithoutSeed(specOf(item));
    const members = groups.get(key);
    if (members) members.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
