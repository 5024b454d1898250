/**
 * Experiment files: JSON text → validated, defaults-filled ExperimentConfig, with every problem
 * located by JSON pointer and line:column (so editors can underline it and the CLI can print
 * `file:line:col /path: message`).
 */
import { readFileSync, statSync } from 'node:fs';
import { getLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser/lib/esm/main.js'; // ESM build: esbuild cannot follow the UMD build's requires
import { ExperimentError, fromPointer, toPointer, type ExperimentIssue } from './errors';
import { checkObject, MAX_DEPTH, stripLocation, type LocatedIssue } from './validate';
import { checkConfig } from './semantic';
import { checkSweep } from './sweep';
import type { ExperimentConfig } from './types';

/** Experiment files are a few kB; anything this large is not one. */
export const MAX_FILE_BYTES = 1_000_000;
/** After the first syntax error the parser's recovery mostly produces echoes of it. */
const MAX_SYNTAX_ISSUES = 1;

export interface ExperimentAnalysis {
  /** Present when there are no errors. */
  config?: ExperimentConfig;
  errors: ExperimentIssue[];
  warnings: ExperimentIssue[];
}

/**
 * Everything wrong (errors) or doubtful (warnings) with an experiment text, in source order; never
 * throws. Issues carry line/column and offset/length (`file` is not needed: callers add it).
 */
export function analyzeExperiment(text: string, _file?: string): ExperimentAnalysis {
  if (text.length > MAX_FILE_BYTES) {
    return {
      errors: [
        {
          path: '',
          message: `the text is ${text.length} characters long; an experiment file may have at most ${MAX_FILE_BYTES}`,
          line: 1,
          column: 1,
          offset: 0,
          length: 1,
        },
      ],
      warnings: [],
    };
  }
  const source = new SourceText(text.replace(/^\uFEFF/, ' '));
  const parsed = parseJson(source);
  if ('issues' in parsed) return { errors: parsed.issues.map((i) => source.place(i)), warnings: [] };
  const checked = checkObject(parsed.value);
  if (!checked.config) return { errors: inSourceOrder(checked.issues.map((i) => source.place(i))), warnings: [] };
  const semantic = checkConfig(checked.config);
  const sweepErrors = semantic.errors.length ? [] : checkSweep(checked.config);
  const errors = inSourceOrder([...semantic.errors, ...sweepErrors].map((i) => source.place(i)));
  const warnings = inSourceOrder(semantic.warnings.map((i) => source.place(i)));
  return errors.length ? { errors, warnings } : { config: checked.config, errors, warnings };
}

function inSourceOrder(issues: ExperimentIssue[]): ExperimentIssue[] {
  return issues.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
}

/** Parses and fully checks an experiment; throws ExperimentError listing every error. */
export function parseExperimentWithWarnings(text: string, file: string): { config: ExperimentConfig; warnings: ExperimentIssue[] } {
  const { config, errors, warnings } = analyzeExperiment(text);
  if (!config) throw new ExperimentError(file, errors);
  return { config, warnings };
}

export function parseExperiment(text: string, file: string): ExperimentConfig {
  return parseExperimentWithWarnings(text, file).config;
}

export function loadExperimentFileWithWarnings(path: string): { config: ExperimentConfig; warnings: ExperimentIssue[] } {
  return parseExperimentWithWarnings(readExperimentText(path), path);
}

export function loadExperimentFile(path: string): ExperimentConfig {
  return loadExperimentFileWithWarnings(path).config;
}

function readExperimentText(path: string): string {
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES)
      throw new ExperimentError(path, [{ path: '', message: `file is ${size} bytes; an experiment file may have at most ${MAX_FILE_BYTES}` }]);
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ExperimentError) throw error;
    throw new ExperimentError(path, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
}

/** The text plus its line starts, to turn offsets and pointers into line:column. */
class SourceText {
  private readonly lineStarts: number[] = [0];
  tree: Node | undefined;

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  /** Adds line/column (and offset/length) to an issue that has only a pointer or an offset. */
  place(issue: LocatedIssue): ExperimentIssue {
    const span = issue.offset !== undefined ? { offset: issue.offset, length: issue.length ?? 1 } : this.span(issue.path, issue.atKey ?? false);
    return { ...stripLocation(issue), ...span, ...this.position(span.offset) };
  }

  /** The text range for a pointer; for a missing field, its nearest existing parent's key. */
  private span(pointer: string, atKey: boolean): { offset: number; length: number } {
    let node = this.tree;
    if (!node) return { offset: 0, length: 1 };
    const segments = fromPointer(pointer);
    for (let i = 0; i < segments.length; i++) {
      const child = childNode(node, segments[i]);
      if (!child) return keySpan(node);
      if (atKey && i === segments.length - 1 && child.parent?.type === 'property') return spanOf(child.parent.children![0]);
      node = child;
    }
    return spanOf(node);
  }
}

