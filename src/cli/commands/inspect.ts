/**
 * `symlora inspect RUN_DIR_OR_FILE [--json]`: per-layer spectra of an adapter (ours or PEFT's).
 * The table shows kind, shape, rank, top eigenvalues / singular values, ‖QᵀQ − I‖, effective rank
 * and ‖ΔW‖₂/‖W‖₂ (when the run saved its base layers); --json prints the full LayerSpectrum objects.
 */
import type { AdapterBundleConfig, AdapterLayerInfo } from '../../core/io/adapterFile';
import { inspectAdapter } from '../../core/linalg/inspect';
import type { LayerSpectrum } from '../../core/protocol';

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIO: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const USAGE = 'usage: symlora inspect RUN_DIR_OR_FILE [--json]';
const TOP_VALUES = 4;

interface InspectArgs {
  path: string;
  json: boolean;
}

function parseArgs(args: string[]): InspectArgs | string {
  let path: string | undefined;
  let json = false;
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg.startsWith('-')) return `unknown option "${arg}"`;
    else if (path === undefined) path = arg;
    else return `unexpected argument "${arg}" (only one path is inspected at a time)`;
  }
  return path === undefined ? 'missing RUN_DIR_OR_FILE' : { path, json };
}

const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(3)).toString());
const signed = (v: number): string => (v >= 0 ? `+${fmt(v)}` : fmt(v));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function render(path: string, c: AdapterBundleConfig, layers: AdapterLayerInfo[], spectra: LayerSpectrum[]): string {
  const head = `${path}: ${c.kind} adapter, rank ${c.rank}, alpha ${c.alpha} (${c.scaling}), ${layers.length} layer(s)`;
  const rows = [['layer', 'kind', 'shape', 'rank', 'top eigenvalues', 'top singular values', '‖QᵀQ−I‖', 'eff. rank', 'rel. norm']];
  spectra.forEach((s, i) => {
    const w = layers[i];
    rows.push([
      s.layer,
      s.adapter,
      `${w.shape[0]}×${w.shape[1]}`,
      String(w.rank),
      s.eigenvalues.length ? s.eigenvalues.slice(0, TOP_VALUES).map(signed).join(' ') : '—',
      s.singularValues.slice(0, TOP_VALUES).map(fmt).join(' '),
      fmt(s.orthogonalityError),
      fmt(s.effectiveRank),
      fmt(s.relativeNorm),
    ]);
  });
  const note = spectra.some((s) => s.relativeNorm === undefined) ? '\n(rel. norm needs base_layers.safetensors beside the adapter)' : '';
  return `${head}\n${table(rows)}${note}\n`;
}

export async function run(args: string[], io: CommandIO = processIO): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr(`symlora inspect: ${parsed}\n${USAGE}\n`);
    return 1;
  }
  try {
    const { format, config, layers, spectra } = inspectAdapter(parsed.path);
    if (parsed.json) io.stdout(`${JSON.stringify({ path: parsed.path, format, config, layers: spectra }, null, 2)}\n`);
    else io.stdout(render(parsed.path, config, layers, spectra));
    return 0;
  } catch (err) {
    io.stderr(`symlora inspect: ${(err as Error).message}\n`);
    return 1;
  }
}
