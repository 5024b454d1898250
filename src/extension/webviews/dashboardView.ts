/**
 * The dashboard WebviewView in the SymLoRA Lab container. After the webview's 'ready' it gets
 * `init` (recent runs with their metric history from metrics.jsonl), then live `metrics`
 * (coalesced ≥ 20 ms apart per run, never re-sending a step the history had), `runUpdated` and
 * `spectrum` messages forwarded from the RunManager.
 */
import type * as vscode from 'vscode';
import type { MetricRecord } from '../../core/protocol';
import type { RunInfo } from '../../core/webviewProtocol';
import { Coalescer } from '../coalesce';
import { log } from '../log';
import { readMetricHistory, readRunInfo, liveRunInfo, SentSteps } from '../runData';
import type { LiveRun, RunManager } from '../runManager';
import type { RunRow } from '../runTreeModel';
import { onValidMessage, post, setWebviewHtml, webviewOptions } from './common';

export const DASHBOARD_VIEW_ID = 'symlora.dashboard';
const RECENT_RUNS = 24;
/** Metrics go to the dashboard at most this often: it redraws streamed points at most every 100 ms. */
const COALESCE_MS = 100;
const PROGRESS_UPDATE_MS = 1000;

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  runsDir(): string;
  rows(): RunRow[];
  /** The manager if it exists (it is created on the first run). */
  manager(): RunManager | undefined;
  openRun(runId: string): void;
}

export class DashboardViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private ready = false;
  private sent = new SentSteps();
  private readonly lastUpdate = new Map<string, { status: string; at: number }>();
  private readonly coalescer = new Coalescer<MetricRecord>(COALESCE_MS, (runId, records) => this.sendMetrics(runId, records));
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: DashboardDeps) {}

  /** Hooks the manager's events (called once the manager exists). */
  attach(manager: RunManager): void {
    const offs = [
      manager.on('changed', (run) => this.runChanged(run)),
      manager.on('metrics', (runId, records) => this.ready && this.coalescer.push(runId, records)),
      manager.on('spectrum', (runId, record) => this.ready && this.view && post(this.view.webview, { type: 'spectrum', runId, record })),
      manager.on('finished', (run) => {
        this.coalescer.flush(run.runId);
        this.runChanged(run);
      }),
    ];
    this.disposables.push({ dispose: () => offs.forEach((off) => off()) });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.deps.extensionUri);
    setWebviewHtml(view.webview, this.deps.extensionUri, 'dashboard', 'SymLoRA Dashboard');
    const subscriptions = [
      onValidMessage(view.webview, 'dashboard', (message) => {
        if (message.type === 'ready') this.sendInit();
        else if (message.type === 'openRun') this.deps.openRun(message.runId);
      }),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
        subscriptions.forEach((d) => d.dispose());
      }),
    ];
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** A run changed on disk (e.g. a CLI run) or was deleted: tell the webview. */
  diskChanged(): void {
    if (this.ready) this.sendInit();
  }

  dispose(): void {
    this.coalescer.dispose();
    this.disposables.forEach((d) => d.dispose());
  }

  private sendInit(): void {
    if (!this.view) return;
    const runsDir = this.deps.runsDir();
    const manager = this.deps.manager();
    this.sent = new SentSteps();
    const runs: RunInfo[] = [];
    const metrics: Record<string, MetricRecord[]> = {};
    for (const row of this.pickRows()) {
      try {
        const info = readRunInfo(runsDir, row.id, manager?.get(row.id));
        if (!info) continue;
        const history = readMetricHistory(runsDir, row.id);
        runs.push(info);
        metrics[row.id] = history;
        this.sent.noteHistory(row.id, history);
      } catch (error) {
        log().warn(`dashboard: skipped run ${row.id}: ${(error as Error).message}`);
      }
    }
    const active = runs.filter((run) => run.status === 'running' || run.status === 'queued').map((run) => run.id);
    post(this.view.webview, { type: 'init', runs, metrics, ...(active.length ? { selected: active } : {}) });
    this.ready = true;
  }

  /** Every active run, then the most recent others. */
  private pickRows(): RunRow[] {
    const rows = this.deps.rows().filter((row) => row.status !== 'unreadable');
    const active = rows.filter((row) => row.status === 'running' || row.status === 'queued');
    const rest = rows
      .filter((row) => !active.includes(row))
      .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))
      .slice(0, RECENT_RUNS);
    return [...active, ...rest];
  }

  private runChanged(run: LiveRun): void {
    if (!this.ready || !this.view) return;
    // Progress changes arrive with every metrics batch: status changes go at once, progress ≤ 1/s.
    const last = this.lastUpdate.get(run.runId);
    const now = Date.now();
    if (last && last.status === run.status && now - last.at < PROGRESS_UPDATE_MS) return;
    this.lastUpdate.set(run.runId, { status: run.status, at: now });
    let info: RunInfo;
    try {
      info = readRunInfo(this.deps.runsDir(), run.runId, run) ?? liveRunInfo(run);
    } catch {
      info = liveRunInfo(run);
    }
    post(this.view.webview, { type: 'runUpdated', run: info });
  }

  private sendMetrics(runId: string, records: MetricRecord[]): void {
    if (!this.view || !this.ready) return;
    const fresh = this.sent.fresh(runId, records);
    if (fresh.length) post(this.view.webview, { type: 'metrics', runId, records: fresh });
  }
}
