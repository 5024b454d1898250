/**
 * Runs a webview bundle in a real headless Chromium (Debian's, driven by playwright-core) inside
 * the page VS Code would give it: the HTML from src/extension/webviews/html.ts with its strict
 * CSP, served from a stand-in webview origin, with a stand-in `acquireVsCodeApi` that records
 * posted messages and keeps getState/setState across reloads (sessionStorage).
 */
import * as esbuild from 'esbuild';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost } from '../../src/core/webviewProtocol';
import { makeNonce, renderWebviewHtml } from '../../src/extension/webviews/html';
import { parseWebviewMessage } from '../../src/extension/webviews/validateMessage';

export type ViewName = 'dashboard' | 'compare' | 'inspector';
export type ThemeName = 'light' | 'dark' | 'high-contrast';

const ROOT = resolve(import.meta.dirname, '../..');
export const ORIGIN = 'https://webview.test';
export const SCREENSHOT_DIR = join(ROOT, 'test-results/webview');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Bundles the views the way esbuild.mjs does (browser IIFE), into a private temp dir. */
export async function buildBundles(views: ViewName[], outdir: string): Promise<void> {
  await esbuild.build({
    entryPoints: Object.fromEntries(views.map((v) => [v, join(ROOT, `webview/${v}/main.ts`)])),
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'error',
  });
}

// VS Code's Light+ / Dark+ / High Contrast values of the variables the views use.
const THEMES: Record<ThemeName, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-foreground': '#616161',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editor-background': '#ffffff',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-font-family': 'sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-settings-checkboxBackground': '#f8f8f8',
      '--vscode-settings-checkboxBorder': '#cecece',
      '--vscode-settings-checkboxForeground': '#3b3b3b',
      '--vscode-settings-dropdownBackground': '#ffffff',
      '--vscode-settings-dropdownBorder': '#cecece',
      '--vscode-settings-dropdownForeground': '#3b3b3b',
      '--vscode-settings-dropdownListBorder': '#cecece',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-font-family': 'sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-settings-checkboxBackground': '#313131',
      '--vscode-settings-checkboxBorder': '#3c3c3c',
      '--vscode-settings-checkboxForeground': '#cccccc',
      '--vscode-settings-dropdownBackground': '#313131',
      '--vscode-settings-dropdownBorder': '#3c3c3c',
      '--vscode-settings-dropdownForeground': '#cccccc',
      '--vscode-settings-dropdownListBorder': '#454545',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-foreground': '#ffffff',
      '--vscode-descriptionForeground': '#ffffff',
      '--vscode-editor-background': '#000000',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-yellow': '#ffd700',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-lines': '#ffffff',
      '--vscode-focusBorder': '#f38518',
      '--vscode-font-family': 'sans-serif',
      '--vscode-font-size': '13px',
    },
  },
};

