/**
 * The user's own table: a CSV (header row first) or JSONL (one object per line) file with
 * numeric feature columns and a label column. Labels may be strings or integers; they become
 * class indices in sorted order (numeric order when every label is an integer). Features are
 * standardised with the TRAIN split's mean and standard deviation. Every bad input is reported
 * as `file:line:column: message`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parse, CsvError } from 'csv-parse';
import type { Dataset, Split } from './types';
import type { LoaderContext } from './context';
import { splitPool } from './build';
import { DatasetError, optionError } from './errors';
import { checkKnownKeys, readStringList, requireString, readString } from './options';
import { resolveUserPath } from './paths';

export type TableFormat = 'csv' | 'jsonl';

/** Rows as they are read: features already numeric, label as text. */
class TableBuilder {
  private features = new Float32Array(1024);
  private rows = 0;
  readonly labels: string[] = [];
  /** Line of the first data row, for errors about the data as a whole. */
  firstLine = 0;

  constructor(readonly file: string, readonly columns: string[]) {}

  add(values: Float32Array, label: string, line: number): void {
    if (this.rows === 0) this.firstLine = line;
    const width = this.columns.length;
    if ((this.rows + 1) * width > this.features.length) {
      const grown = new Float32Array(Math.max(this.features.length * 2, (this.rows + 1) * width));
      grown.set(this.features);
      this.features = grown;
    }
    this.features.set(values, this.rows * width);
    this.labels.push(label);
    this.rows++;
  }

  get count(): number {
    return this.rows;
  }

  get x(): Float32Array {
    return this.features.subarray(0, this.rows * this.columns.length);
  }
}

/** A numeric cell, or a DatasetError naming where it is. */
function toNumber(raw: unknown, file: string, line: number, column: number | string, name: string): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : typeof raw === 'number' ? raw : NaN;
  if (!Number.isFinite(value)) {
    const shown = raw === undefined ? 'nothing' : raw === '' ? 'an empty value' : `non-numeric value ${JSON.stringify(raw)}`;
    throw new DatasetError(`feature column "${name}" has ${shown}; feature columns must hold finite numbers`, { file, line, column });
  }
  return value;
}

function missingColumn(kind: string, name: string, found: string[], file: string, line: number): DatasetError {
  return new DatasetError(`${kind} column "${name}" not found; columns found: ${found.map((c) => JSON.stringify(c)).join(', ') || 'none'}`, {
    file,
    line,
    column: name,
  });
}

interface TableSpec {
  file: string;
  labelColumn: string;
  featureColumns?: string[];
  delimiter?: string;
}

async function readCsv(spec: TableSpec): Promise<TableBuilder> {
  const { file } = spec;
  const parser = createReadStream(file).pipe(
    parse({ delimiter: spec.delimiter ?? ',', info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }),
  );
  let header: string[] | undefined;
  let labelIndex = -1;
  let featureIndices: number[] = [];
  let table: TableBuilder | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        header = record;
        const duplicate = header.findIndex((name, i) => header!.indexOf(name) !== i);
        if (duplicate >= 0) throw new DatasetError(`duplicate column name "${header[duplicate]}" in the header`, { file, line, column: duplicate + 1 });
        labelIndex = header.indexOf(spec.labelColumn);
        if (labelIndex < 0) throw missingColumn('label', spec.labelColumn, header, file, line);
        const names = spec.featureColumns ?? header.filter((_, i) => i !== labelIndex);
        featureIndices = names.map((name) => {
          const i = header!.indexOf(name);
          if (i < 0) throw missingColumn('feature', name, header!, file, line);
          return i;
        });
        if (featureIndices.length === 0) throw new DatasetError('no feature columns besides the label column', { file, line });
        table = new TableBuilder(file, names);
        continue;
      }
      if (record.length !== header.length) {
        throw new DatasetError(`ragged row: ${record.length} fields, the header has ${header.length}`, {
          file,
          line,
          column: Math.min(record.length, header.length) + 1,
        });
      }
      const values = new Float32Array(featureIndices.length);
      featureIndices.forEach((col, k) => (values[k] = toNumber(record[col], file, line, col + 1, header![col])));
      const label = record[labelIndex];
      if (label === '') throw new DatasetError(`empty label in column "${spec.labelColumn}"`, { file, line, column: labelIndex + 1 });
      table!.add(values, label, line);
    }
  } catch (err) {
    throw asCsvError(err, file);
  }
  if (!table) throw new DatasetError('empty file: expected a header row and data rows', { file, line: 1, column: 1 });
  if (table.count === 0) throw new DatasetError('no data rows after the header', { file, line: 2, column: 1 });
  return table;
}

/** csv-parse's own errors (unclosed quote...) carry `lines` and a 0-based field index. */
function asCsvError(err: unknown, file: string): Error {
  if (err instanceof DatasetError) return err;
  if (err instanceof CsvError) {
    const e = err as CsvError & { lines?: number; column?: unknown; index?: number };
    const column = typeof e.column === 'number' ? e.column + 1 : typeof e.index === 'number' ? e.index + 1 : 1;
    return new DatasetError(`CSV syntax: ${e.message}`, { file, line: e.lines ?? 1, column });
  }
  return err as Error;
}

