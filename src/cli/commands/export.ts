/**
 * `symlora export RUN_DIR --format peft --out DIR [--force]`: writes the run's adapter as a
 * HuggingFace PEFT LoRA (adapter_model.safetensors + adapter_config.json). Atomic: the files go to
 * a temporary sibling directory that is renamed into place, so DIR never holds half an export.
 * A non-empty DIR is only replaced with --force.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readAdapter } from '../../core/io/adapterFile';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, toPeft } from '../../core/io/peft';
import { processIO, type CommandIO } from './inspect';

const USAGE = 'usage: symlora export RUN_DIR --format peft --out DIR [--force]';
const FORMATS = ['peft'] as const;

interface ExportArgs {
  source: string;
  format: (typeof FORMATS)[number];
  out: string;
  force: boolean;
}

function parseArgs(args: string[]): ExportArgs | string {
  let source: string | undefined;
  let format = 'peft';
  let out: string | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    if (flag === '--force') force = true;
    else if (flag === '--format') format = value() ?? '';
    else if (flag === '--out') out = value();
    else if (arg.startsWith('-')) return `unknown option "${arg}"`;
    else if (source === undefined) source = arg;
    else return `unexpected argument "${arg}"`;
  }
  if (source === undefined) return 'missing RUN_DIR';
  if (!out) return 'missing --out DIR';
  if (!(FORMATS as readonly string[]).includes(format)) return `unsupported --format "${format}" (supported: ${FORMATS.join(', ')})`;
  return { source, format: format as ExportArgs['format'], out, force };
}

function writeDurably(path: string, data: Buffer | string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isNonEmptyDir(path: string): boolean {
  if (!existsSync(path)) return false;
  if (!statSync(path).isDirectory()) throw new Error(`--out ${path} exists and is not a directory`);
  return readdirSync(path).length > 0;
}

/** Moves the finished temp dir to `out`, replacing what is there (the caller has checked --force). */
function moveIntoPlace(temp: string, out: string): void {
  if (!existsSync(out)) {
    renameSync(temp, out);
    return;
  }
  const old = `${out}.old-${randomBytes(4).toString('hex')}`;
  renameSync(out, old);
  try {
    renameSync(temp, out);
  } catch (err) {
    renameSync(old, out);
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
}

/** Exports `source` (run dir or adapter file) to `out` in PEFT format; returns the number of layers. */
export function exportPeft(source: string, out: string, force: boolean): number {
  const target = resolve(out);
  if (isNonEmptyDir(target) && !force) throw new Error(`--out ${out} is not empty (use --force to replace it)`);
  const { safetensors, configJson } = toPeft(readAdapter(source));
  mkdirSync(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.export-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  mkdirSync(temp);
  try {
    writeDurably(join(temp, PEFT_WEIGHTS_FILE), safetensors);
    writeDurably(join(temp, PEFT_CONFIG_FILE), configJson);
    moveIntoPlace(temp, target);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  return (JSON.parse(configJson) as { target_modules: string[] }).target_modules.length;
}

export async function run(args: string[], io: CommandIO = processIO): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr(`symlora export: ${parsed}\n${USAGE}\n`);
    return 1;
  }
  try {
    const layers = exportPeft(parsed.source, parsed.out, parsed.force);
    io.stdout(`Exported ${layers} layer(s) from ${parsed.source} to ${parsed.out} as a PEFT LoRA adapter (${PEFT_WEIGHTS_FILE}, ${PEFT_CONFIG_FILE}).\n`);
    return 0;
  } catch (err) {
    io.stderr(`symlora export: ${(err as Error).message}\n`);
    return 1;
  }
}
