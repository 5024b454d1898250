#!/usr/bin/env node
/**
 * Runs the replication suite (examples/paper/*.symlora.json) through the CLI and writes its
 * report: `symlora run` for every file, then `symlora report`, wrapped with the command, the
 * machine, the backend and the load it ran under.
 *
 *   node scripts/replicate.mjs                 # whole suite → docs/RESULTS.md (runs in .symlora/paper)
 *   node scripts/replicate.mjs --quick         # 2 tasks, ranks 2, 4, 8, 2 seeds, half the epochs → a temp dir
 *   node scripts/replicate.mjs --report-only   # re-render from the runs already in the work dir
 *
 * Options: --out FILE, --work DIR (runs go to DIR/runs, pretrained bases to DIR/bases),
 * --parallel N (default 2), --tasks a,b (file stems in examples/paper, e.g. mnist-to-digits).
 * Exits 1 if any run failed or no report could be made, 2 on bad usage.
 * A hand-written reading kept between the markers `<!-- reading:start -->` and
 * `<!-- reading:end -->` in an existing output file survives regeneration.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAPER_DIR = join(REPO, 'examples', 'paper');
const CLI = join(REPO, 'bin', 'symlora.js');
const QUICK = { tasks: ['mnist-to-digits', 'teacher-antisymmetric'], ranks: [2, 4, 8], seeds: [0, 1], kinds: ['none'], epochScale: 0.5 };
const READING_START = '<!-- reading:start -->';
const READING_END = '<!-- reading:end -->';

function usage(message) {
  process.stderr.write(
    `replicate: ${message}\nusage: node scripts/replicate.mjs [--quick] [--report-only] [--out FILE] [--work DIR] [--parallel N] [--tasks a,b]\n`,
  );
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        quick: { type: 'boolean' },
        'report-only': { type: 'boolean' },
        out: { type: 'string' },
        work: { type: 'string' },
        parallel: { type: 'string' },
        tasks: { type: 'string' },
      },
    }).values;
  } catch (error) {
    usage(error.message);
  }
  const parallel = Number(parsed.parallel ?? 2);
  if (!Number.isInteger(parallel) || parallel < 1) usage(`--parallel expects a whole number ≥ 1, got ${JSON.stringify(parsed.parallel)}`);
  const quick = Boolean(parsed.quick);
  const work = resolve(parsed.work ?? (quick ? join(os.tmpdir(), `symlora-replicate-quick-${process.pid}`) : join(REPO, '.symlora', 'paper')));
  const out = resolve(parsed.out ?? (quick ? join(work, 'RESULTS.md') : join(REPO, 'docs', 'RESULTS.md')));
  const known = taskNames();
  const tasks = parsed.tasks ? parsed.tasks.split(',').map((t) => t.trim()) : quick ? QUICK.tasks : known;
  for (const task of tasks) if (!known.includes(task)) usage(`--tasks: unknown task ${JSON.stringify(task)}; the suite has ${known.join(', ')}`);
  return { quick, reportOnly: Boolean(parsed['report-only']), work, out, parallel, tasks };
}

/** Task names: the stems of examples/paper/*.symlora.json without a -baselines twin suffix. */
function taskNames() {
  return readdirSync(PAPER_DIR)
    .filter((f) => f.endsWith('.symlora.json') && !f.endsWith('-baselines.symlora.json'))
    .map((f) => f.replace(/\.symlora\.json$/, ''))
    .sort();
}

function suiteFiles(task) {
  return [`${task}.symlora.json`, `${task}-baselines.symlora.json`].map((f) => join(PAPER_DIR, f)).filter(existsSync);
}