function parseJsonLine(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message);
    throw new DatasetError(`invalid JSON: ${(err as Error).message}`, { file, line, column: position ? Number(position[1]) + 1 : 1 });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DatasetError('each line must be a JSON object', { file, line, column: 1 });
  }
  return value as Record<string, unknown>;
}

function labelText(value: unknown, spec: TableSpec, line: number): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  const found = value === undefined ? 'is missing' : `is ${JSON.stringify(value)}`;
  throw new DatasetError(`label "${spec.labelColumn}" ${found}; labels must be non-empty strings or integers`, {
    file: spec.file,
    line,
    column: spec.labelColumn,
  });
}

async function readJsonl(spec: TableSpec): Promise<TableBuilder> {
  const { file } = spec;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let table: TableBuilder | undefined;
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    const row = parseJsonLine(text, file, line);
    if (!table) {
      const keys = Object.keys(row);
      if (!keys.includes(spec.labelColumn)) throw missingColumn('label', spec.labelColumn, keys, file, line);
      const names = spec.featureColumns ?? keys.filter((k) => k !== spec.labelColumn);
      for (const name of names) if (!keys.includes(name)) throw missingColumn('feature', name, keys, file, line);
      if (names.length === 0) throw new DatasetError('no feature fields besides the label', { file, line, column: 1 });
      table = new TableBuilder(file, names);
    }
    const values = new Float32Array(table.columns.length);
    table.columns.forEach((name, k) => {
      if (!(name in row)) throw new DatasetError(`ragged row: field "${name}" is missing`, { file, line, column: name });
      values[k] = toNumber(row[name], file, line, name, name);
    });
    table.add(values, labelText(row[spec.labelColumn], spec, line), line);
  }
  if (!table) throw new DatasetError('empty file: expected one JSON object per line', { file, line: 1, column: 1 });
  return table;
}

/** Sorted class names: numerically when every label is an integer, else by code point. */
export function sortLabels(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const numeric = unique.every((l) => /^-?\d+$/.test(l));
  return unique.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Standardises every split with the train split's per-column mean and standard deviation. */
function standardise(splits: Record<'train' | 'val' | 'test', Split>, width: number): void {
  const { x, count } = splits.train;
  const mean = new Float64Array(width);
  const variance = new Float64Array(width);
  for (let r = 0; r < count; r++) for (let c = 0; c < width; c++) mean[c] += x[r * width + c] / count;
  for (let r = 0; r < count; r++) for (let c = 0; c < width; c++) variance[c] += (x[r * width + c] - mean[c]) ** 2 / count;
  const scale = Array.from(variance, (v) => (v > 1e-12 ? 1 / Math.sqrt(v) : 1));
  for (const split of Object.values(splits)) {
    for (let r = 0; r < split.count; r++) for (let c = 0; c < width; c++) split.x[r * width + c] = (split.x[r * width + c] - mean[c]) * scale[c];
  }
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkFile(file: string, optionValue: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new DatasetError(`file not found (task.options.file = ${JSON.stringify(optionValue)})`, { file, line: 1, column: 1 });
  }
  if (!info.isFile()) throw new DatasetError('not a regular file', { file, line: 1, column: 1 });
}

export async function loadTable(format: TableFormat, ctx: LoaderContext): Promise<Dataset> {
  checkKnownKeys(ctx.options, format === 'csv' ? ['file', 'labelColumn', 'featureColumns', 'delimiter'] : ['file', 'labelColumn', 'featureColumns'], format);
  const fileOption = requireString(ctx.options, 'file', format);
  const labelColumn = requireString(ctx.options, 'labelColumn', format);
  const featureColumns = readStringList(ctx.options, 'featureColumns');
  if (featureColumns?.includes(labelColumn)) {
    throw optionError(`featureColumns[${featureColumns.indexOf(labelColumn)}]`, `is the label column "${labelColumn}"; a label cannot be a feature`);
  }
  const spec: TableSpec = {
    file: resolveUserPath(fileOption, ctx.baseDir),
    labelColumn,
    featureColumns,
    delimiter: readString(ctx.options, 'delimiter'),
  };
  await checkFile(spec.file, fileOption);
  const table = await (format === 'csv' ? readCsv(spec) : readJsonl(spec));
  const classNames = sortLabels(table.labels);
  if (classNames.length < 2) {
    throw new DatasetError(`only one class (${JSON.stringify(classNames[0])}) in label column "${spec.labelColumn}"; classification needs at least two`, {
      file: spec.file,
      line: table.firstLine,
      column: spec.labelColumn,
    });
  }
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const y = Int32Array.from(table.labels, (l) => classIndex.get(l)!);
  const width = table.columns.length;
  const { splits, info } = splitPool({ x: table.x, featureSize: width, y }, ctx.sizes, ctx.seed, spec.file);
  standardise(splits, width);
  return {
    name: `${format}(${fileOption})`,
    version: `sha256:${await fileSha256(spec.file)}`,
    inputShape: [width],
    numClasses: classNames.length,
    classNames,
    ...splits,
    info: {
      ...info,
      source: spec.file,
      rows: table.count,
      featureColumns: table.columns.join(','),
      labelColumn: spec.labelColumn,
      normalisation: 'each feature standardised with the train split mean and standard deviation (constant columns only centred)',
    },
  };
}
