/**
 * `npm run bench [-- --quick] [-- --out FILE] [-- --openblas-auto]`: the benchmark suite.
 *
 * Training-step times for every backend on this machine (each in its own process), the PyTorch
 * reference in the same run (scripts/torch_bench.py, same models, same thread count), matmul
 * GFLOP/s next to OpenBLAS sgemm, end-to-end figures through the real trainer process, and a
 * tensor-leak check. Prints a table and writes bench-results.json.
 *
 * Wall times on a shared machine are noisy, so every row also has a CPU-time median (user +
 * system of the process doing the work); ratios to PyTorch are given for both.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { firstRun, paperSpecs, sweep, useLiteSpecs, type FirstRunFigures, type SweepFigures } from './e2e';
import { KINDS, RANK, WORKLOADS } from './workloads';

const ROOT = resolve(__dirname, '..');
type Row = Record<string, unknown> & { group?: string; name?: string; backend?: string };

interface Options {
  quick: boolean;
  out: string;
  /** Unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for the BLAS users (see docs/PERFORMANCE.md). */
  openblasAuto: boolean;
}

function parseOptions(argv: string[]): Options {
  const outIndex = argv.indexOf('--out');
  return {
    quick: argv.includes('--quick'),
    out: outIndex >= 0 ? argv[outIndex + 1] : join(ROOT, 'bench-results.json'),
    openblasAuto: argv.includes('--openblas-auto'),
  };
}

function childEnv(options: Options): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  if (options.openblasAuto) {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  return env;
}

