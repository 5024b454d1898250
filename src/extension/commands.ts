/**
 * The "SymLoRA" commands. Run commands refuse in an untrusted workspace (with the reason); every
 * run a command touches is resolved through runDirFor (one safe segment inside the runs dir).
 */
import { existsSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunSpec } from '../core/experiment/types';
import { RUN_FILES } from '../core/runs/paths';
import { readRunRecord } from '../core/runs/reader';
import { isExperimentDocument } from './experimentEditing';
import type { Lab } from './lab';
import { errorMessage, log, reportError } from './log';
import { isRunDirOf, runDirFor } from './runsDir';
import { runLabel, type RunRow, type TreeNode } from './runTreeModel';
import { runsDirectory, workspaceRoot } from './settings';
import { TEMPLATES, templateText } from './templates';
import { ADAPTER_VIEW_TYPE } from './webviews/adapterEditor';

const CONFIRM_RUNS_ABOVE = 24;
type NodeArgs = [TreeNode | vscode.Uri | string | undefined, (TreeNode[] | undefined)?];

export function registerCommands(lab: Lab): vscode.Disposable[] {
  const c = new Commands(lab);
  const table: Record<string, (...args: NodeArgs) => unknown> = {
    'symlora.runExperiment': (arg) => c.runExperiment(arg),
    'symlora.stopRun': (arg, all) => c.stopRuns(arg, all),
    'symlora.stopAllRuns': () => c.stopAll(),
    'symlora.rerun': (arg, all) => c.rerun(arg, all),
    'symlora.resumeRun': (arg) => c.resume(arg),
    'symlora.deleteRun': (arg, all) => c.deleteRuns(arg, all),
    'symlora.revealRun': (arg) => c.reveal(arg),
    'symlora.newExperiment': () => c.newExperiment(),
    'symlora.openDashboard': () => lab.openDashboard(),
    'symlora.compareRuns': (arg, all) => c.compare(arg, all),
    'symlora.inspectAdapter': (arg) => c.inspect(arg),
    'symlora.refreshRuns': () => lab.tree.reloadDisk(true),
    'symlora.showLog': () => log().show(),
    'symlora.openRunFile': (arg) => c.openRunFile(arg),
  };
  return Object.entries(table).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: NodeArgs) => {
      try {
        return await handler(...args);
      } catch (error) {
        reportError(`${id.replace('symlora.', '')} failed`, error);
      }
    }),
  );
}

