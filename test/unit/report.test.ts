/**
 * Report aggregation, comparisons and rendering on synthetic runs written by the real RunWriter
 * (specs from a real experiment file through the real sweep expansion), plus the CLI command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run as reportCommand } from '../../src/cli/commands/report';
import { UsageError, type CliIO } from '../../src/cli/io';
import { parseExperiment } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import type { RunSpec } from '../../src/core/experiment/types';
import type { RunStatus } from '../../src/core/protocol';
import { aggregateRuns, collectRuns, renderJson, renderMarkdown, renderText, verdict, type Report } from '../../src/core/report';
import { RunWriter } from '../../src/core/runs/writer';
import { holmAdjust, meanConfidenceInterval, pairedTTest, wilcoxonSignedRank } from '../../src/core/stats';

const root = mkdtempSync(join(tmpdir(), 'symlora-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

function specs(name: string, sweep: Record<string, unknown[]>): RunSpec[] {
  const file = {
    name,
    model: { arch: 'mlp', inputDim: 16, hidden: [16, 16], classes: 4 },
    task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric' }, trainSize: 100, valSize: 20, testSize: 50 },
    adapter: { kind: 'lora', rank: 2, targets: ['hidden.*'] },
    train: { epochs: 1, batchSize: 10, lr: 0.01 },
    sweep,
  };
  return expandSweep(parseExperiment(JSON.stringify(file), `${name}.symlora.json`));
}

/** A made-up but structured accuracy: LoRA improves with rank, SymLoRA trails it by 0.01 + seed noise. */
function accuracyOf(spec: RunSpec): number {
  const { kind, rank } = spec.config.adapter;
  const seed = spec.config.seed;
  const noise = [0.004, -0.003, 0.002, -0.001, 0.0035][seed] ?? 0;
  if (kind === 'none') return 0.5 + noise;
  if (kind === 'full') return 0.95 + noise;
  const lora = 0.8 + 0.02 * Math.log2(rank) + noise;
  return kind === 'lora' ? lora : lora - 0.01 - 0.002 * seed;
}

function paramsOf(spec: RunSpec): number {
  const { kind, rank } = spec.config.adapter;
  return kind === 'lora' ? 2 * 2 * 16 * rank : kind === 'symlora' ? 2 * (16 * rank + rank) : kind === 'full' ? 676 : 0;
}

function writeRun(runsDir: string, spec: RunSpec, status: RunStatus = 'completed', accuracy = accuracyOf(spec)): string {
  const writer = RunWriter.create(runsDir, spec, {
    fields: { backend: 'cpu', params: { trainable: paramsOf(spec), adapter: paramsOf(spec), base: 676, layers: [], skipped: [] } },
  });
  writer.finish(
    status,
    status === 'completed'
      ? { summary: { final: { testAccuracy: accuracy, testLoss: 1 - accuracy }, best: {} } }
      : { error: 'diverged: loss is NaN at step 3' },
  );
  return writer.dir;
}

