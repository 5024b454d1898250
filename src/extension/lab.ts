/**
 * The extension's controller: owns the RunManager (created on the first run), the Runs tree, the
 * dashboard view, the compare panel, the adapter inspector, status bar and progress
 * notifications, and wires settings and Workspace Trust. Commands live in commands.ts.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunSpec } from '../core/experiment/types';
import { registerCommands } from './commands';
import { ExperimentAnalyzer, registerExperimentEditing } from './experimentEditing';
import { log } from './log';
import { RunManager, type LiveRun } from './runManager';
import { RunsTreeProvider } from './runsTree';
import type { RunRow } from './runTreeModel';
import { runLabel } from './runTreeModel';
import { affectsUs, managerSettings, runsDirectory, showProgressNotifications } from './settings';
import { ADAPTER_VIEW_TYPE, AdapterInspectorProvider } from './webviews/adapterEditor';
import { ComparePanels, COMPARE_VIEW_TYPE } from './webviews/comparePanel';
import { DashboardViewProvider, DASHBOARD_VIEW_ID } from './webviews/dashboardView';

export const RUNS_VIEW_ID = 'symlora.runs';
/** A run's progress notification is updated at most this often. */
const PROGRESS_REPORT_MS = 500;

export class Lab implements vscode.Disposable {
  readonly tree: RunsTreeProvider;
  readonly dashboard: DashboardViewProvider;
  readonly compare: ComparePanels;
  readonly analyzer = new ExperimentAnalyzer();
  readonly treeView: vscode.TreeView<import('./runTreeModel').TreeNode>;
  private managerInstance?: RunManager;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly progress = new Map<string, (run: LiveRun) => void>();
  private lastRunSet = '';

