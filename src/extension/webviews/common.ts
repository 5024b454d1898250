/**
 * What every SymLoRA webview host shares: options (scripts on, resources only from our dist and
 * media folders), the HTML shell, and the message gate — every message is parsed with
 * parseWebviewMessage and anything else is logged and dropped.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { HostToWebview, WebviewToHost } from '../../core/webviewProtocol';
import { log } from '../log';
import { makeNonce, renderWebviewHtml } from './html';
import { parseWebviewMessage } from './validateMessage';

export type WebviewName = 'dashboard' | 'compare' | 'inspector';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media', 'css')],
  };
}

export function setWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: WebviewName, title: string): void {
  const scriptFile = vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${name}.js`);
  if (!existsSync(scriptFile.fsPath)) log().error(`webview bundle missing: ${scriptFile.fsPath} (run npm run build)`);
  webview.html = renderWebviewHtml({
    title,
    scriptUri: webview.asWebviewUri(scriptFile).toString(),
    styleUris: stylesheets(extensionUri).map((uri) => webview.asWebviewUri(uri).toString()),
    cspSource: webview.cspSource,
    nonce: makeNonce(),
  });
}

function stylesheets(extensionUri: vscode.Uri): vscode.Uri[] {
  const dir = vscode.Uri.joinPath(extensionUri, 'media', 'css');
  try {
    return readdirSync(dir.fsPath)
      .filter((name) => name.endsWith('.css'))
      .sort()
      .map((name) => vscode.Uri.joinPath(dir, name));
  } catch {
    return [];
  }
}

/** Typed post (a closed webview just drops it). */
export function post(webview: vscode.Webview, message: HostToWebview): void {
  webview.postMessage(message).then(undefined, () => undefined);
}

/**
 * Routes validated messages to `handler`; 'log' and 'exportFile' are handled here the same way for
 * every view. Invalid messages are logged (with the reason) and never reach the handler.
 */
export function onValidMessage(webview: vscode.Webview, view: WebviewName, handler: (message: WebviewToHost) => void): vscode.Disposable {
  return webview.onDidReceiveMessage((raw: unknown) => {
    let message: WebviewToHost;
    try {
      message = parseWebviewMessage(raw);
    } catch (error) {
      log().warn(`${view} webview: dropped a message: ${(error as Error).message}`);
      return;
    }
    if (message.type === 'log') logFromWebview(view, message);
    else if (message.type === 'exportFile') void exportFile(message);
    else handler(message);
  });
}

function logFromWebview(view: WebviewName, message: Extract<WebviewToHost, { type: 'log' }>): void {
  const text = `${view} webview: ${message.message}`;
  if (message.level === 'error') log().error(text);
  else if (message.level === 'warn') log().warn(text);
  else log().info(text);
}

/** Writes an export only where the user chooses in a save dialog; the webview supplies just a file name. */
async function exportFile(message: Extract<WebviewToHost, { type: 'exportFile' }>): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, message.suggestedName) : undefined,
    title: `Export ${message.format.toUpperCase()}`,
    filters: { [message.format.toUpperCase()]: [message.suggestedName.split('.').pop() ?? '*'] },
  });
  if (!target) return;
  const data = message.format === 'png' ? Buffer.from(message.content.replace(/^data:image\/png;base64,/, ''), 'base64') : message.content;
  try {
    if (target.scheme === 'file') writeFileSync(target.fsPath, data);
    else await vscode.workspace.fs.writeFile(target, typeof data === 'string' ? Buffer.from(data) : data);
    void vscode.window.showInformationMessage(`SymLoRA: exported ${vscode.workspace.asRelativePath(target)}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`SymLoRA: cannot write ${target.fsPath}: ${(error as Error).message}`);
  }
}
