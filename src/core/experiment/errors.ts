/** Problems found in an experiment file, located by JSON pointer and (when known) line/column. */

export type IssueSeverity = 'error' | 'warning';

export interface ExperimentIssue {
  /** JSON pointer into the experiment file, e.g. `/adapter/rank` ("" = the whole document). */
  path: string;
  message: string;
  /** 1-based position in the source text, when the issue came from a file. */
  line?: number;
  column?: number;
  /** Character offset and length in the source text, for editors that underline a range. */
  offset?: number;
  length?: number;
  /** Defaults to 'error'. */
  severity?: IssueSeverity;
}

/** `file:line:col /json/path: message` (parts that are unknown are left out). */
export function formatIssue(file: string, issue: ExperimentIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  const path = issue.path === '' ? '(document)' : issue.path;
  const tag = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where} ${path}: ${tag}${issue.message}`;
}

/** Thrown for any invalid experiment: bad JSON, schema violations, semantic problems, bad sweep points. */
export class ExperimentError extends Error {
  override readonly name = 'ExperimentError';

  constructor(
    readonly file: string,
    readonly issues: ExperimentIssue[],
  ) {
    super(issues.map((issue) => formatIssue(file, issue)).join('\n'));
  }
}

/** RFC 6901 pointer from path segments. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Path segments from an RFC 6901 pointer. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A value for an error message: JSON, cut short. */
export function show(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