  constructor(readonly context: vscode.ExtensionContext) {
    const extensionUri = context.extensionUri;
    this.tree = new RunsTreeProvider(runsDirectory(), () => this.managerInstance);
    this.treeView = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this.tree, canSelectMany: true, showCollapseAll: true });
    const deps = {
      extensionUri,
      runsDir: () => runsDirectory(),
      rows: () => this.tree.rows(),
      manager: () => this.managerInstance,
      openRun: (runId: string) => void this.revealRun(runId),
    };
    this.dashboard = new DashboardViewProvider(deps);
    this.compare = new ComparePanels(deps);
    this.statusBar = vscode.window.createStatusBarItem('symlora.runs', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'SymLoRA Runs';
    this.statusBar.command = 'symlora.runs.focus';
    this.disposables.push(
      this.tree,
      this.treeView,
      this.dashboard,
      this.compare,
      this.statusBar,
      vscode.window.registerWebviewViewProvider(DASHBOARD_VIEW_ID, this.dashboard, { webviewOptions: { retainContextWhenHidden: true } }),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, this.compare),
      vscode.window.registerCustomEditorProvider(ADAPTER_VIEW_TYPE, new AdapterInspectorProvider(deps), {
        supportsMultipleEditorsPerDocument: true,
        webviewOptions: { retainContextWhenHidden: false },
      }),
      vscode.workspace.onDidChangeConfiguration((event) => affectsUs(event) && this.settingsChanged()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.tree.reloadDisk(true)),
      this.tree.onDidChangeTreeData(() => this.runSetMaybeChanged()),
      ...registerCommands(this),
      ...registerExperimentEditing(this),
    );
  }

  /** The RunManager if any run was started in this window. */
  get manager(): RunManager | undefined {
    return this.managerInstance;
  }

  /** Starts runs (trust is checked by the caller's command). */
  startRuns(specs: RunSpec[], extra: { resumeFrom?: string } = {}): LiveRun[] {
    const runs = this.ensureManager().start(specs, extra);
    this.tree.liveChanged();
    return runs;
  }

  rows(): RunRow[] {
    return this.tree.rows();
  }

  async revealRun(runId: string): Promise<void> {
    await vscode.commands.executeCommand(`${RUNS_VIEW_ID}.focus`);
    this.tree.getChildren();
    const experiment = this.tree.getChildren().find((e) => e.kind === 'experiment' && e.runs.some((r) => r.row.id === runId));
    const node = experiment?.kind === 'experiment' ? experiment.runs.find((r) => r.row.id === runId) : undefined;
    if (node) await this.treeView.reveal(node, { select: true, focus: true });
  }

  async openDashboard(): Promise<void> {
    await vscode.commands.executeCommand('workbench.view.extension.symlora');
    await vscode.commands.executeCommand(`${DASHBOARD_VIEW_ID}.focus`);
  }

  /** Deactivation: every trainer is stopped (gracefully, then killed). */
  async shutdown(): Promise<void> {
    await this.managerInstance?.dispose();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }

  private ensureManager(): RunManager {
    if (this.managerInstance) return this.managerInstance;
    const manager = new RunManager({
      trainerPath: join(this.context.extensionPath, 'dist', 'trainer.js'),
      settings: managerSettings,
    });
    manager.on('changed', (run) => this.runChanged(run));
    manager.on('finished', (run) => void this.runFinished(run));
    manager.on('log', (level, message) => (level === 'error' ? log().error(message) : level === 'warn' ? log().warn(message) : log().info(message)));
    this.dashboard.attach(manager);
    this.managerInstance = manager;
    return manager;
  }

  /**
   * The tree redraws many times a second while runs stream; the dashboard needs a fresh init only
   * when the set of runs or a status changed (a CLI run appeared, a run was deleted or ended).
   */
  private runSetMaybeChanged(): void {
    const signature = this.tree
      .rows()
      .map((row) => `${row.id}:${row.status}`)
      .sort()
      .join('|');
    if (signature === this.lastRunSet) return;
    this.lastRunSet = signature;
    this.dashboard.diskChanged();
  }

  private settingsChanged(): void {
    this.tree.setRunsDir(runsDirectory());
    this.managerInstance?.applySettings();
    log().info(`settings changed: ${JSON.stringify(managerSettings())}`);
  }

  private runChanged(run: LiveRun): void {
    this.tree.liveChanged();
    this.updateStatusBar();
    if (run.status === 'running' && !this.progress.has(run.runId) && showProgressNotifications()) this.showProgress(run);
    this.progress.get(run.runId)?.(run);
  }

  private updateStatusBar(): void {
    const counts = this.managerInstance?.counts() ?? { running: 0, queued: 0 };
    const text = `$(beaker) ${counts.running} running${counts.queued ? ` · ${counts.queued} queued` : ''}`;
    if (text === this.statusBar.text) return; // called on every metrics batch: only real changes go to the UI
    const active = counts.running + counts.queued > 0;
    void vscode.commands.executeCommand('setContext', 'symlora.activeRuns', active);
    this.statusBar.text = text;
    if (!active) {
      this.statusBar.hide();
      return;
    }
    this.statusBar.tooltip = 'SymLoRA Lab: training runs in this window. Click to show the Runs view.';
    this.statusBar.show();
  }

  /** A cancellable notification that follows one run until it ends. */
  private showProgress(run: LiveRun): void {
    const label = `${run.spec.experiment}: ${runLabel({ id: run.runId, status: run.status, adapterKind: run.spec.config.adapter.kind, rank: run.spec.config.adapter.rank, seed: run.spec.config.seed, sweepPoint: run.spec.sweepPoint })}`;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SymLoRA ${label}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let reported = 0;
          let reportedAt = 0;
          token.onCancellationRequested(() => void this.managerInstance?.stop(run.runId));
          this.progress.set(run.runId, (current) => {
            if (current.status !== 'running' && current.status !== 'queued') {
              this.progress.delete(run.runId);
              resolve();
              return;
            }
            // Metrics arrive ~20 times a second; each report is a message to the workbench's UI thread.
            const now = performance.now();
            if (now - reportedAt < PROGRESS_REPORT_MS) return;
            reportedAt = now;
            const fraction = current.totalSteps && current.step !== undefined ? Math.min(1, current.step / current.totalSteps) : 0;
            const increment = Math.max(0, fraction * 100 - reported);
            reported += increment;
            const loss = current.lastLoss !== undefined ? ` · loss ${current.lastLoss.toPrecision(3)}` : '';
            progress.report({ increment, message: current.step !== undefined ? `step ${current.step}/${current.totalSteps ?? '?'}${loss}` : 'starting' });
          });
        }),
    );
  }

  private async runFinished(run: LiveRun): Promise<void> {
    this.tree.reloadDisk();
    this.updateStatusBar();
    this.progress.get(run.runId)?.(run);
    log().info(`run ${run.runId} ended: ${run.status}${run.error ? ` (${run.error.split('\n')[0]})` : ''}`);
    if (run.status === 'crashed' || run.status === 'failed') await this.reportFailure(run);
    else if (run.status === 'completed' && this.managerInstance?.active().length === 0) this.reportBatchDone();
  }

  private async reportFailure(run: LiveRun): Promise<void> {
    const tail = (run.outputTail ?? []).slice(-8).join('\n');
    if (tail) log().error(`run ${run.runId} output (also in ${join(run.runDir, 'stderr.log')}):\n${tail}`);
    const first = (run.error ?? run.status).split('\n')[0];
    const choice = await vscode.window.showErrorMessage(
      `SymLoRA: run ${run.runId} ${run.status}: ${first}`,
      { detail: tail || undefined },
      'Show Log',
      'Reveal Run Folder',
    );
    if (choice === 'Show Log') log().show(true);
    else if (choice === 'Reveal Run Folder') await vscode.commands.executeCommand('symlora.revealRun', run.runId);
  }

  private reportBatchDone(): void {
    const done = this.managerInstance?.all().filter((run) => run.status === 'completed') ?? [];
    void vscode.window.showInformationMessage(`SymLoRA: ${done.length} run${done.length === 1 ? '' : 's'} completed.`, 'Compare Runs').then((choice) => {
      if (choice) this.compare.open(done.map((run) => run.runId));
    });
  }
}
