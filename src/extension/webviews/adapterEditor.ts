/**
 * The adapter inspector: a read-only custom editor for LoRA / SymLoRA `.safetensors` adapters
 * (ours, or PEFT's with adapter_config.json beside them). Registered with priority "option", so
 * it never takes over other safetensors files; "Inspect Adapter" opens it explicitly. It reads
 * only the opened file and its run directory's siblings (base_layers, spectra.jsonl).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { LayerSpectrum, SpectrumRecord } from '../../core/protocol';
import type { HostToWebview } from '../../core/webviewProtocol';
import { isValidRunId } from '../../core/webviewProtocol';
import { log } from '../log';
import type { RunManager } from '../runManager';
import { onValidMessage, post, setWebviewHtml, webviewOptions } from './common';

export const ADAPTER_VIEW_TYPE = 'symlora.adapterInspector';

export interface InspectorDeps {
  extensionUri: vscode.Uri;
  manager(): RunManager | undefined;
  openRun(runId: string): void;
}

export class AdapterInspectorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly deps: InspectorDeps) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    setWebviewHtml(panel.webview, this.deps.extensionUri, 'inspector', `Adapter: ${basename(document.uri.fsPath)}`);
    const runId = runIdOf(document.uri.fsPath);
    const disposables: (() => void)[] = [];
    const subscription = onValidMessage(panel.webview, 'inspector', (message) => {
      if (message.type === 'ready') {
        void inspectMessage(document.uri.fsPath, runId).then((init) => {
          post(panel.webview, init);
          const manager = this.deps.manager();
          if (manager && runId)
            disposables.push(manager.on('spectrum', (id, record) => id === runId && post(panel.webview, { type: 'spectrum', runId, record })));
        });
      } else if (message.type === 'openRun') this.deps.openRun(message.runId);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      disposables.forEach((off) => off());
    });
  }
}

/** The run id if the file sits in a run directory (a folder with run.json). */
function runIdOf(file: string): string | undefined {
  const dir = dirname(file);
  const id = basename(dir);
  return existsSync(join(dir, 'run.json')) && isValidRunId(id) ? id : undefined;
}

/** Computes every layer's spectrum, reading one layer's tensors at a time (a 2 GB adapter is never loaded whole). */
export async function inspectMessage(file: string, runId: string | undefined): Promise<Extract<HostToWebview, { type: 'inspect' }>> {
  const title = runId ? `${runId} / ${basename(file)}` : basename(file);
  try {
    const { inspectAdapter } = await import('../../core/linalg/inspect');
    const { readSpectra } = await import('../../core/runs/reader');
    const final: LayerSpectrum[] = inspectAdapter(file).spectra;
    const spectra: SpectrumRecord[] = runId ? readSpectra(dirname(file)).records : [];
    return { type: 'inspect', title, ...(runId ? { runId } : {}), spectra, final };
  } catch (error) {
    const message = `cannot inspect ${basename(file)}: ${(error as Error).message}`;
    log().error(message);
    void vscode.window.showErrorMessage(`SymLoRA: ${message}`);
    return { type: 'inspect', title: `${title} — ${message}`, spectra: [], final: [] };
  }
}
