/** The "SymLoRA Lab" output channel: activation time, trainer logs, errors. */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('SymLoRA Lab', { log: true });
  return channel;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Shows an error to the user and logs it with its stack. */
export function reportError(action: string, error: unknown): void {
  log().error(`${action}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  void vscode.window.showErrorMessage(`SymLoRA: ${action}: ${errorMessage(error)}`);
}
