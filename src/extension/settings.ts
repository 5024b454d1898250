/** The `symlora.*` settings, read on every use so changes apply without a reload. */
import { availableParallelism, homedir } from 'node:os';
import * as vscode from 'vscode';
import type { RunManagerSettings } from './runManager';
import { resolveRunsDirectory } from './runsDir';

const SECTION = 'symlora';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function runsDirectory(): string {
  return resolveRunsDirectory(config().get<string>('runsDirectory'), workspaceRoot(), homedir());
}

export function concurrency(): number {
  const value = config().get<number>('maxConcurrentRuns') ?? 0;
  return Number.isInteger(value) && value >= 1 ? value : availableParallelism();
}

export function managerSettings(): RunManagerSettings {
  const c = config();
  const backend = c.get<string>('backend') ?? 'auto';
  const nodePath = (c.get<string>('nodePath') ?? '').trim();
  return {
    concurrency: concurrency(),
    nodePath: nodePath || undefined,
    backend: backend === 'auto' ? undefined : backend,
    runsDir: runsDirectory(),
    stopGraceMs: Math.max(1, c.get<number>('stopTimeoutSeconds') ?? 10) * 1000,
    reuseTrainers: c.get<boolean>('reuseTrainers') === true,
  };
}

export function showProgressNotifications(): boolean {
  return config().get<boolean>('showProgressNotifications') ?? true;
}

export function affectsUs(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}
