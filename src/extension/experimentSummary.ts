/**
 * What the CodeLens shows above an experiment file: how many runs its sweep makes and the exact
 * trainable-parameter count of each adapter kind (and rank) in it. Pure: no `vscode` import.
 */
import { countParams } from '../core/adapters/params';
import { expandSweep } from '../core/experiment/sweep';
import type { ExperimentConfig } from '../core/experiment/types';

export interface ParamLine {
  /** "symlora r4" */
  label: string;
  /** Trainable parameters (adapters + head if trained); a range when another sweep axis changes it. */
  trainable: [min: number, max: number];
  /** Adapter parameters alone. */
  adapter: [min: number, max: number];
}

export interface ExperimentSummary {
  runs: number;
  params: ParamLine[];
}

/** Sweeps larger than this are summarised from their first points only (the lens must stay instant). */
const MAX_POINTS_FOR_PARAMS = 2000;

export function summarizeExperiment(config: ExperimentConfig, sourceFile?: string): ExperimentSummary {
  const specs = expandSweep(config, sourceFile);
  const lines = new Map<string, ParamLine>();
  for (const spec of specs.slice(0, MAX_POINTS_FOR_PARAMS)) {
    const { adapter, model } = spec.config;
    const label = adapter.kind === 'lora' || adapter.kind === 'symlora' ? `${adapter.kind} r${adapter.rank}` : adapter.kind;
    const report = countParams(model, adapter);
    const line = lines.get(label);
    lines.set(label, {
      label,
      trainable: widen(line?.trainable, report.trainable),
      adapter: widen(line?.adapter, report.adapter),
    });
  }
  return { runs: specs.length, params: [...lines.values()] };
}

function widen(range: [number, number] | undefined, value: number): [number, number] {
  return range ? [Math.min(range[0], value), Math.max(range[1], value)] : [value, value];
}

export function formatRange([min, max]: [number, number]): string {
  const f = (n: number) => n.toLocaleString('en-US');
  return min === max ? f(min) : `${f(min)}–${f(max)}`;
}

/** "lora r4: 512 adapter params (776 trainable with the head)". */
export function paramLensTitle(line: ParamLine): string {
  const trainable = formatRange(line.trainable);
  const adapter = formatRange(line.adapter);
  if (line.adapter[1] === 0 || adapter === trainable) return `${line.label}: ${trainable} trainable params`;
  return `${line.label}: ${adapter} adapter params (${trainable} trainable with the head)`;
}
