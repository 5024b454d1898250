/** `symlora list [--runs-dir DIR] [--json]`: the runs found in a runs directory. */
import { resolve } from 'node:path';
import { listRuns, type RunSummary } from '../../core/runs/reader';
import { DEFAULT_RUNS_DIR } from '../../core/runs/paths';
import { parse } from '../args';
import { fixed, integer, seconds, table, type Column } from '../format';
import { EXIT, processIO, UsageError, type CliIO } from '../io';

export const USAGE = 'usage: symlora list [--runs-dir DIR] [--json]';

const COLUMNS: Column<RunSummary>[] = [
  { title: 'run', value: (r) => r.id },
  { title: 'status', value: (r) => r.status + (r.stale ? '?' : '') },
  { title: 'experiment', value: (r) => r.experiment ?? '-' },
  { title: 'kind', value: (r) => r.adapterKind ?? '-' },
  { title: 'rank', value: (r) => (r.rank === undefined ? '-' : String(r.rank)), align: 'right' },
  { title: 'seed', value: (r) => (r.seed === undefined ? '-' : String(r.seed)), align: 'right' },
  { title: 'trainable', value: (r) => integer(r.trainableParams), align: 'right' },
  { title: 'best val', value: (r) => fixed(r.summary?.best?.valAccuracy), align: 'right' },
  { title: 'test acc', value: (r) => fixed(r.summary?.final?.testAccuracy), align: 'right' },
  { title: 'time', value: (r) => seconds(r.wallTimeSec), align: 'right' },
  { title: 'backend', value: (r) => r.backend ?? '-' },
];

export async function run(args: string[], io: CliIO = processIO): Promise<number> {
  const { values, positionals } = parse(args, { 'runs-dir': { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const runsDir = resolve(values['runs-dir'] ?? DEFAULT_RUNS_DIR);
  const runs = listRuns(runsDir);
  if (values.json) {
    io.stdout(JSON.stringify({ runsDir, runs: runs.map(({ record: _record, ...rest }) => rest) }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (runs.length === 0) {
    io.stdout(`no runs in ${runsDir}\n`);
    return EXIT.ok;
  }
  io.stdout(table(runs, COLUMNS));
  for (const bad of runs.filter((r) => r.error && (r.status === 'unreadable' || r.stale))) io.stderr(`${bad.id}: ${bad.error}\n`);
  return EXIT.ok;
}