function captureIO(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, columns: 120, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

const seeds = [0, 1, 2, 3, 4];
const suiteDir = join(root, 'suite');
const adapterSpecs = specs('paper', { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [1, 2, 4], seed: seeds });
const baselineSpecs = specs('paper', { 'adapter.kind': ['none', 'full'], seed: seeds });
for (const spec of [...adapterSpecs, ...baselineSpecs]) {
  // Drop symlora rank 4 seed 4 so one comparison has four pairs only.
  if (spec.config.adapter.kind === 'symlora' && spec.config.adapter.rank === 4 && spec.config.seed === 4) continue;
  writeRun(suiteDir, spec);
}
const failedDir = writeRun(suiteDir, specs('paper', { 'adapter.kind': ['lora'], 'adapter.rank': [8] })[0], 'failed');

function suiteReport(): Report {
  const collected = collectRuns([suiteDir]);
  return aggregateRuns(collected.runs, collected.skipped);
}

const valuesOf = (kind: string, rank: number, onlySeeds = seeds) =>
  adapterSpecs.filter((s) => s.config.adapter.kind === kind && s.config.adapter.rank === rank && onlySeeds.includes(s.config.seed)).map(accuracyOf);

describe('aggregation over seeds', () => {
  it('groups by configuration minus seed, with mean, std and 95% CI', () => {
    const report = suiteReport();
    assert.deepEqual(
      report.groups.map((g) => `${g.kind}:${g.rank}:${g.metric.n}`),
      ['none:null:5', 'lora:1:5', 'lora:2:5', 'lora:4:5', 'symlora:1:5', 'symlora:2:5', 'symlora:4:4', 'full:null:5'],
    );
    const lora2 = report.groups.find((g) => g.kind === 'lora' && g.rank === 2)!;
    const expected = meanConfidenceInterval(valuesOf('lora', 2));
    assert.ok(Math.abs(lora2.metric.mean - expected.mean) < 1e-12);
    assert.ok(Math.abs(lora2.metric.low - expected.low) < 1e-12 && Math.abs(lora2.metric.high - expected.high) < 1e-12);
    assert.equal(lora2.trainable, 128);
    assert.deepEqual(lora2.seeds, seeds);
    assert.equal(lora2.experiment, 'paper');
    assert.match(lora2.dataset, /teacher \(symmetric shift, rank 2\)/);
    assert.equal(report.runsUsed, 39);
    assert.deepEqual(report.backends, ['cpu']);
  });

  it('skips runs that did not complete, saying why', () => {
    const report = suiteReport();
    assert.equal(report.skipped.length, 1);
    assert.equal(report.skipped[0].dir, failedDir);
    assert.match(report.skipped[0].reason, /status failed: diverged/);
  });

  it('pairs equal-rank and equal-parameter comparisons by seed', () => {
    const report = suiteReport();
    assert.deepEqual(
      report.comparisons.map((c) => `${c.type}:sym${c.symlora.rank}/lora${c.lora.rank}:${c.seeds.length}`),
      ['equal-rank:sym1/lora1:5', 'equal-rank:sym2/lora2:5', 'equal-rank:sym4/lora4:4', 'equal-params:sym2/lora1:5', 'equal-params:sym4/lora2:4'],
    );
    const equalRank = report.comparisons.find((c) => c.type === 'equal-rank' && c.symlora.rank === 2)!;
    const sym = valuesOf('symlora', 2);
    const lora = valuesOf('lora', 2);
    assert.ok(Math.abs(equalRank.tTest.p - pairedTTest(sym, lora).p) < 1e-12);
    assert.equal(equalRank.wilcoxon.p, wilcoxonSignedRank(sym, lora).p);
    assert.ok(equalRank.difference!.mean < 0, 'SymLoRA trails LoRA at equal rank by construction');
    assert.equal(verdict(equalRank), 'SymLoRA lower');

    const equalParams = report.comparisons.find((c) => c.type === 'equal-params' && c.symlora.rank === 4)!;
    const pairedSeeds = [0, 1, 2, 3];
    assert.deepEqual(equalParams.seeds, pairedSeeds);
    assert.ok(Math.abs(equalParams.tTest.p - pairedTTest(valuesOf('symlora', 4, pairedSeeds), valuesOf('lora', 2, pairedSeeds)).p) < 1e-12);
    assert.equal(equalParams.symlora.trainable, 2 * (16 * 4 + 4));
    assert.equal(equalParams.lora.trainable, 128);
    assert.ok(equalParams.difference!.mean > 0, 'SymLoRA at 2r beats LoRA at r here by construction');
  });

  it('Holm-adjusts the t-test p-values over the comparisons of one experiment', () => {
    const report = suiteReport();
    assert.deepEqual(
      report.comparisons.map((c) => c.holmP),
      holmAdjust(report.comparisons.map((c) => c.tTest.p)),
    );
    assert.ok(report.comparisons.every((c) => c.holmP >= c.tTest.p));
  });

  it('keeps the newest run when a seed repeats, and warns', () => {
    const dir = join(root, 'repeat');
    const spec = specs('rep', { 'adapter.kind': ['lora'], seed: [0, 1] });
    writeRun(dir, spec[0], 'completed', 0.1);
    writeRun(dir, spec[1], 'completed', 0.2);
    const newer = writeRun(dir, spec[0], 'completed', 0.3);
    const collected = collectRuns([dir]);
    const report = aggregateRuns(collected.runs, collected.skipped);
    assert.equal(report.groups.length, 1);
    assert.ok(Math.abs(report.groups[0].metric.mean - 0.25) < 1e-12);
    assert.equal(report.warnings.length, 1);
    assert.ok(report.warnings[0].includes(newer.split('/').pop()!));
  });

  it('filters by experiment and accepts run directories as well as runs directories', () => {
    const other = join(root, 'other');
    const otherRun = writeRun(other, specs('other', { 'adapter.kind': ['lora'] })[0]);
    const collected = collectRuns([suiteDir, otherRun, otherRun]);
    assert.equal(collected.runs.length, 41, '39 usable + 1 failed in the suite, the other run once');
    const all = aggregateRuns(collected.runs, collected.skipped);
    assert.deepEqual([...new Set(all.groups.map((g) => g.experiment))].sort(), ['other', 'paper']);
    const only = aggregateRuns(collected.runs, collected.skipped, { experiment: 'other' });
    assert.equal(only.groups.length, 1);
    assert.equal(only.comparisons.length, 0);
  });

  it('rejects missing paths by name', () => {
    assert.throws(() => collectRuns([join(root, 'nope')]), /nope: no such file or directory/);
    assert.throws(() => collectRuns([]), /no runs directory/);
  });
});

describe('rendering', () => {
  const report = suiteReport();
  it('prints aligned terminal tables with the numbers of the report', () => {
    const text = renderText(report);
    const lora2 = report.groups.find((g) => g.kind === 'lora' && g.rank === 2)!;
    assert.ok(text.includes(`${lora2.metric.mean.toFixed(4)} ± ${lora2.metric.std.toFixed(4)}`));
    assert.ok(text.includes(`[${lora2.metric.low.toFixed(4)}, ${lora2.metric.high.toFixed(4)}]`));
    assert.match(text, /equal params\s+r4 \(136\)\s+r2 \(128\)\s+4/);
    assert.match(text, /1 runs skipped/);
  });
  it('writes Markdown tables with one header rule per table', () => {
    const md = renderMarkdown(report);
    assert.match(md, /^### paper — teacher/m);
    assert.equal(md.match(/^\|:---\|/gm)?.length, 2);
    assert.match(md, /\| equal rank \| r1 \(34\) \| r1 \(64\) \| 5 \| −0\.0/);
  });
  it('gives JSON without NaN (as null)', () => {
    const one = aggregateRuns(collectRuns([join(root, 'other')]).runs);
    const parsed = JSON.parse(renderJson(one));
    assert.equal(parsed.groups[0].metric.std, null);
    assert.equal(parsed.groups[0].metric.n, 1);
  });
});

describe('symlora report (CLI command)', () => {
  it('--json prints the report and --markdown writes the file', async () => {
    const io = captureIO();
    const md = join(root, 'out', 'RESULTS.md');
    const code = await reportCommand([suiteDir, '--json', '--markdown', md], io);
    assert.equal(code, 0);
    const parsed = JSON.parse(io.out) as Report;
    assert.equal(parsed.groups.length, 8);
    assert.equal(parsed.comparisons.length, 5);
    assert.equal(readFileSync(md, 'utf8'), renderMarkdown(suiteReport()));
  });
  it('prints the table by default and honours --experiment', async () => {
    const io = captureIO();
    assert.equal(await reportCommand([suiteDir, '--experiment', 'paper'], io), 0);
    assert.match(io.out, /kind\s+rank\s+trainable/);
    const none = captureIO();
    assert.equal(await reportCommand([suiteDir, '--experiment', 'missing'], none), 1);
    assert.match(none.err, /no completed runs of experiment "missing"/);
  });
  it('reports bad usage clearly', async () => {
    await assert.rejects(reportCommand([join(root, 'absent')], captureIO()), (e: unknown) => e instanceof UsageError && /absent: no such file/.test(e.message));
    await assert.rejects(reportCommand([suiteDir, '--bogus'], captureIO()), UsageError);
    await assert.rejects(reportCommand([suiteDir, '--metric', '1x'], captureIO()), /--metric expects a metric name/);
  });
});
