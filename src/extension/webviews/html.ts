/**
 * The HTML shell of every SymLoRA webview (dashboard, compare, inspector). Pure: it takes
 * strings (the host converts URIs with `asWebviewUri` and passes `webview.cspSource`), so it is
 * unit-testable without VS Code.
 *
 * Security: a strict Content-Security-Policy — nothing loads by default, scripts only by nonce,
 * styles/images/fonts only from the extension's own webview origin; no 'unsafe-inline', no
 * 'unsafe-eval', no remote origins. The initial state travels as a JSON data block, which the
 * browser never executes.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  title: string;
  /** The view's bundle (dist/webview/<name>.js) as a webview URI. */
  scriptUri: string;
  /** Stylesheets (media/css/*.css) as webview URIs. */
  styleUris: string[];
  /** `webview.cspSource`: the origin webview resources are served from. */
  cspSource: string;
  nonce: string;
  /** JSON-serialisable state the script reads before the host's first message (optional). */
  initialState?: unknown;
}

/** The id of the JSON data block that carries `initialState`. */
export const INITIAL_STATE_ELEMENT_ID = 'symlora-initial-state';

/** 128 random bits, base64 (CSP nonces must be unguessable and fresh per render). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function buildCsp(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function renderWebviewHtml(options: WebviewHtmlOptions): string {
  checkOptions(options);
  const { title, scriptUri, styleUris, cspSource, nonce, initialState } = options;
  const styles = styleUris.map((uri) => `    <link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(uri)}">`).join('\n');
  const stateBlock =
    initialState === undefined
      ? ''
      : `    <script type="application/json" id="${INITIAL_STATE_ELEMENT_ID}" nonce="${nonce}">${jsonForScript(initialState)}</script>\n`;
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(buildCsp(cspSource, nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${escapeText(title)}</title>
${styles}
  </head>
  <body>
    <main id="app" aria-busy="true"><p class="loading">Loading…</p></main>
${stateBlock}    <script nonce="${nonce}" src="${escapeAttr(scriptUri)}"></script>
  </body>
</html>
`;
}

function checkOptions({ title, scriptUri, styleUris, cspSource, nonce }: WebviewHtmlOptions): void {
  if (typeof title !== 'string') throw new Error(`renderWebviewHtml: title must be a string, got ${typeof title}`);
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) {
    throw new Error(`renderWebviewHtml: nonce must be ≥ 16 base64 characters, got ${JSON.stringify(nonce)}`);
  }
  // The source is spliced into the CSP: anything that could end a directive or add a keyword is
  // refused. code-server passes `'self' https://…`, VS Code a single origin.
  const sources = cspSource.trim().split(/\s+/);
  if (!sources.every((source) => source === "'self'" || (/^[A-Za-z0-9+.:/*_-]+$/.test(source) && source !== '*'))) {
    throw new Error(`renderWebviewHtml: cspSource must be origins or 'self', got ${JSON.stringify(cspSource)}`);
  }
  for (const [field, uri] of [['scriptUri', scriptUri], ...styleUris.map((u, i) => [`styleUris[${i}]`, u])]) {
    if (typeof uri !== 'string' || uri.length === 0 || /["<>\s]/.test(uri)) {
      throw new Error(`renderWebviewHtml: ${field} is not a usable URI: ${JSON.stringify(uri)}`);
    }
  }
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** JSON that cannot close its <script> element or open an HTML comment. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
