/**
 * Validation of every message a webview posts to the host. A webview runs page content and must
 * be treated as untrusted: each message is checked for shape (exact keys, types) and values
 * (ids, file names, sizes) before the host acts on it, so no message can make the host touch a
 * path outside the runs directory. Pure: no `vscode` import.
 */
import * as path from 'node:path';
import { isValidRunId, type ExportFormat, type WebviewToHost } from '../../core/webviewProtocol';

export class WebviewMessageError extends Error {
  constructor(field: string, problem: string) {
    super(`invalid webview message: ${field} ${problem}`);
    this.name = 'WebviewMessageError';
  }
}

export const MESSAGE_LIMITS = {
  maxRunIds: 1000,
  maxLogChars: 10_000,
  maxFileNameChars: 200,
  /** Exports are tables and chart images: 32 MB of text is far above any real one. */
  maxExportChars: 32 * 1024 * 1024,
} as const;

const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { csv: '.csv', markdown: '.md', png: '.png' };
const LOG_LEVELS = ['info', 'warn', 'error'] as const;
const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._()+-]*$/;

/** Parses a raw webview message; throws WebviewMessageError naming the field for anything else. */
export function parseWebviewMessage(raw: unknown): WebviewToHost {
  const message = asRecord(raw, 'message');
  switch (message.type) {
    case 'ready':
      exactKeys(message, ['type']);
      return { type: 'ready' };
    case 'selectRuns': {
      exactKeys(message, ['type', 'runIds']);
      return { type: 'selectRuns', runIds: runIdList(message.runIds, 'runIds') };
    }
    case 'openRun':
      exactKeys(message, ['type', 'runId']);
      return { type: 'openRun', runId: runId(message.runId, 'runId') };
    case 'exportFile':
      return parseExport(message);
    case 'log': {
      exactKeys(message, ['type', 'level', 'message']);
      const level = oneOf(message.level, LOG_LEVELS, 'level');
      return { type: 'log', level, message: boundedString(message.message, 'message', MESSAGE_LIMITS.maxLogChars) };
    }
    default:
      throw new WebviewMessageError('type', `is not a known message type: ${preview(message.type)}`);
  }
}

function parseExport(message: Record<string, unknown>): WebviewToHost {
  exactKeys(message, ['type', 'format', 'suggestedName', 'content']);
  const format = oneOf(message.format, ['csv', 'markdown', 'png'] as const, 'format');
  const suggestedName = safeFileName(message.suggestedName, 'suggestedName');
  if (!suggestedName.toLowerCase().endsWith(EXPORT_EXTENSIONS[format])) {
    throw new WebviewMessageError('suggestedName', `must end with ${EXPORT_EXTENSIONS[format]} for format ${format}`);
  }
  const content = boundedString(message.content, 'content', MESSAGE_LIMITS.maxExportChars);
  if (format === 'png' && !PNG_DATA_URL.test(content)) {
    throw new WebviewMessageError('content', 'must be a data:image/png;base64 URL for format png');
  }
  return { type: 'exportFile', format, suggestedName, content };
}

/** A run id that is safe as one directory name (see RUN_ID_PATTERN; never '..'). */
export function runId(value: unknown, field = 'runId'): string {
  if (!isValidRunId(value)) {
    throw new WebviewMessageError(field, `is not a valid run id (letters, digits, '.', '_', '-', no '..'): ${preview(value)}`);
  }
  return value;
}

/** A bare file name (no directory part, no '..'), usable as a save dialog's default. */
export function safeFileName(value: unknown, field = 'fileName'): string {
  const name = boundedString(value, field, MESSAGE_LIMITS.maxFileNameChars);
  if (!FILE_NAME.test(name) || name.includes('..')) {
    throw new WebviewMessageError(field, `is not a plain file name: ${preview(name)}`);
  }
  return name;
}

/**
 * The directory of a run inside the runs directory, for a run id that came from a webview.
 * Validates the id and checks that the resolved path is a direct child of `runsDir`.
 */
export function resolveRunDir(runsDir: string, id: unknown): string {
  const valid = runId(id);
  const root = path.resolve(runsDir);
  const dir = path.resolve(root, valid);
  if (path.dirname(dir) !== root) throw new WebviewMessageError('runId', `escapes the runs directory: ${preview(id)}`);
  return dir;
}

function runIdList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new WebviewMessageError(field, `must be an array, got ${preview(value)}`);
  if (value.length > MESSAGE_LIMITS.maxRunIds) {
    throw new WebviewMessageError(field, `has ${value.length} entries, more than ${MESSAGE_LIMITS.maxRunIds}`);
  }
  return [...new Set(value.map((id, i) => runId(id, `${field}[${i}]`)))];
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WebviewMessageError(field, `must be an object, got ${preview(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new WebviewMessageError(field, 'must be a plain object');
  return value as Record<string, unknown>;
}

function exactKeys(message: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(message)) {
    if (!allowed.includes(key)) throw new WebviewMessageError(key, `is not allowed in a '${String(message.type)}' message`);
  }
  for (const key of allowed) {
    if (!(key in message)) throw new WebviewMessageError(key, `is missing from a '${String(message.type)}' message`);
  }
}

function oneOf<T extends string>(value: unknown, options: readonly T[], field: string): T {
  if (typeof value !== 'string' || !options.includes(value as T)) {
    throw new WebviewMessageError(field, `must be one of ${options.join(', ')}, got ${preview(value)}`);
  }
  return value as T;
}

function boundedString(value: unknown, field: string, maxChars: number): string {
  if (typeof value !== 'string') throw new WebviewMessageError(field, `must be a string, got ${preview(value)}`);
  if (value.length > maxChars) throw new WebviewMessageError(field, `has ${value.length} characters, more than ${maxChars}`);
  return value;
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? typeof value : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return typeof value;
  }
}