function childNode(node: Node, segment: string): Node | undefined {
  if (node.type === 'object') {
    const property = (node.children ?? []).filter((p) => p.children?.[0]?.value === segment).pop();
    return property?.children?.[1];
  }
  if (node.type === 'array' && /^\d+$/.test(segment)) return node.children?.[Number(segment)];
  return undefined;
}

function spanOf(node: Node): { offset: number; length: number } {
  return { offset: node.offset, length: Math.max(1, node.length) };
}

/** Where to point for a problem inside `node`: the key naming it, else its first character. */
function keySpan(node: Node): { offset: number; length: number } {
  const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
  return key ? spanOf(key) : { offset: node.offset, length: 1 };
}

type Parsed = { value: unknown } | { issues: LocatedIssue[] };

/** Strict JSON (no comments, no trailing commas, no NaN), duplicate keys rejected, depth bounded. */
function parseJson(source: SourceText): Parsed {
  const { text } = source;
  const deep = depthIssue(text);
  if (deep) return { issues: [deep] };
  const errors: ParseError[] = [];
  source.tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) return { issues: errors.slice(0, MAX_SYNTAX_ISSUES).map((e) => syntaxIssue(text, e)) };
  const strict = strictParseIssue(text);
  if (strict) return { issues: [strict] };
  const issues: LocatedIssue[] = [];
  const value = toValue(source.tree!, [], issues);
  return issues.length ? { issues } : { value };
}

/** JSON pointer of the value being parsed at `offset` (a half-written key adds nothing). */
function pathAt(text: string, offset: number): string {
  const path = getLocation(text.slice(0, offset), offset).path;
  while (path.length && path[path.length - 1] === '') path.pop();
  return toPointer(path);
}

/** Nesting deeper than MAX_DEPTH, found by a flat scan (the tree parser recurses). */
function depthIssue(text: string): LocatedIssue | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_DEPTH) return { path: pathAt(text, i), offset: i, length: 1, message: `nested deeper than ${MAX_DEPTH} levels` };
    } else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid \\u escape in string',
  InvalidEscapeCharacter: 'invalid escape sequence in string',
  InvalidCharacter: 'control character in string (escape it, e.g. \\n)',
};

function syntaxIssue(text: string, error: ParseError): LocatedIssue {
  const code = printParseErrorCode(error.error);
  const token = text.slice(error.offset, error.offset + Math.min(error.length, 40));
  let message = SYNTAX_MESSAGES[code] ?? `unexpected ${JSON.stringify(token)}`;
  if (code === 'InvalidSymbol') {
    const special = /^[+-]?(NaN|Infinity)/.exec(text.slice(error.offset, error.offset + 9));
    if (special) message = `JSON has no ${special[1]}: write a finite number`;
    else if (token.startsWith("'")) message = 'strings and keys need double quotes';
    else message = `unexpected ${JSON.stringify(token)}`;
  }
  if (text.trim() === '') message = 'the file is empty; an experiment is a JSON object';
  else if (error.offset >= text.length && code !== 'EndOfFileExpected') message += ' (the file ends too early)';
  else if (text.slice(0, error.offset).trimEnd().endsWith(',') && /Expected$/.test(code)) message += ' (trailing commas are not allowed)';
  return { path: pathAt(text, error.offset), offset: error.offset, length: Math.max(1, error.length), message: `invalid JSON: ${message}` };
}

/** The tree parser is lenient in corners; JSON.parse has the last word on what is JSON. */
function strictParseIssue(text: string): LocatedIssue | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const offset = Math.min(text.length, Number(/position (\d+)/.exec(message)?.[1] ?? 0));
    return { path: pathAt(text, offset), offset, length: 1, message: `invalid JSON: ${message}` };
  }
}

/** Builds the value from the tree: own properties only (a "__proto__" key stays a plain key), no duplicates, finite numbers. */
function toValue(node: Node, path: (string | number)[], issues: LocatedIssue[]): unknown {
  switch (node.type) {
    case 'object': {
      const object: Record<string, unknown> = {};
      const keyNodes = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        const key = String(keyNode.value);
        if (keyNodes.has(key)) {
          issues.push({ path: toPointer([...path, key]), offset: keyNode.offset, length: keyNode.length, message: `duplicate key "${key}"` });
        }
        keyNodes.set(key, keyNode);
        const value = valueNode ? toValue(valueNode, [...path, key], issues) : null;
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    case 'array':
      return (node.children ?? []).map((child, i) => toValue(child, [...path, i], issues));
    case 'number':
      if (!Number.isFinite(node.value)) {
        issues.push({ path: toPointer(path), offset: node.offset, length: node.length, message: `number out of range (got ${String(node.value)})` });
      }
      return node.value;
    default:
      return node.value;
  }
}