/** Why nothing runs in an untrusted workspace, with the way out. */
export async function refuseUntrusted(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return false;
  const choice = await vscode.window.showWarningMessage(
    'SymLoRA Lab does not start training in an untrusted workspace: an experiment file could make it run code from this folder. You can still browse runs, dashboards and adapters.',
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return true;
}

class Commands {
  constructor(private readonly lab: Lab) {}

  // ---------------------------------------------------------------------------------- running

  async runExperiment(arg: NodeArgs[0]): Promise<void> {
    if (await refuseUntrusted()) return;
    const uri = arg instanceof vscode.Uri ? arg : await this.pickExperimentFile();
    if (!uri) return;
    const specs = await this.specsOf(uri);
    if (!specs) return;
    if (specs.length > CONFIRM_RUNS_ABOVE) {
      const ok = await vscode.window.showWarningMessage(`This sweep makes ${specs.length} runs. Start them all?`, { modal: true }, 'Start');
      if (ok !== 'Start') return;
    }
    const runs = this.lab.startRuns(specs);
    log().info(`queued ${runs.length} run(s) from ${uri.fsPath}: ${runs.map((r) => r.runId).join(', ')}`);
    await vscode.commands.executeCommand('workbench.view.extension.symlora');
  }

  /** Parses with the same validator as the trainer; problems go to the Problems view and a message. */
  private async specsOf(uri: vscode.Uri): Promise<RunSpec[] | undefined> {
    const document = await vscode.workspace.openTextDocument(uri);
    const analysis = await this.lab.analyzer.analyze(document);
    if (!analysis.config) {
      const first = analysis.errors[0];
      const where = first?.line !== undefined ? `line ${first.line}: ` : '';
      const more = analysis.errors.length > 1 ? ` (and ${analysis.errors.length - 1} more)` : '';
      const choice = await vscode.window.showErrorMessage(
        `SymLoRA: ${basename(uri.fsPath)} is not a valid experiment, nothing was run. ${where}${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'invalid'}${more}`,
        'Show Problems',
      );
      if (choice) await vscode.commands.executeCommand('workbench.actions.view.problems');
      return undefined;
    }
    const { expandSweep } = await import('../core/experiment/sweep');
    try {
      return expandSweep(analysis.config, uri.fsPath);
    } catch (error) {
      void vscode.window.showErrorMessage(`SymLoRA: ${basename(uri.fsPath)}: ${errorMessage(error)}`);
      return undefined;
    }
  }

  private async pickExperimentFile(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document;
    if (active && isExperimentDocument(active)) return active.uri;
    const files = await vscode.workspace.findFiles('**/*.symlora.json', '**/node_modules/**', 200);
    const examplesDir = join(this.lab.context.extensionPath, 'examples');
    const examples = existsSync(examplesDir)
      ? readdirSync(examplesDir)
          .filter((n) => n.endsWith('.symlora.json'))
          .sort()
      : [];
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
    const items: Item[] = [
      ...files
        .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
        .map((uri) => ({ label: `$(file) ${basename(uri.fsPath)}`, description: vscode.workspace.asRelativePath(uri), uri })),
      ...(examples.length ? [{ label: 'Built-in examples', kind: vscode.QuickPickItemKind.Separator } as Item] : []),
      ...examples.map((name) => ({ label: `$(book) ${name}`, description: 'example', uri: vscode.Uri.file(join(examplesDir, name)) })),
    ];
    if (!items.some((item) => item.uri)) {
      const choice = await vscode.window.showInformationMessage('No experiment files (*.symlora.json) in this workspace.', 'New Experiment');
      if (choice) await this.newExperiment();
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'SymLoRA: Run Experiment', placeHolder: 'Experiment file to run' });
    return picked?.uri;
  }

  async stopRuns(arg: NodeArgs[0], all?: TreeNode[]): Promise<void> {
    const manager = this.lab.manager;
    let ids = this.runIdsOf(arg, all).filter((id) => manager?.isActive(id));
    if (ids.length === 0) {
      const active = manager?.active() ?? [];
      if (active.length === 0) {
        void vscode.window.showInformationMessage('SymLoRA: no run of this window is running or queued.');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        active.map((run) => ({ label: run.runId, description: run.status, runId: run.runId })),
        { title: 'SymLoRA: Stop Run', canPickMany: true },
      );
      ids = picked?.map((p) => p.runId) ?? [];
    }
    await Promise.all(ids.map((id) => manager?.stop(id)));
  }

  async stopAll(): Promise<void> {
    await this.lab.manager?.stopAll();
  }

  async rerun(arg: NodeArgs[0], all?: TreeNode[]): Promise<void> {
    if (await refuseUntrusted()) return;
    const ids = await this.runIdsOrPick(arg, all, 'Rerun', (row) => row.status !== 'queued' && row.status !== 'running');
    const specs = ids.map((id) => readRunRecord(runDirFor(runsDirectory(), id)).spec);
    if (specs.length) this.lab.startRuns(specs);
  }

  async resume(arg: NodeArgs[0]): Promise<void> {
    if (await refuseUntrusted()) return;
    const [id] = await this.runIdsOrPick(
      arg,
      undefined,
      'Resume Run',
      (row) => !!row.hasCheckpoint && row.status !== 'completed' && row.status !== 'running' && row.status !== 'queued',
    );
    if (!id) return;
    const dir = runDirFor(runsDirectory(), id);
    this.lab.startRuns([readRunRecord(dir).spec], { resumeFrom: dir });
  }

  // ---------------------------------------------------------------------------------- files

  async deleteRuns(arg: NodeArgs[0], all?: TreeNode[]): Promise<void> {
    const ids = await this.runIdsOrPick(arg, all, 'Delete Run', (row) => row.status !== 'running' && row.status !== 'queued');
    const deletable = ids.filter((id) => !this.lab.manager?.isActive(id));
    if (deletable.length < ids.length) void vscode.window.showWarningMessage('SymLoRA: stop a run before deleting it; active runs were left alone.');
    if (deletable.length === 0) return;
    const what = deletable.length === 1 ? `run ${deletable[0]}` : `${deletable.length} runs`;
    const ok = await vscode.window.showWarningMessage(
      `Delete ${what}? Its folder (metrics, checkpoints, adapter) is removed from disk.`,
      { modal: true },
      'Delete',
    );
    if (ok !== 'Delete') return;
    const runsDir = runsDirectory();
    for (const id of deletable) {
      const dir = runDirFor(runsDir, id);
      if (!isRunDirOf(runsDir, dir) || !existsSync(join(dir, RUN_FILES.record))) throw new Error(`${dir} is not a run folder inside ${runsDir}`);
      await rm(dir, { recursive: true, force: true });
      log().info(`deleted run ${dir}`);
    }
    this.lab.tree.reloadDisk(true);
  }

  async reveal(arg: NodeArgs[0]): Promise<void> {
    const [id] = await this.runIdsOrPick(arg, undefined, 'Reveal Run Folder', () => true);
    if (!id) return;
    const uri = vscode.Uri.file(runDirFor(runsDirectory(), id));
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    // On a remote (SSH, WSL, code-server) the OS file manager is not the user's: use the Explorer.
    const command = inWorkspace && (vscode.env.remoteName || vscode.env.uiKind === vscode.UIKind.Web) ? 'revealInExplorer' : 'revealFileInOS';
    await vscode.commands.executeCommand(command, uri);
  }

  async openRunFile(arg: NodeArgs[0]): Promise<void> {
    const [id] = this.runIdsOf(arg);
    if (!id) return;
    await vscode.window.showTextDocument(vscode.Uri.file(join(runDirFor(runsDirectory(), id), RUN_FILES.record)), { preview: true });
  }

  async newExperiment(): Promise<void> {
    const picked = await vscode.window.showQuickPick(
      TEMPLATES.map((template) => ({ label: template.label, detail: template.detail, template })),
      { title: 'SymLoRA: New Experiment', placeHolder: 'Start from a template' },
    );
    if (!picked) return;
    const root = workspaceRoot();
    const defaultUri = root ? vscode.Uri.file(join(root, picked.template.fileName)) : undefined;
    const target = await vscode.window.showSaveDialog({
      defaultUri,
      filters: { 'SymLoRA experiment': ['symlora.json', 'json'] },
      title: 'Save the new experiment as',
    });
    if (!target) return;
    const uri = target.path.endsWith('.symlora.json') ? target : target.with({ path: target.path.replace(/(\.json)?$/, '.symlora.json') });
    await writeFile(uri.fsPath, templateText(picked.template), { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new Error(`${uri.fsPath} already exists; choose another name`);
      throw error;
    });
    await vscode.window.showTextDocument(uri);
  }

  // ---------------------------------------------------------------------------------- views

  async compare(arg: NodeArgs[0], all?: TreeNode[]): Promise<void> {
    let ids = this.runIdsOf(arg, all);
    if (ids.length === 0) ids = await this.pickRuns('Compare Runs', (row) => row.status === 'completed', true, true);
    if (ids.length) this.lab.compare.open(ids);
  }

  async inspect(arg: NodeArgs[0]): Promise<void> {
    let file: vscode.Uri | undefined = arg instanceof vscode.Uri ? arg : undefined;
    if (!file) {
      const [id] = await this.runIdsOrPick(arg, undefined, 'Inspect Adapter', (row) => !!row.hasAdapter);
      if (!id) return;
      file = vscode.Uri.file(join(runDirFor(runsDirectory(), id), RUN_FILES.adapter));
      if (!existsSync(file.fsPath)) throw new Error(`run ${id} has no ${RUN_FILES.adapter} yet (it is written when training ends)`);
    }
    await vscode.commands.executeCommand('vscode.openWith', file, ADAPTER_VIEW_TYPE);
  }

  // ---------------------------------------------------------------------------------- helpers

  /** Run ids from a tree node (+ multi-selection), an experiment node (its runs) or an id string. */
  private runIdsOf(arg: NodeArgs[0], all?: TreeNode[]): string[] {
    const nodes = all?.length ? all : arg && typeof arg === 'object' && 'kind' in arg ? [arg] : [];
    if (typeof arg === 'string') return [arg];
    const ids = nodes.flatMap((node) => (node.kind === 'run' ? [node.row.id] : node.runs.map((run) => run.row.id)));
    return [...new Set(ids)];
  }

  private async runIdsOrPick(arg: NodeArgs[0], all: TreeNode[] | undefined, title: string, filter: (row: RunRow) => boolean): Promise<string[]> {
    const ids = this.runIdsOf(arg, all);
    return ids.length ? ids : this.pickRuns(title, filter, false, false);
  }

  private async pickRuns(title: string, filter: (row: RunRow) => boolean, many: boolean, preselectLatest: boolean): Promise<string[]> {
    const rows = this.lab
      .rows()
      .filter(filter)
      .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    if (rows.length === 0) {
      void vscode.window.showInformationMessage(`SymLoRA: no run to ${title.toLowerCase()} in ${runsDirectory()}.`);
      return [];
    }
    const latest = rows[0].experiment;
    const items = rows.map((row) => ({
      label: `${row.experiment ?? '?'} · ${runLabel(row)}`,
      description: row.status,
      detail: row.id,
      picked: preselectLatest && row.experiment === latest,
      runId: row.id,
    }));
    if (many) {
      const picked = await vscode.window.showQuickPick(items, { title: `SymLoRA: ${title}`, canPickMany: true, matchOnDetail: true });
      return picked?.map((item) => item.runId) ?? [];
    }
    const picked = await vscode.window.showQuickPick(items, { title: `SymLoRA: ${title}`, matchOnDetail: true });
    return picked ? [picked.runId] : [];
  }
}
