/**
 * Entry point. Activation registers views, commands and providers and nothing else: the
 * validator (ajv), the adapter reader and linear algebra load on first use, and no process starts
 * until a run does. The time activate() takes is logged to the "SymLoRA Lab" output channel.
 */
import * as vscode from 'vscode';
import { Lab } from './lab';
import { log } from './log';
import type { RunManager } from './runManager';
import type { RunRow } from './runTreeModel';
import { runsDirectory } from './settings';

const moduleLoadedAt = performance.now();
let lab: Lab | undefined;

/** What activate() returns: used by the extension-host integration tests. */
export interface SymloraApi {
  runsDir(): string;
  rows(): RunRow[];
  manager(): RunManager | undefined;
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): SymloraApi {
  const start = performance.now();
  lab = new Lab(context);
  context.subscriptions.push(lab);
  void vscode.commands.executeCommand('setContext', 'symlora.activated', true);
  const activationMs = performance.now() - start;
  log().info(
    `activated in ${activationMs.toFixed(1)} ms (bundle evaluated ${(start - moduleLoadedAt).toFixed(1)} ms before activate); runs directory ${runsDirectory()}`,
  );
  const current = lab;
  return { runsDir: runsDirectory, rows: () => current.rows(), manager: () => current.manager, activationMs };
}

/** Stops every trainer (gracefully, then by force) before VS Code lets the extension host go. */
export async function deactivate(): Promise<void> {
  await lab?.shutdown();
  lab = undefined;
}
