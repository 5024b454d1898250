/** Argument parsing on node:util's parseArgs, with errors that say which option and value were wrong. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${name} expects a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return value;
}
