/**
 * The Runs tree view: disk runs (including the CLI's) merged with this window's live runs,
 * refreshed by a file watcher on the runs directory (debounced) and by RunManager events.
 */
import * as vscode from 'vscode';
import { listRuns } from '../core/runs/reader';
import { log } from './log';
import type { RunManager } from './runManager';
import { mergeLiveRows, rowFromSummary } from './runRows';
import { buildRunTree, type ExperimentNode, type RunNode, type RunRow, type TreeNode } from './runTreeModel';

const DISK_DEBOUNCE_MS = 250;
/** Live steps and losses in the tree: twice a second is enough to read, and each redraw costs the workbench's UI thread. */
const LIVE_DEBOUNCE_MS = 500;

export class RunsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private diskRows: RunRow[] | undefined;
  /** Finished runs whose disk rows were re-read on demand (see rows()). */
  private readonly reread = new Set<string>();
  private experiments: ExperimentNode[] = [];
  private watcher?: vscode.FileSystemWatcher;
  private diskTimer?: NodeJS.Timeout;
  private liveTimer?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private runsDir: string,
    private readonly manager: () => RunManager | undefined,
  ) {
    this.watch();
  }

  /** Called when the runs directory setting changes. */
  setRunsDir(runsDir: string): void {
    if (runsDir === this.runsDir) return;
    this.runsDir = runsDir;
    this.watch();
    this.reloadDisk();
  }

  /** Re-lists the runs directory (debounced unless `now`). */
  reloadDisk(now = false): void {
    clearTimeout(this.diskTimer);
    const run = () => {
      this.diskRows = undefined;
      this.changed.fire();
    };
    if (now) run();
    else this.diskTimer = setTimeout(run, DISK_DEBOUNCE_MS);
  }

  /** Redraws with the manager's live state (debounced: progress arrives many times a second). */
  liveChanged(): void {
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = undefined;
      this.changed.fire();
    }, LIVE_DEBOUNCE_MS);
  }

  /** The current rows (disk + live), for commands that pick runs. */
  rows(): RunRow[] {
    const live = this.manager()?.all() ?? [];
    this.diskRows ??= this.readDisk();
    // A run that ended since the last listing is re-read now rather than after the debounce: its
    // disk record (summary, adapter, checkpoint) is the truth for a finished run.
    // Once per run: a run whose folder is gone must not make every redraw re-list the directory.
    const stale = (run: (typeof live)[number]) => {
      if (run.status === 'queued' || run.status === 'running' || this.reread.has(run.runId)) return false;
      const disk = this.diskRows!.find((row) => row.id === run.runId);
      return !disk || disk.status === 'queued' || disk.status === 'running';
    };
    const ended = live.filter(stale);
    if (ended.length > 0) {
      ended.forEach((run) => this.reread.add(run.runId));
      this.diskRows = this.readDisk();
    }
    return mergeLiveRows(this.diskRows, live);
  }

  findRun(runId: string): RunRow | undefined {
    return this.rows().find((row) => row.id === runId);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node?.kind === 'run') return [];
    if (node?.kind === 'experiment') return this.experiments.find((e) => e.id === node.id)?.runs ?? node.runs;
    this.experiments = buildRunTree(this.rows());
    return this.experiments;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.kind === 'run' ? this.experiments.find((e) => e.label === node.experiment) : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.kind === 'experiment' ? experimentItem(node) : runItem(node);
  }

  dispose(): void {
    clearTimeout(this.diskTimer);
    clearTimeout(this.liveTimer);
    this.watcher?.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }

  private readDisk(): RunRow[] {
    try {
      return listRuns(this.runsDir).map(rowFromSummary);
    } catch (error) {
      log().warn(`cannot list runs in ${this.runsDir}: ${(error as Error).message}`);
      return [];
    }
  }

  private watch(): void {
    this.watcher?.dispose();
    // run.json changes mark status changes; top-level entries cover created and deleted runs.
    const pattern = new vscode.RelativePattern(vscode.Uri.file(this.runsDir), '{*,*/run.json}');
    this.watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const reload = () => this.reloadDisk();
    this.watcher.onDidCreate(reload);
    this.watcher.onDidChange(reload);
    this.watcher.onDidDelete(reload);
  }
}

function experimentItem(node: ExperimentNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.description = node.description;
  item.contextValue = node.contextValue;
  item.iconPath = new vscode.ThemeIcon('beaker');
  return item;
}

function runItem(node: RunNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = node.description;
  item.contextValue = node.contextValue;
  item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
  const tooltip = new vscode.MarkdownString(node.tooltip);
  tooltip.isTrusted = false; // run data is not ours to trust: no command links
  tooltip.supportHtml = false;
  item.tooltip = tooltip;
  item.accessibilityInformation = { label: `${node.experiment} ${node.label}: ${node.row.status}, ${node.description}` };
  return item;
}
