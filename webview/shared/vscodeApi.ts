/** The one handle on VS Code's webview API (acquireVsCodeApi may be called only once per page). */
import type { WebviewToHost } from '../../src/core/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
  interface Window {
    /** Set by the Chromium test harness to expose test hooks; never set in VS Code. */
    __SYMLORA_TEST__?: boolean;
    __symlora?: Record<string, unknown>;
  }
}

let api: VsCodeApi | undefined;

function vscode(): VsCodeApi {
  if (!api) {
    api =
      typeof acquireVsCodeApi === 'function'
        ? acquireVsCodeApi()
        : // Opened outside VS Code (e.g. a plain browser while developing): keep state in memory.
          { postMessage: () => undefined, getState: () => memoryState, setState: (s) => (memoryState = s) };
  }
  return api;
}
let memoryState: unknown;

export function postToHost(message: WebviewToHost): void {
  vscode().postMessage(message);
}

/**
 * UI state: `defaults`, overridden by the host's initial state (renderWebviewHtml's
 * `initialState`, a JSON data block), overridden by what setUiState saved before a reload.
 */
export function getUiState<T extends object>(defaults: T): T {
  const saved = vscode().getState();
  return { ...defaults, ...asObject(readInitialState()), ...asObject(saved) };
}

/** The JSON block html.ts writes (id "symlora-initial-state"), or undefined. */
export function readInitialState(): unknown {
  const block = document.getElementById('symlora-initial-state');
  if (!block?.textContent) return undefined;
  try {
    return JSON.parse(block.textContent);
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

export function setUiState<T extends object>(state: T): void {
  vscode().setState(state);
}

/** Exposes objects to the Chromium tests, only when the harness asked for it. */
export function exposeForTests(hooks: Record<string, unknown>): void {
  if (window.__SYMLORA_TEST__) window.__symlora = { ...window.__symlora, ...hooks };
}