/** Installed before any page script: the VS Code API stand-in, CSP-violation and theme set-up. */
function initScript(args: { theme: { bodyClass: string; vars: Record<string, string> } }): void {
  const w = window as any;
  w.__SYMLORA_TEST__ = true;
  w.__posted = [];
  w.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    w.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  let acquired = false;
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => {
        const s = sessionStorage.getItem('vscode-state');
        return s === null ? undefined : JSON.parse(s);
      },
      setState: (s: unknown) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),
    };
  };
  // Like VS Code: the variables on <html>, the theme class on <body>, both before the view's script runs.
  const applyTheme = (theme: { bodyClass: string; vars: Record<string, string> }) => {
    const apply = () => {
      if (!document.documentElement || !document.body) return false;
      for (const [name, value] of Object.entries(theme.vars)) document.documentElement.style.setProperty(name, value);
      document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
      document.body.classList.add(theme.bodyClass);
      return true;
    };
    if (!apply()) {
      new MutationObserver((_, observer) => {
        if (apply()) observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    }
  };
  w.__applyTheme = applyTheme;
  const stored = sessionStorage.getItem('test-theme');
  applyTheme(stored ? JSON.parse(stored) : args.theme);
}

export interface WebviewPage {
  page: Page;
  post(message: HostToWebview): Promise<void>;
  /** Messages the webview posted, each checked with the host's own validator. */
  posted(): Promise<WebviewToHost[]>;
  cspViolations(): Promise<unknown[]>;
  /** Console errors, page errors and requests that left the webview origin. */
  problems: string[];
  /** The view's test hook `describe`; point arrays only with `withData`. */
  describe<T = any>(withData?: boolean): Promise<T>;
  setTheme(theme: ThemeName): Promise<void>;
  reload(): Promise<void>;
  screenshot(name: string): Promise<string>;
}

export class WebviewBrowser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly dir: string,
  ) {}

  static async launch(views: ViewName[]): Promise<WebviewBrowser> {
    const dir = mkdtempSync(join(tmpdir(), 'symlora-webview-'));
    await buildBundles(views, join(dir, 'dist'));
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 900 },
    });
    return new WebviewBrowser(context, dir);
  }

  async open(view: ViewName, options: { theme?: ThemeName; title?: string; initialState?: unknown } = {}): Promise<WebviewPage> {
    const page = await this.context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.route('**/*', (route) => this.serve(view, route.request().url(), options, problems).then((r) => (r ? route.fulfill(r) : route.abort())));
    // tsx compiles with keepNames: functions serialised into the page call its __name helper.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    await page.addInitScript(initScript, { theme: THEMES[options.theme ?? 'dark'] });
    await page.goto(`${ORIGIN}/index.html`);
    await page
      .waitForFunction(() => (window as any).__posted?.some((m: { type: string }) => m.type === 'ready'), undefined, { timeout: 10_000 })
      .catch((e) => {
        throw new Error(`${view} never posted ready: ${problems.join('; ')}`, { cause: e });
      });
    return {
      page,
      problems,
      // A JSON string crosses the DevTools protocol far faster than an object graph.
      post: (message) => page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(message)),
      posted: async () => (await page.evaluate(() => (window as any).__posted as unknown[])).map(parseWebviewMessage),
      cspViolations: () => page.evaluate(() => (window as any).__cspViolations as unknown[]),
      describe: (withData = false) => page.evaluate((d) => (window as any).__symlora.describe(d), withData),
      setTheme: async (theme) => {
        await page.evaluate((t) => {
          sessionStorage.setItem('test-theme', JSON.stringify(t));
          (window as any).__applyTheme(t);
        }, THEMES[theme]);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      },
      reload: async () => {
        await page.reload();
        await page
          .waitForFunction(() => (window as any).__posted?.some((m: { type: string }) => m.type === 'ready'), undefined, { timeout: 10_000 })
          .catch((e) => {
            throw new Error(`${view} never posted ready: ${problems.join('; ')}`, { cause: e });
          });
      },
      screenshot: async (name) => {
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
    };
  }

  private async serve(view: ViewName, url: string, options: { title?: string; initialState?: unknown }, problems: string[]) {
    const { origin, pathname } = new URL(url);
    if (origin !== ORIGIN) {
      problems.push(`request outside the webview origin: ${url}`);
      return undefined;
    }
    if (pathname === '/index.html') {
      const html = renderWebviewHtml({
        title: options.title ?? view,
        initialState: options.initialState,
        scriptUri: `${ORIGIN}/dist/${view}.js`,
        styleUris: [`${ORIGIN}/media/css/webview.css`],
        cspSource: ORIGIN,
        nonce: makeNonce(),
      });
      return { status: 200, contentType: 'text/html', body: html };
    }
    const file = pathname.startsWith('/dist/') ? join(this.dir, pathname) : pathname.startsWith('/media/') ? join(ROOT, pathname) : undefined;
    if (!file) {
      problems.push(`unexpected request: ${url}`);
      return undefined;
    }
    const contentType = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    return { status: 200, contentType, body: readFileSync(file) };
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits for two animation frames (the views batch chart updates into one frame). */
export async function nextFrames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
