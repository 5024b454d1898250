/** Markdown tables from a bench-results.json, for docs/PERFORMANCE.md: node --import tsx bench/report.ts [FILE] */
import { readFileSync } from 'node:fs';

type Row = Record<string, unknown>;
const f = (v: unknown, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—');

export function markdown(result: {
  rows: Row[];
  e2e: Record<string, Record<string, unknown>>;
  machine: Row;
  date: string;
  command: string;
  notes: string[];
}): string {
  const out: string[] = [
    `Run: \`${result.command}\`, ${result.date}, load average at the end ${(result.machine.loadAverageAtEnd as number[]).map((x) => x.toFixed(1)).join(' / ')}.`,
    '',
  ];
  out.push('| step | backend | median ms | p10 | p90 | CPU ms | ×torch (wall) | ×torch (CPU) |', '|---|---|---:|---:|---:|---:|---:|---:|');
  const steps = result.rows
    .filter((r) => r.group === 'step')
    .sort((a, b) => String(a.name).localeCompare(String(b.name)) || String(a.backend).localeCompare(String(b.backend)));
  for (const r of steps)
    out.push(
      `| ${r.name} | ${r.backend} | ${f(r.medianMs)} | ${f(r.p10Ms)} | ${f(r.p90Ms)} | ${f(r.cpuMedianMs)} | ${f(r.ratioToPytorch, 2)} | ${f(r.cpuRatioToPytorch, 2)} |`,
    );
  out.push('', '| matmul 512³ | backend | median ms | GFLOP/s (wall) | GFLOP/s (CPU) |', '|---|---|---:|---:|---:|');
  for (const r of result.rows.filter((x) => x.group === 'matmul'))
    out.push(`| ${r.variant ?? r.name} | ${r.backend} | ${f(r.medianMs, 2)} | ${f(r.gflops)} | ${f(r.cpuGflops)} |`);
  for (const r of result.rows.filter((x) => x.group === 'leak'))
    out.push('', `Leak check (${r.backend}): ${r.name}: ${r.first} → ${r.last} tensors (growth ${r.growth}).`);
  const first = result.e2e.first;
  if (first) {
    const ipc = first.ipcLatencyMs as Record<string, number>;
    out.push(
      '',
      `Quickstart run through the trainer (${first.backend}, BLAS ${first.blasLibrary ?? 'none'}): ready ${f(first.readyMs, 0)} ms, started ${f(first.startedMs, 0)} ms, **first metric ${f(first.firstMetricMs, 0)} ms**, finished ${f(first.totalMs, 0)} ms; **peak RSS ${f(first.peakRssMb)} MB**; IPC latency p50 ${f(ipc.p50, 2)} ms, p99 ${f(ipc.p99, 2)} ms (${ipc.messages} messages).`,
    );
  }
  const sweep = result.e2e.sweep;
  if (sweep)
    out.push(
      '',
      `Sweep of ${sweep.runs} runs: --parallel 1 ${f((sweep.serialMs as number) / 1000)} s, --parallel 2 ${f((sweep.parallelMs as number) / 1000)} s: **speed-up ${f(sweep.speedup, 2)}×**; trainer CPU ${f(sweep.serialCpuSec)} s vs ${f(sweep.parallelCpuSec)} s; ${sweep.failed} failed.`,
    );
  for (const note of result.notes) out.push('', `Note: ${note}`);
  return out.join('\n');
}

if (require.main === module) console.log(markdown(JSON.parse(readFileSync(process.argv[2] ?? 'bench-results.json', 'utf8'))));
