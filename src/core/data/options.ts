/** Readers for `task.options` values: each rejects a wrong value naming `task.options.<key>`. */
import { optionError } from './errors';

export type Options = Record<string, unknown>;

/** Rejects keys this dataset does not know, so a typo is not silently ignored. */
export function checkKnownKeys(options: Options, known: readonly string[], dataset: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw optionError(key, `unknown option for dataset "${dataset}" (known: ${known.join(', ') || 'none'})`);
    }
  }
}

export function readChoice<T extends string | number>(options: Options, key: string, choices: readonly T[], fallback: T): T {
  const value = options[key];
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    throw optionError(key, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function readString(options: Options, key: string): string | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw optionError(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

export function requireString(options: Options, key: string, dataset: string): string {
  const value = readString(options, key);
  if (value === undefined) throw optionError(key, `is required for dataset "${dataset}"`);
  return value;
}

export function readInt(options: Options, key: string, fallback: number, min: number, max: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw optionError(key, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A non-empty list of distinct strings, each (optionally) from `choices`. */
export function readStringList(options: Options, key: string, choices?: readonly string[]): string[] | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw optionError(key, `must be a non-empty array, got ${JSON.stringify(value)}`);
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw optionError(`${key}[${i}]`, `must be a string, got ${JSON.stringify(item)}`);
    if (choices && !choices.includes(item)) {
      throw optionError(`${key}[${i}]`, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(item)}`);
    }
    if (value.indexOf(item) !== i) throw optionError(`${key}[${i}]`, `duplicate ${JSON.stringify(item)}`);
  });
  return value as string[];
}