/** Runs a command, parses each stdout line that is a JSON object; stderr is kept for errors. */
function runJsonLines(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<{ rows: Row[]; code: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const rows: Row[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const row = JSON.parse(line) as Row;
        rows.push(row);
        if (row.group === 'step' || row.group === 'matmul') process.stderr.write(`  ${row.backend} ${row.name}: ${fmt(row.medianMs)} ms\n`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (err) => resolvePromise({ rows, code: -1, stderr: String(err) }));
    child.on('close', (code) => resolvePromise({ rows, code, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

function backendsAvailable(): string[] {
  const found = ['wasm', 'cpu'];
  try {
    require.resolve('@tensorflow/tfjs-node');
    found.unshift('tensorflow');
  } catch {
    // tfjs-node is optional and cannot install everywhere.
  }
  return found;
}

function packageVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

async function oursStepRows(backend: string, options: Options, notes: string[]): Promise<Row[]> {
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'stepBench.ts'), '--backend', backend];
  if (options.quick) args.push('--quick');
  process.stderr.write(`[bench] ${backend}: steps, matmul, leak check\n`);
  const { rows, code, stderr } = await runJsonLines(process.execPath, args, childEnv(options));
  if (code !== 0) notes.push(`${backend} step bench exited ${code}: ${lastLines(stderr)}`);
  return rows;
}

async function torchRows(options: Options, notes: string[]): Promise<Row[]> {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) {
    notes.push('PyTorch reference skipped: /usr/bin/python3 not found');
    return [];
  }
  const request = JSON.stringify({ workloads: WORKLOADS, kinds: KINDS, rank: RANK, quick: options.quick, threads: 1 });
  process.stderr.write('[bench] PyTorch reference\n');
  const env = { ...childEnv(options), OPENBLAS_VERBOSE: '2' };
  const { rows, code, stderr } = await runJsonLines(python, [join(ROOT, 'scripts', 'torch_bench.py')], env, request);
  if (code !== 0) notes.push(`PyTorch reference skipped or incomplete (exit ${code}): ${lastLines(stderr)}`);
  return rows;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
}

/** ours / PyTorch for each step row, on wall and on CPU time. */
function addRatios(rows: Row[]): void {
  const torch = new Map(rows.filter((r) => r.group === 'step' && r.backend === 'pytorch').map((r) => [r.name, r]));
  for (const row of rows) {
    if (row.group !== 'step' || row.backend === 'pytorch') continue;
    const ref = torch.get(row.name);
    if (!ref) continue;
    row.ratioToPytorch = (row.medianMs as number) / (ref.medianMs as number);
    row.cpuRatioToPytorch = (row.cpuMedianMs as number) / (ref.cpuMedianMs as number);
  }
}

async function webviewRows(notes: string[]): Promise<Row[]> {
  const file = join(ROOT, 'bench', 'webviewRender.ts');
  if (!existsSync(file)) return [];
  try {
    const mod = (await import(file)) as { benchWebviewRender?: () => Promise<unknown> };
    if (!mod.benchWebviewRender) return [];
    const result = await mod.benchWebviewRender();
    return (Array.isArray(result) ? result : [result]).map((r) => ({ group: 'webview', ...(r as object) }));
  } catch (err) {
    notes.push(`webview render bench failed: ${String(err).slice(0, 300)}`);
    return [];
  }
}

function fmt(value: unknown, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

interface EndToEnd {
  first?: FirstRunFigures;
  /** The 8-run sweep: runs of the paper's USE-Lite task (~20 s each), a process per run, as shipped. */
  sweep?: SweepFigures;
  /** The paper's 50-run teacher experiment (~1 s runs, mostly a trainer's start-up): a process per run, and trainers reused. */
  shortSweeps?: SweepFigures[];
}

function sweepLines(s: SweepFigures): string[] {
  const trainers = s.reuseTrainers ? `trainers reused: ${s.serialProcesses} vs ${s.parallelProcesses} processes` : 'a process per run';
  return [
    `Sweep of ${s.runs} runs (${s.label}; ${trainers}): --parallel 1 ${fmt(s.serialMs / 1000, 1)} s, --parallel 2 ${fmt(s.parallelMs / 1000, 1)} s, speed-up ${fmt(s.speedup, 2)}× (${s.failed} failed; load ${fmt(s.loadBefore.serial, 2)} / ${fmt(s.loadBefore.parallel, 2)} before)`,
    `  trainer CPU per run ${fmt(s.serialCpuPerRun, 2)} s vs ${fmt(s.parallelCpuPerRun, 2)} s (total ${fmt(s.serialCpuSec)} s vs ${fmt(s.parallelCpuSec)} s); host CPU ${fmt(s.hostCpuSec.serial)} s vs ${fmt(s.hostCpuSec.parallel)} s`,
  ];
}

function printTable(rows: Row[], e2e: EndToEnd): void {
  const out: string[] = [];
  out.push('\nTraining step (ms; median of timed blocks after warm-up; CPU = process CPU time per step)');
  out.push(
    `${'row'.padEnd(26)}${'backend'.padEnd(10)}${'median'.padStart(9)}${'p10'.padStart(9)}${'p90'.padStart(9)}${'CPU'.padStart(9)}${'n'.padStart(4)}${'×torch'.padStart(8)}${'×torch CPU'.padStart(11)}`,
  );
  const steps = rows
    .filter((r) => r.group === 'step')
    .sort((a, b) => String(a.name).localeCompare(String(b.name)) || String(a.backend).localeCompare(String(b.backend)));
  for (const r of steps) {
    out.push(
      `${String(r.name).padEnd(26)}${String(r.backend).padEnd(10)}${fmt(r.medianMs).padStart(9)}${fmt(r.p10Ms).padStart(9)}${fmt(r.p90Ms).padStart(9)}${fmt(r.cpuMedianMs).padStart(9)}${String(r.samples).padStart(4)}${fmt(r.ratioToPytorch, 2).padStart(8)}${fmt(r.cpuRatioToPytorch, 2).padStart(11)}`,
    );
  }
  out.push('\nMatmul 512×512×512 (GFLOP/s from the wall median and from CPU time)');
  for (const r of rows.filter((x) => x.group === 'matmul')) {
    out.push(
      `${String(r.backend).padEnd(10)}${String(r.variant ?? r.name).padEnd(56)}${fmt(r.medianMs, 2).padStart(9)} ms${fmt(r.gflops).padStart(8)} GFLOP/s${fmt(r.cpuGflops).padStart(8)} (CPU)`,
    );
  }
  for (const r of rows.filter((x) => x.group === 'leak')) out.push(`\nLeak check (${r.backend}): ${r.name}: ${r.first} → ${r.last} (growth ${r.growth})`);
  if (e2e.first) {
    const f = e2e.first;
    out.push(
      `\nQuickstart run through the trainer process (${f.backend}, BLAS ${f.blasLibrary ?? 'none'}, ${f.status}): ready ${fmt(f.readyMs, 0)} ms, started ${fmt(f.startedMs, 0)} ms, first metric ${fmt(f.firstMetricMs, 0)} ms, done ${fmt(f.totalMs, 0)} ms`,
    );
    out.push(
      `Trainer peak RSS (VmHWM): ${fmt(f.peakRssMb)} MB; IPC latency p50 ${fmt(f.ipcLatencyMs.p50, 2)} ms, p99 ${fmt(f.ipcLatencyMs.p99, 2)} ms over ${f.ipcLatencyMs.messages} messages`,
    );
  }
  if (e2e.sweep) out.push(...sweepLines(e2e.sweep));
  for (const s of e2e.shortSweeps ?? []) out.push(...sweepLines(s));
  for (const r of rows.filter((x) => x.group === 'webview')) out.push(`Webview render: ${JSON.stringify(r)}`);
  console.log(out.join('\n'));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const notes: string[] = [];
  const backends = backendsAvailable();
  const rows: Row[] = [];
  for (const backend of backends) rows.push(...(await oursStepRows(backend, options, notes)));
  rows.push(...(await torchRows(options, notes)));
  addRatios(rows);
  const e2e: EndToEnd = {};
  if (!existsSync(join(ROOT, 'dist', 'trainer.js'))) notes.push('end-to-end skipped: dist/trainer.js missing (npm run build)');
  else {
    process.stderr.write('[bench] end-to-end: quickstart run, sweeps --parallel 1 vs 2\n');
    e2e.first = await firstRun();
    e2e.sweep = options.quick
      ? await sweep('paper USE-Lite sentiment, LoRA and SymLoRA at rank 4, seed 0, 1 epoch', useLiteSpecs({ seeds: [0], ranks: [4], epochs: 1 }))
      : await sweep('paper USE-Lite sentiment, LoRA and SymLoRA at ranks 4 and 8, seeds 0 and 1', useLiteSpecs());
    const short = options.quick ? paperSpecs({ seeds: [0], ranks: [4, 8], epochs: 2 }) : paperSpecs();
    const label = options.quick ? 'paper teacher-symmetric, ranks 4 and 8, seed 0, 2 epochs' : 'the paper teacher-symmetric experiment, 256 steps a run';
    e2e.shortSweeps = [await sweep(label, short), await sweep(label, short, true)];
  }
  rows.push(...(await webviewRows(notes)));
  const machine = {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverageAtEnd: loadavg(),
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
    tfjsCore: packageVersion('@tensorflow/tfjs-core'),
    tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
    tfjsBackendCpu: packageVersion('@tensorflow/tfjs-backend-cpu'),
    tfjsNode: packageVersion('@tensorflow/tfjs-node'),
    koffi: packageVersion('koffi'),
    backendsFound: backends,
    openblasEnv: { OPENBLAS_CORETYPE: childEnv(options).OPENBLAS_CORETYPE ?? null, OPENBLAS_L2_SIZE: childEnv(options).OPENBLAS_L2_SIZE ?? null },
    torch: rows.find((r) => r.group === 'info')?.torch,
  };
  printTable(rows, e2e);
  for (const note of notes) console.log(`note: ${note}`);
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: options.quick,
    machine,
    rows,
    e2e,
    notes,
    benchSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${options.out} (${fmt(result.benchSeconds, 0)} s)`);
}

void main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
