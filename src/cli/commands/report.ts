/**
 * `symlora report RUNS_DIR_OR_RUN_DIRS... [--markdown FILE] [--json] [--experiment NAME] [--metric NAME]`:
 * mean ± std and 95% CI over seeds per configuration, and the paired SymLoRA vs LoRA comparisons
 * (equal rank, equal parameters) with a paired t-test and an exact Wilcoxon signed-rank test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { aggregateRuns, collectRuns, renderJson, renderMarkdown, renderText, ReportInputError } from '../../core/report';
import { DEFAULT_RUNS_DIR } from '../../core/runs/paths';
import { parse } from '../args';
import { EXIT, processIO, UsageError, type CliIO } from '../io';

export const USAGE = 'usage: symlora report [RUNS_DIR_OR_RUN_DIR...] [--markdown FILE] [--json] [--experiment NAME] [--metric NAME]';

export async function run(args: string[], io: CliIO = processIO): Promise<number> {
  const { values, positionals } = parse(args, {
    markdown: { type: 'string' },
    json: { type: 'boolean' },
    experiment: { type: 'string' },
    metric: { type: 'string' },
  });
  const metric = values.metric ?? 'testAccuracy';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(metric))
    throw new UsageError(`--metric expects a metric name such as testAccuracy or valAccuracy, got ${JSON.stringify(metric)}`);
  const paths = positionals.length ? positionals : [DEFAULT_RUNS_DIR];
  let collected;
  try {
    collected = collectRuns(paths);
  } catch (error) {
    if (error instanceof ReportInputError) throw new UsageError(error.message);
    throw error;
  }
  const report = aggregateRuns(collected.runs, collected.skipped, { metric, experiment: values.experiment });
  if (values.markdown !== undefined) writeMarkdown(resolve(values.markdown), renderMarkdown(report));
  io.stdout(values.json ? renderJson(report) : renderText(report));
  if (report.groups.length === 0) {
    const scope = values.experiment === undefined ? '' : ` of experiment ${JSON.stringify(values.experiment)}`;
    io.stderr(`symlora report: no completed runs${scope} with a final ${metric} in ${paths.map((p) => resolve(p)).join(', ')}\n`);
    return EXIT.runFailed;
  }
  return EXIT.ok;
}

function writeMarkdown(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    throw new Error(`cannot write the Markdown report to ${file}: ${(error as Error).message}`);
  }
}
