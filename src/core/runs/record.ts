/** Parsing and light validation of `run.json` and of JSONL lines, with errors naming file and field. */
import type { MetricRecord, RunRecord, RunStatus, SpectrumRecord } from '../protocol';
import { RunStoreError } from './errors';

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'crashed', 'cancelled'];

export function parseRunRecord(text: string, file: string): RunRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunStoreError(`${file} is not valid JSON: ${(error as Error).message}`, file);
  }
  const problem = runRecordProblem(value);
  if (problem) throw new RunStoreError(`${file}: ${problem}`, file);
  return value as RunRecord;
}

function runRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected a JSON object';
  if (value.schemaVersion !== 1) return `$.schemaVersion: expected 1, got ${JSON.stringify(value.schemaVersion)}`;
  if (typeof value.id !== 'string' || !value.id) return '$.id: expected a non-empty string';
  if (!STATUSES.includes(value.status as RunStatus)) return `$.status: expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(value.status)}`;
  if (!isObject(value.spec) || !isObject(value.spec.config)) return '$.spec.config: expected an object';
  if (typeof value.createdAt !== 'string') return '$.createdAt: expected an ISO date string';
  return undefined;
}

export function isMetricRecord(value: unknown): value is MetricRecord {
  if (!isObject(value)) return false;
  if (value.kind !== 'train' && value.kind !== 'eval') return false;
  if (value.kind === 'eval' && value.split !== 'val' && value.split !== 'test') return false;
  return isNumberOrNull(value.step) && isNumberOrNull(value.loss);
}

export function isSpectrumRecord(value: unknown): value is SpectrumRecord {
  return isObject(value) && isNumberOrNull(value.step) && Array.isArray(value.layers);
}

/** JSON has no NaN: JSON.stringify writes a diverged loss as null, which readers must accept. */
function isNumberOrNull(value: unknown): boolean {
  return typeof value === 'number' || value === null;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
