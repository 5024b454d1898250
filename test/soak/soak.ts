/**
 * Soak test (issue #10): one run streams to an open dashboard in a real VS Code (code-server +
 * Chromium, the e2e harness) for N minutes while we sample, every ~20 s, the extension host's and
 * the trainer's memory, Chromium's, the dashboard's points and lag behind metrics.jsonl, and how
 * long the command palette and a quick pick served by the extension host take. At the end: a table,
 * soak-results.json, and a non-zero exit if memory grows or the UI lags past the thresholds
 * (analysis.ts says why they are what they are).
 *
 * Not part of `npm test` (it takes as long as you ask). Usage:
 *   npm run soak                           # 20 minutes (builds and packages first)
 *   npm run soak -- --minutes 3 --sample-seconds 15
 *   node --import tsx test/soak/soak.ts --minutes 2 --vsix some.vsix   # reuse a packaged .vsix
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CDPSession, Frame, Page } from 'playwright-core';
import { readRunRecord } from '../../src/core/runs/reader';
import { packageExtension, QuickPick, REPO, TIMEOUT, VsCodeSession, waitFor } from '../e2e/harness';
import { checks, DEFAULT_THRESHOLDS, formatNumber, formatTable, latencyStats, memoryStats, type Check, type Sample } from './analysis';
import { findDashboardFrame, frameLatencyMs, readDashboard } from './dashboard';
import { soakExperiment } from './experiment';
import { lagBehindFile } from './metricsFile';
import {
  cpuSeconds,
  descendants,
  findExtensionHost,
  findTrainers,
  isAlive,
  memAvailableBytes,
  processTable,
  procKey,
  pssBytes,
  rssBytes,
  type Proc,
} from './procs';

const MB = 1024 * 1024;
const EXPERIMENT_FILE = 'soak.symlora.json';
const STOP_COMMAND = 'SymLoRA: Stop Run';
/**
 * The latency probe: a command whose quick pick the extension host serves (showQuickPick of the
 * templates), harmless when dismissed, and available before the run as during it, so a baseline
 * without streaming can be measured the same way.
 */
const PROBE_COMMAND = 'SymLoRA: New Experiment';
const BASELINE_PROBES = 3;
/** After the trainer exits, how long the host gets to drop what the run held before "after" is read. */
const SETTLE_AFTER_STOP_MS = 10_000;
/** The extension host's RSS is also read every second (cheap: one /proc read), so a short spike between samples still sets the peak. */
const HOST_TRACE_MS = 1000;

