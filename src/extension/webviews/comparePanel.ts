/**
 * The Compare Runs panel (a WebviewPanel restored across reloads by a serializer). The host sends
 * the chosen runs with their metric history; the webview computes the table, CIs and charts.
 */
import * as vscode from 'vscode';
import type { MetricRecord } from '../../core/protocol';
import type { RunInfo } from '../../core/webviewProtocol';
import { log } from '../log';
import { readMetricHistory, readRunInfo, restoredRunIds } from '../runData';
import type { RunManager } from '../runManager';
import { onValidMessage, post, setWebviewHtml, webviewOptions } from './common';

export const COMPARE_VIEW_TYPE = 'symlora.compare';

export interface CompareDeps {
  extensionUri: vscode.Uri;
  runsDir(): string;
  manager(): RunManager | undefined;
  openRun(runId: string): void;
}

export class ComparePanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private runIds: string[] = [];

  constructor(private readonly deps: CompareDeps) {}

  /** Shows the panel for these runs (reusing the open one). */
  open(runIds: string[]): void {
    this.runIds = runIds;
    if (this.panel) {
      this.panel.reveal();
      this.sendInit(this.panel);
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare Runs', vscode.ViewColumn.Active, {
      ...webviewOptions(this.deps.extensionUri),
      retainContextWhenHidden: false,
    });
    this.setup(panel);
  }

  /** Restores a panel after a reload from the webview's saved state (its `selected` run ids). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.runIds = restoredRunIds(state);
    this.panel?.dispose();
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    this.setup(panel);
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private setup(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'icons', 'symlora.svg');
    setWebviewHtml(panel.webview, this.deps.extensionUri, 'compare', 'Compare Runs');
    const subscription = onValidMessage(panel.webview, 'compare', (message) => {
      if (message.type === 'ready') this.sendInit(panel);
      else if (message.type === 'selectRuns') this.runIds = message.runIds;
      else if (message.type === 'openRun') this.deps.openRun(message.runId);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panel === panel) this.panel = undefined;
    });
  }

  private sendInit(panel: vscode.WebviewPanel): void {
    const runsDir = this.deps.runsDir();
    const runs: RunInfo[] = [];
    const metrics: Record<string, MetricRecord[]> = {};
    for (const runId of this.runIds) {
      try {
        const info = readRunInfo(runsDir, runId, this.deps.manager()?.get(runId));
        if (!info) continue;
        runs.push(info);
        metrics[runId] = readMetricHistory(runsDir, runId);
      } catch (error) {
        log().warn(`compare: skipped run ${runId}: ${(error as Error).message}`);
      }
    }
    panel.title = runs.length ? `Compare Runs (${runs.length})` : 'Compare Runs';
    post(panel.webview, { type: 'init', runs, metrics, selected: runs.map((run) => run.id) });
  }
}
