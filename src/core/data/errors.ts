/** Errors raised while loading a dataset; they name the file, line and column when there is one. */

export interface DataErrorLocation {
  /** Absolute path of the file at fault. */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /** 1-based column number, or the column/field name when that is clearer. */
  column?: number | string;
}

export class DatasetError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number | string;

  constructor(message: string, where: DataErrorLocation = {}) {
    super(prefix(where) + message);
    this.name = 'DatasetError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

/** `file:line:column: ` in the form editors and terminals turn into links. */
function prefix({ file, line, column }: DataErrorLocation): string {
  if (file === undefined) return '';
  let at = file;
  if (line !== undefined) at += `:${line}`;
  if (typeof column === 'number') at += `:${column}`;
  else if (column !== undefined) at += ` (column "${column}")`;
  return `${at}: `;
}

/** An invalid value in `task.options`, named by its JSON path. */
export function optionError(key: string, message: string): DatasetError {
  return new DatasetError(`task.options.${key}: ${message}`);
}