/** The quick variant of a task: its main file with fewer ranks, seeds and epochs, plus the 'none' baseline. */
function quickFiles(task, dir) {
  const config = JSON.parse(readFileSync(join(PAPER_DIR, `${task}.symlora.json`), 'utf8'));
  delete config.$schema;
  config.description = `Quick CI variant of examples/paper/${task}.symlora.json. ${config.description}`;
  config.train.epochs = Math.max(1, Math.round(config.train.epochs * QUICK.epochScale));
  config.sweep = { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': QUICK.ranks, seed: QUICK.seeds };
  const baselines = { ...config, sweep: { 'adapter.kind': QUICK.kinds, seed: QUICK.seeds } };
  mkdirSync(dir, { recursive: true });
  const files = [
    [join(dir, `${task}.symlora.json`), config],
    [join(dir, `${task}-baselines.symlora.json`), baselines],
  ];
  for (const [file, value] of files) writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  return files.map(([file]) => file);
}

function runCli(args) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Samples the 1-minute load average while the suite runs (other jobs share the cores). */
function loadSampler() {
  const samples = [os.loadavg()[0]];
  const timer = setInterval(() => samples.push(os.loadavg()[0]), 15_000);
  return {
    stop() {
      clearInterval(timer);
      samples.push(os.loadavg()[0]);
      return { min: Math.min(...samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples) };
    },
  };
}

async function runSuite(opts, runsDir) {
  const failures = [];
  const perFile = [];
  for (const task of opts.tasks) {
    const files = opts.quick ? quickFiles(task, join(opts.work, 'experiments')) : suiteFiles(task);
    for (const file of files) {
      const started = Date.now();
      process.stderr.write(`\n== ${relative(REPO, file)} ==\n`);
      const result = await runCli(['run', file, '--runs-dir', runsDir, '--parallel', String(opts.parallel), '--json']);
      const seconds = (Date.now() - started) / 1000;
      let runs = [];
      try {
        runs = JSON.parse(result.stdout).runs ?? [];
      } catch {
        // The CLI printed no JSON (e.g. an invalid file): the exit code says so below.
      }
      const bad = runs.filter((r) => r.status !== 'completed');
      perFile.push({ file: basename(file), runs: runs.length, failed: bad.length, seconds });
      if (result.code !== 0 || bad.length)
        failures.push(
          `${basename(file)}: exit ${result.code}${bad.length ? `, ${bad.map((r) => `${r.id} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ')}` : ''}`,
        );
    }
  }
  return { failures, perFile };
}

function tfjsVersion() {
  try {
    return JSON.parse(readFileSync(join(REPO, 'node_modules', '@tensorflow', 'tfjs-core', 'package.json'), 'utf8')).version;
  } catch {
    return 'version unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model?.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.versions.node}`;
}

/** Per experiment: how many comparisons SymLoRA lost / tied / won at equal rank and at equal parameters. */
function summaryTable(report) {
  const rows = new Map();
  for (const c of report.comparisons) {
    const row = rows.get(c.experiment) ?? { dataset: c.dataset, 'equal-rank': [0, 0, 0], 'equal-params': [0, 0, 0] };
    rows.set(c.experiment, row);
    const p = c.tTest.p;
    if (p === null || c.seeds.length < 2) continue; // too few pairs to test
    row[c.type][p < 0.05 ? (c.tTest.meanDiff < 0 ? 0 : 2) : 1]++;
  }
  const best = (experiment, kind) => {
    const groups = report.groups.filter((g) => g.experiment === experiment && g.kind === kind);
    if (!groups.length) return '–';
    const top = groups.reduce((a, b) => (b.metric.mean > a.metric.mean ? b : a));
    return `${top.metric.mean.toFixed(3)}${top.rank === null ? '' : ` (r${top.rank})`}`;
  };
  const lines = [
    '| experiment | task | none | head | full | best LoRA | best SymLoRA | equal rank: lower / n.s. / higher | equal params: lower / n.s. / higher |',
    '|:---|:---|---:|---:|---:|---:|---:|:---:|:---:|',
  ];
  for (const [experiment, row] of rows) {
    lines.push(
      `| ${experiment} | ${row.dataset} | ${best(experiment, 'none')} | ${best(experiment, 'head')} | ${best(experiment, 'full')} | ${best(experiment, 'lora')} | ${best(experiment, 'symlora')} | ${row['equal-rank'].join(' / ')} | ${row['equal-params'].join(' / ')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function previousReading(out) {
  if (!existsSync(out)) return undefined;
  const text = readFileSync(out, 'utf8');
  const start = text.indexOf(READING_START);
  const end = text.indexOf(READING_END);
  return start >= 0 && end > start ? text.slice(start, end + READING_END.length) : undefined;
}

function document({ opts, report, markdown, perFile, load, totalSeconds, failures }) {
  const command = opts.quick ? 'node scripts/replicate.mjs --quick' : 'npm run build && node scripts/replicate.mjs';
  const runsTotal = perFile.reduce((n, f) => n + f.runs, 0);
  const reading =
    previousReading(opts.out) ??
    `${READING_START}\n_No reading written yet: compare the tables below (write it between these markers; regeneration keeps it)._\n${READING_END}`;
  return [
    `# ${opts.quick ? 'Replication suite (quick CI variant)' : 'Results: does SymLoRA match LoRA with half the weights?'}`,
    '',
    `Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)} from the experiment files in \`examples/paper/\`${opts.quick ? ' (reduced: ranks 2, 4 and 8, seeds 0 and 1, half the epochs, only the none baseline)' : ''}.`,
    `To re-render the tables from existing runs: \`node scripts/replicate.mjs --report-only\`; for any runs directory: \`symlora report DIR --markdown FILE\`.`,
    '',
    `- Backend: ${report.backends.join(', ') || 'unknown'} (TensorFlow.js ${tfjsVersion()}), one process per run, \`--parallel ${opts.parallel}\`.`,
    `- Machine: ${machine()}.`,
    totalSeconds === undefined
      ? '- Timing: not recorded (report-only, and no suite.json from an earlier run).'
      : `- Wall time: ${(totalSeconds / 60).toFixed(1)} min for ${runsTotal} runs; 1-minute load average during the suite min ${load.min.toFixed(1)} / mean ${load.mean.toFixed(1)} / max ${load.max.toFixed(1)} on ${os.cpus().length} cores (other jobs shared the machine when this exceeds the core count).`,
    `- Metric: final test accuracy (after the last epoch, not the best checkpoint). Statistics: mean ± sample standard deviation over seeds, 95% Student-t interval; paired comparisons pair runs by seed (same data split and initialisation stream), two-sided paired t-test and exact Wilcoxon signed-rank test. With 5 pairs the smallest possible Wilcoxon p is 0.0625, so the verdict column uses the t-test at 0.05.`,
    failures.length ? `- **Failed runs:** ${failures.join('; ')}` : '- Every run completed.',
    '',
    reading,
    '',
    '## Summary',
    '',
    'Best mean test accuracy per adapter kind, and how many SymLoRA-vs-LoRA comparisons SymLoRA lost / tied (not significant at 0.05) / won.',
    '',
    summaryTable(report),
    '## Tables',
    '',
    markdown,
    perFile.length ? '## Time per experiment file\n' : '',
    perFile.length
      ? [
          '| file | runs | failed | wall time |',
          '|:---|---:|---:|---:|',
          ...perFile.map((f) => `| ${f.file} | ${f.runs} | ${f.failed} | ${f.seconds.toFixed(0)} s |`),
        ].join('\n') + '\n'
      : '',
  ].join('\n');
}

async function main() {
  const opts = options();
  if (!existsSync(join(REPO, 'dist', 'cli.js'))) usage('dist/cli.js is missing: run `npm run build` first');
  const runsDir = join(opts.work, 'runs');
  mkdirSync(runsDir, { recursive: true });
  process.stderr.write(
    `replicate: ${opts.reportOnly ? 'report only' : opts.quick ? 'quick variant' : 'full suite'}, tasks ${opts.tasks.join(', ')}; runs in ${runsDir}; output ${opts.out}\n`,
  );
  const started = Date.now();
  const sampler = loadSampler();
  // --report-only re-renders with the timing of the run that produced the runs (kept in suite.json).
  const suiteFile = join(opts.work, 'suite.json');
  let timing;
  if (opts.reportOnly) timing = existsSync(suiteFile) ? JSON.parse(readFileSync(suiteFile, 'utf8')) : { failures: [], perFile: [] };
  else {
    const { failures, perFile } = await runSuite(opts, runsDir);
    timing = {
      failures,
      perFile,
      load: sampler.stop(),
      totalSeconds: (Date.now() - started) / 1000,
      parallel: opts.parallel,
      finishedAt: new Date().toISOString(),
    };
    writeFileSync(suiteFile, JSON.stringify(timing, null, 2) + '\n');
  }
  sampler.stop();
  const { failures, perFile, load, totalSeconds } = timing;

  const markdownFile = join(opts.work, 'report.md');
  const reported = await runCli(['report', runsDir, '--json', '--markdown', markdownFile]);
  if (reported.code !== 0) {
    process.stderr.write(`replicate: symlora report failed (exit ${reported.code})\n`);
    if (failures.length) process.stderr.write(`replicate: ${failures.length} experiment file(s) had failed runs:\n  ${failures.join('\n  ')}\n`);
    process.exit(1);
  }
  const report = JSON.parse(reported.stdout);
  const markdown = readFileSync(markdownFile, 'utf8');
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, document({ opts, report, markdown, perFile, load, totalSeconds, failures }));
  process.stderr.write(`\nreplicate: wrote ${opts.out}${opts.reportOnly ? '' : ` after ${(totalSeconds / 60).toFixed(1)} min`}\n`);
  if (failures.length) {
    process.stderr.write(`replicate: ${failures.length} experiment file(s) had failed runs:\n  ${failures.join('\n  ')}\n`);
    process.exit(1);
  }
}

main().catch((error) => {
  process.stderr.write(`replicate: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