interface Options {
  minutes: number;
  sampleSeconds: number;
  out: string;
  vsix?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { minutes: { type: 'string' }, 'sample-seconds': { type: 'string' }, out: { type: 'string' }, vsix: { type: 'string' } },
    strict: true,
  });
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got '${raw}')`);
    return value;
  };
  const vsix = values.vsix === undefined ? undefined : resolve(values.vsix);
  if (vsix && !existsSync(vsix)) throw new Error(`--vsix: no such file: ${vsix}`);
  return {
    minutes: number('minutes', values.minutes, 20, 0.5, 24 * 60),
    sampleSeconds: number('sample-seconds', values['sample-seconds'], 20, 5, 300),
    out: resolve(values.out ?? join(REPO, 'soak-results.json')),
    vsix,
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mb = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / MB);

class Soak {
  readonly samples: Sample[] = [];
  /** Every process of ours we saw (code-server's group, trainers, Chromium), to prove none outlives us. */
  private readonly seen = new Map<string, Proc>();
  host!: Proc;
  private trainer?: Proc;
  private cdp?: CDPSession;
  private dashboard?: Frame;
  runId = '';
  startedAt = 0;
  hostBeforeMb = NaN;
  hostAfterStopMb = NaN;
  /** [seconds since the run started, MB] every second, from before the run until after it stopped. */
  readonly hostTrace: [number, number][] = [];
  private tracer?: NodeJS.Timeout;
  /** Palette → host quick pick round trips before the run started (no streaming). */
  readonly baselineRoundTripMs: number[] = [];
  /** The last CPU-time reading per pid, for the CPU share between samples. */
  private readonly lastCpu = new Map<number, { atSec: number; cpuSec: number }>();
  endedEarly?: string;
  stop?: { by: string; requestedAtSec: number; status: string; tookSec: number };

  constructor(
    readonly session: VsCodeSession,
    readonly options: Options,
  ) {}

  get page(): Page {
    return this.session.page;
  }

  private get extensionsDir(): string {
    return join(this.session.root, 'ext');
  }

  private get runsDir(): string {
    return join(this.session.workspace, '.symlora', 'runs');
  }

  /** Opens the container with the dashboard, reads the host's memory before any run and times the probe without streaming. */
  async prepare(): Promise<void> {
    await this.session.workbench.openSymloraLab();
    await this.session.workbench.webviewWith(/X axis/).find(TIMEOUT.training);
    await waitFor(async () => (this.dashboard = await findDashboardFrame(this.page)) !== undefined, TIMEOUT.ui, 'the dashboard frame with its test hooks');
    this.cdp = await this.page.context().newCDPSession(this.page);
    await this.cdp.send('Performance.enable');
    const table = this.scan();
    const host = findExtensionHost(table, this.session.serverPid!);
    if (!host) throw new Error(`no extension host (bootstrap-fork --type=extensionHost) in code-server's process group ${this.session.serverPid}`);
    this.host = host;
    this.hostBeforeMb = mb(rssBytes(host.pid)) ?? NaN;
    for (let i = 0; i < BASELINE_PROBES; i++) {
      const { paletteMs, commandPickMs } = await this.probePalette();
      this.baselineRoundTripMs.push(paletteMs + commandPickMs);
    }
    this.tracer = setInterval(() => {
      const rss = mb(rssBytes(host.pid));
      if (rss !== undefined) this.hostTrace.push([this.startedAt ? this.elapsedSec() : 0, rss]);
    }, HOST_TRACE_MS);
  }

  stopTracing(): void {
    clearInterval(this.tracer);
  }

  /** The host's highest RSS in the 1-s trace (after the run started), including the settle after Stop Run. */
  get hostTracePeakMb(): number {
    const values = this.hostTrace.filter(([t]) => t > 0).map(([, rss]) => rss);
    return values.length ? Math.max(...values) : NaN;
  }

  /** Runs the experiment from the palette and waits until its trainer runs and its points reach the dashboard. */
  async startRun(): Promise<void> {
    const wb = this.session.workbench;
    await wb.openFile(EXPERIMENT_FILE);
    await wb.runCommand('SymLoRA: Run Experiment');
    this.startedAt = performance.now();
    // First CPU-time readings, so the first sample's CPU shares cover the time since the start.
    this.cpuPercent(this.host.pid);
    for (const proc of this.chromium(this.scan())) this.cpuPercent(proc.pid);
    await waitFor(
      () => (this.trainer = findTrainers(this.scan(), this.host, this.extensionsDir)[0]) !== undefined,
      TIMEOUT.training,
      `a trainer process under the extension host ${this.host.pid}`,
    );
    this.cpuPercent(this.trainer!.pid);
    await waitFor(
      () => existsSync(this.runsDir) && (this.runId = readdirSync(this.runsDir).find((name) => name.startsWith('soak')) ?? '') !== '',
      TIMEOUT.training,
      `a soak run folder in ${this.runsDir}`,
    );
    await waitFor(async () => (await readDashboard(this.dashboard!)).newestStep >= 0, TIMEOUT.training, 'the first points on the dashboard');
  }

  elapsedSec(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Samples until the time is up or the run ends on its own (which it must not). */
  async sampleUntilDone(onSample: (sample: Sample) => void): Promise<void> {
    const durationSec = this.options.minutes * 60;
    for (let k = 1; ; k++) {
      const dueSec = Math.min(k * this.options.sampleSeconds, durationSec);
      await sleep(Math.max(0, (dueSec - this.elapsedSec()) * 1000));
      const sample = await this.sample();
      this.samples.push(sample);
      onSample(sample);
      if (sample.runStatus !== 'running') {
        this.endedEarly = `the run ended on its own (${sample.runStatus}) after ${sample.t.toFixed(0)} s, before the soak's ${this.options.minutes} min were up`;
        return;
      }
      if (dueSec >= durationSec) return;
    }
  }

  private async sample(): Promise<Sample> {
    const table = this.scan();
    const host = findExtensionHost(table, this.session.serverPid!, this.trainer?.pid);
    if (!host || procKey(host) !== procKey(this.host))
      throw new Error(`the extension host ${this.host.pid} is gone${host ? ` (a new one, ${host.pid}, runs)` : ''}`);
    const t = this.elapsedSec();
    const dashboard = await readDashboard(this.dashboard!);
    const lag = lagBehindFile(join(this.runsDir, this.runId, 'metrics.jsonl'), dashboard.newestStep);
    const webviewFrameMs = await frameLatencyMs(this.dashboard!);
    const latency = await this.probePalette();
    return {
      t,
      hostRssMb: mb(rssBytes(host.pid)) ?? NaN,
      trainerRssMb: this.trainer && isAlive(this.trainer) ? mb(rssBytes(this.trainer.pid)) : undefined,
      hostCpuPct: this.cpuPercent(host.pid) ?? NaN,
      trainerCpuPct: this.trainer && isAlive(this.trainer) ? this.cpuPercent(this.trainer.pid) : undefined,
      browserPssMb: mb(this.chromium(table).reduce((sum, proc) => sum + (pssBytes(proc.pid) ?? 0), 0)),
      browserCpuPct: this.chromium(table).reduce((sum, proc) => sum + (this.cpuPercent(proc.pid) ?? 0), 0),
      workbenchHeapMb: mb(await this.workbenchHeap()),
      webviewHeapMb: mb(dashboard.heapBytes),
      dashboardPoints: dashboard.points,
      dashboardDrawnPoints: dashboard.drawnPoints,
      dashboardStep: dashboard.newestStep,
      fileStep: lag.newestStep,
      dashboardLagSec: lag.lagSec,
      webviewFrameMs,
      ...latency,
      runStatus: readRunRecord(join(this.runsDir, this.runId)).status,
      loadAvg1: loadavg()[0],
    };
  }

  /** Percent of one core `pid` used since the last call for it (the first call measures from the run's start). */
  private cpuPercent(pid: number): number | undefined {
    const cpuSec = cpuSeconds(pid);
    if (cpuSec === undefined) return undefined;
    const atSec = this.elapsedSec();
    const last = this.lastCpu.get(pid);
    this.lastCpu.set(pid, { atSec, cpuSec });
    return last && atSec > last.atSec ? (100 * (cpuSec - last.cpuSec)) / (atSec - last.atSec) : undefined;
  }

  /** Chromium's processes: ours are below this process (playwright launched them). */
  private chromium(table: Proc[]): Proc[] {
    return descendants(table, process.pid).filter((proc) => /\/chromium\b/.test(proc.cmdline.split(' ')[0]));
  }

  private async workbenchHeap(): Promise<number | undefined> {
    const { metrics } = (await this.cdp!.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    return metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value;
  }

  /**
   * F1 → the probe command's row rendered in the palette (the workbench alone), then picking it →
   * the extension host's quick pick rendered (a round trip through the host), then Escape (nothing
   * is created). A probe that times out counts with the time it waited.
   */
  private async probePalette(): Promise<{ paletteMs: number; commandPickMs: number }> {
    const page = this.page;
    await page.keyboard.press('Escape');
    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 10 } })
      .catch(() => undefined);
    const t0 = performance.now();
    let t1 = NaN;
    try {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ timeout: TIMEOUT.ui });
      await input.fill(`>${PROBE_COMMAND}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: PROBE_COMMAND }).first();
      await row.waitFor({ timeout: TIMEOUT.ui });
      t1 = performance.now();
      await row.click();
      const pick = new QuickPick(page);
      await pick.waitOpen(PROBE_COMMAND);
      return { paletteMs: t1 - t0, commandPickMs: performance.now() - t1 };
    } catch (error) {
      const now = performance.now();
      process.stderr.write(`soak: palette probe failed: ${(error as Error).message.split('\n')[0]}\n`);
      return Number.isNaN(t1) ? { paletteMs: now - t0, commandPickMs: NaN } : { paletteMs: t1 - t0, commandPickMs: now - t1 };
    } finally {
      await page.keyboard.press('Escape');
    }
  }

  /** Stops the run the way a user does (palette → Stop Run → tick it → OK), then reads the host's memory once it settled. */
  async stopRun(): Promise<void> {
    const requestedAtSec = this.elapsedSec();
    const wb = this.session.workbench;
    await wb.runCommand(STOP_COMMAND);
    const pick = wb.quickPick();
    await pick.waitOpen(STOP_COMMAND);
    await pick.pick(this.runId);
    await pick.accept();
    let status = '';
    await waitFor(() => (status = readRunRecord(join(this.runsDir, this.runId)).status) !== 'running', TIMEOUT.training, `run ${this.runId} to stop`);
    await waitFor(() => !this.trainer || !isAlive(this.trainer), TIMEOUT.training, `the trainer ${this.trainer?.pid} to exit`);
    this.stop = { by: `${STOP_COMMAND} (command palette)`, requestedAtSec, status, tookSec: this.elapsedSec() - requestedAtSec };
    await sleep(SETTLE_AFTER_STOP_MS);
    this.hostAfterStopMb = mb(rssBytes(this.host.pid)) ?? NaN;
  }

  /** Notes every process of ours in the table (code-server's group, trainers, Chromium) and returns the table. */
  private scan(): Proc[] {
    const table = processTable();
    const group = this.session.serverPid;
    for (const proc of table) if (proc.pgid === group) this.seen.set(procKey(proc), proc);
    for (const proc of descendants(table, process.pid)) this.seen.set(procKey(proc), proc);
    return table;
  }

  /** Processes of ours still alive (call after the session stopped); kills them so none outlives the soak. */
  leftovers(): Proc[] {
    const alive = [...this.seen.values()].filter(isAlive).filter((proc) => !/\besbuild\b/.test(proc.cmdline)); // tsx's own esbuild service is ours to keep
    for (const proc of alive) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
    return alive;
  }
}

function summarize(soak: Soak) {
  const { samples } = soak;
  const durationSec = soak.options.minutes * 60;
  const last = samples.at(-1);
  const roundTrips = samples.map((s) => s.paletteMs + s.commandPickMs);
  const first = samples[0];
  return {
    host: {
      beforeMb: soak.hostBeforeMb,
      ...memoryStats(samples, durationSec, (s) => s.hostRssMb),
      afterStopMb: soak.hostAfterStopMb,
      tracePeakMb: soak.hostTracePeakMb,
    },
    trainer: memoryStats(samples, durationSec, (s) => s.trainerRssMb),
    browserPss: memoryStats(samples, durationSec, (s) => s.browserPssMb),
    workbenchHeap: memoryStats(samples, durationSec, (s) => s.workbenchHeapMb),
    webviewHeap: memoryStats(samples, durationSec, (s) => s.webviewHeapMb),
    paletteMs: latencyStats(samples.map((s) => s.paletteMs)),
    commandPickMs: latencyStats(samples.map((s) => s.commandPickMs)),
    roundTripMs: latencyStats(roundTrips),
    baselineRoundTripMs: latencyStats(soak.baselineRoundTripMs),
    dashboardLagSec: latencyStats(samples.map((s) => s.dashboardLagSec)),
    webviewFrameMs: latencyStats(samples.map((s) => s.webviewFrameMs)),
    hostCpuPct: latencyStats(samples.map((s) => s.hostCpuPct)),
    trainerCpuPct: latencyStats(samples.map((s) => s.trainerCpuPct ?? NaN)),
    browserCpuPct: latencyStats(samples.map((s) => s.browserCpuPct ?? NaN)),
    dashboardPoints: last?.dashboardPoints ?? 0,
    dashboardDrawnPoints: last?.dashboardDrawnPoints ?? 0,
    loadAvg1: latencyStats(samples.map((s) => s.loadAvg1)),
    steps: last?.fileStep ?? 0,
    stepsPerSec: first && last && last.t > first.t ? (last.fileStep - first.fileStep) / (last.t - first.t) : NaN,
  };
}

type Summary = ReturnType<typeof summarize>;

function report(summary: Summary, verdicts: Check[]): string {
  const memory = formatTable(
    ['memory (MB)', 'before run', 'first sample', 'last sample', 'after stop', 'peak', 'growth/10 min (2nd half)'],
    [
      [
        'extension host RSS',
        summary.host.beforeMb,
        summary.host.firstMb,
        summary.host.lastMb,
        summary.host.afterStopMb,
        summary.host.peakMb,
        summary.host.growthMbPer10Min,
      ],
      ['  (read every 1 s)', '', '', '', '', summary.host.tracePeakMb, ''],
      ['trainer RSS', '', summary.trainer.firstMb, summary.trainer.lastMb, '', summary.trainer.peakMb, summary.trainer.growthMbPer10Min],
      [
        'Chromium PSS (all processes)',
        '',
        summary.browserPss.firstMb,
        summary.browserPss.lastMb,
        '',
        summary.browserPss.peakMb,
        summary.browserPss.growthMbPer10Min,
      ],
      [
        'workbench JS heap',
        '',
        summary.workbenchHeap.firstMb,
        summary.workbenchHeap.lastMb,
        '',
        summary.workbenchHeap.peakMb,
        summary.workbenchHeap.growthMbPer10Min,
      ],
      [
        'dashboard webview JS heap',
        '',
        summary.webviewHeap.firstMb,
        summary.webviewHeap.lastMb,
        '',
        summary.webviewHeap.peakMb,
        summary.webviewHeap.growthMbPer10Min,
      ],
    ],
  );
  const latency = formatTable(
    ['responsiveness and CPU', 'p50', 'p99', 'max'],
    [
      ['F1 → command row (ms)', summary.paletteMs.p50, summary.paletteMs.p99, summary.paletteMs.max],
      ['row → host quick pick (ms)', summary.commandPickMs.p50, summary.commandPickMs.p99, summary.commandPickMs.max],
      ['round trip (ms)', summary.roundTripMs.p50, summary.roundTripMs.p99, summary.roundTripMs.max],
      [`  before the run, ${BASELINE_PROBES} probes (ms)`, summary.baselineRoundTripMs.p50, summary.baselineRoundTripMs.p99, summary.baselineRoundTripMs.max],
      ['dashboard lag (s)', summary.dashboardLagSec.p50, summary.dashboardLagSec.p99, summary.dashboardLagSec.max],
      ['dashboard frame (ms)', summary.webviewFrameMs.p50, summary.webviewFrameMs.p99, summary.webviewFrameMs.max],
      ['extension host CPU (% of a core)', summary.hostCpuPct.p50, summary.hostCpuPct.p99, summary.hostCpuPct.max],
      ['trainer CPU (% of a core)', summary.trainerCpuPct.p50, summary.trainerCpuPct.p99, summary.trainerCpuPct.max],
      ['Chromium CPU (% of a core)', summary.browserCpuPct.p50, summary.browserCpuPct.p99, summary.browserCpuPct.max],
    ],
  );
  const verdictTable = formatTable(
    ['check', 'value', 'limit', 'unit', 'result'],
    verdicts.map((c) => [c.name, c.value, c.limit, c.unit, `${!c.judged ? '–' : c.ok ? 'ok' : 'FAIL'}${c.note ? ` (${c.note})` : ''}`]),
  );
  const stream = [
    `${summary.steps} steps (${formatNumber(summary.stepsPerSec)}/s); at the end the dashboard held ${summary.dashboardPoints} points and drew ${summary.dashboardDrawnPoints}`,
    `machine load (1-min average, ${cpus().length} CPUs): median ${formatNumber(summary.loadAvg1.p50)}, max ${formatNumber(summary.loadAvg1.max)}`,
  ].join('\n');
  return [memory, latency, stream, verdictTable].join('\n\n');
}

function progressLine(sample: Sample): string {
  const f = formatNumber;
  return `soak: t=${sample.t.toFixed(0)}s host ${f(sample.hostRssMb)} MB ${f(sample.hostCpuPct)}% CPU, trainer ${f(sample.trainerRssMb ?? NaN)} MB ${f(sample.trainerCpuPct ?? NaN)}%, chromium ${f(sample.browserPssMb ?? NaN)} MB ${f(sample.browserCpuPct ?? NaN)}%, webview heap ${f(sample.webviewHeapMb ?? NaN)} MB; step ${sample.fileStep}, dashboard ${sample.dashboardPoints} points, lag ${f(sample.dashboardLagSec)} s, frame ${f(sample.webviewFrameMs)} ms; load ${f(sample.loadAvg1)}; palette ${f(sample.paletteMs)} ms + host pick ${f(sample.commandPickMs)} ms`;
}

// Ctrl-C, SIGTERM or SIGHUP: stop code-server's process group and Chromium before exiting, even
// mid-boot (then once VsCodeSession.start returns; if it fails it stops what it started itself).
let session: VsCodeSession | undefined;
let soak: Soak | undefined;
let booting = false;
let interrupted: NodeJS.Signals | undefined;
let stopping: Promise<never> | undefined;

function stopAndExit(): Promise<never> {
  stopping ??= (async () => {
    await session?.stop(false);
    soak?.stopTracing();
    const left = soak?.leftovers() ?? [];
    if (left.length) console.error(`soak: killed processes that outlived the session: ${left.map((p) => `${p.pid} ${p.cmdline.slice(0, 80)}`).join('; ')}`);
    process.exit(130);
  })();
  return stopping;
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return console.error(`soak: ${signal}: already stopping`);
  interrupted = signal;
  console.error(`soak: ${signal}: stopping code-server and Chromium`);
  if (session) void stopAndExit();
  else if (!booting) process.exit(130);
}

async function main(): Promise<number> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const options = parseOptions(process.argv.slice(2));
  const startedIso = new Date().toISOString();
  const loadBefore = loadavg();
  const memAvailableBeforeMb = memAvailableBytes() / MB;
  const packaged = join(REPO, 'test-results', 'soak', 'symlora-lab-soak.vsix');
  if (!options.vsix) {
    console.log('soak: packaging the extension (about a minute)…');
    packageExtension(packaged);
  }
  const experiment = soakExperiment();
  console.log(`soak: starting code-server + Chromium; the run streams for ${options.minutes} min, sampled every ${options.sampleSeconds} s`);
  booting = true;
  session = await VsCodeSession.start('soak', {
    vsix: options.vsix ?? packaged,
    files: { [EXPERIMENT_FILE]: experiment },
    browserArgs: ['--enable-precise-memory-info'],
    callerHandlesSignals: true,
  });
  booting = false;
  if (interrupted) await stopAndExit();
  soak = new Soak(session, options);
  let failure: string | undefined;
  try {
    await soak.prepare();
    console.log(`soak: extension host ${soak.host.pid} at ${formatNumber(soak.hostBeforeMb)} MB before the run`);
    await soak.startRun();
    console.log(`soak: run ${soak.runId} streaming`);
    await soak.sampleUntilDone((sample) => console.log(progressLine(sample)));
    if (!soak.endedEarly) await soak.stopRun();
  } catch (error) {
    failure = (error as Error).stack ?? String(error);
  }
  // Interrupted: whatever failed above failed because the session is going away; just finish stopping it.
  if (interrupted) await stopAndExit();
  soak.stopTracing();
  const summary = summarize(soak);
  const verdicts = checks(summary, DEFAULT_THRESHOLDS);
  const problems = [
    ...(failure ? [`the soak failed: ${failure}`] : []),
    ...(soak.endedEarly ? [soak.endedEarly] : []),
    ...(soak.stop && soak.stop.status !== 'cancelled' ? [`Stop Run left the run ${soak.stop.status}, not cancelled`] : []),
  ];
  const passedSoFar = problems.length === 0 && verdicts.every((c) => c.ok);
  await session.stop(passedSoFar);
  const leftovers = soak.leftovers();
  if (leftovers.length) problems.push(`processes outlived the session (now killed): ${leftovers.map((p) => `${p.pid} ${p.cmdline.slice(0, 120)}`).join('; ')}`);
  const passed = problems.length === 0 && verdicts.every((c) => c.ok);
  if (!options.vsix) rmSync(packaged, { force: true });

  const results = {
    startedAt: startedIso,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAvgBefore: loadBefore,
      loadAvgAfter: loadavg(),
      memAvailableBeforeMb,
      memAvailableAfterMb: memAvailableBytes() / MB,
    },
    options: { minutes: options.minutes, sampleSeconds: options.sampleSeconds, vsix: options.vsix ?? 'packaged from this checkout' },
    experiment: JSON.parse(experiment) as unknown,
    runId: soak.runId,
    stop: soak.stop,
    thresholds: DEFAULT_THRESHOLDS,
    summary,
    checks: verdicts,
    problems,
    leftoverProcesses: leftovers.map((p) => ({ pid: p.pid, cmdline: p.cmdline })),
    passed,
    samples: soak.samples,
    hostRssTrace: soak.hostTrace.map(([t, rss]) => [Number(t.toFixed(1)), Number(rss.toFixed(1))]),
  };
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${report(summary, verdicts)}\n`);
  if (soak.stop)
    console.log(`soak: stopped with ${soak.stop.by} at ${soak.stop.requestedAtSec.toFixed(0)} s → ${soak.stop.status} in ${soak.stop.tookSec.toFixed(1)} s`);
  for (const problem of problems) console.error(`soak: ${problem}`);
  console.log(`soak: ${passed ? 'PASSED' : 'FAILED'}; results in ${options.out}`);
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
