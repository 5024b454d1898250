/**
 * A real VS Code (code-server from npm, installed by scripts/e2e-setup.sh) driven with
 * playwright-core and Debian's Chromium, page-object style. Each suite starts its own
 * code-server on a free 127.0.0.1 port with fresh user-data, extensions and workspace dirs,
 * installs the packaged .vsix, and stops the whole process group afterwards. On failure the
 * screenshot and the code-server log are kept under test-results/e2e/.
 *
 * Waits are conditions (a selector, a text, a file), never fixed sleeps.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, cpSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

/** Tests run from the repository root (scripts/e2e-run.mjs does so). */
export const REPO = resolve(process.env.SYMLORA_REPO ?? process.cwd());
export const RESULTS = join(REPO, 'test-results', 'e2e');
const CACHE = process.env.SYMLORA_E2E_CACHE ?? join(homedir(), '.cache', 'symlora-e2e');
export const CODE_SERVER = process.env.SYMLORA_CODE_SERVER ?? join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.SYMLORA_CHROMIUM ?? '/usr/bin/chromium';
/** Set by scripts/e2e-run.mjs, which packages the .vsix and installs it once into a fresh extensions dir. */
export const VSIX = process.env.SYMLORA_E2E_VSIX_PATH ?? join(REPO, 'test-results', 'e2e', 'symlora-lab-e2e.vsix');
const PREINSTALLED = process.env.SYMLORA_E2E_EXTENSIONS_DIR;

export const TIMEOUT = { workbench: 60_000, ui: 20_000, training: 120_000 };

export interface SessionOptions {
  /** Files to put in the workspace (relative path → content). */
  files?: Record<string, string>;
  /** User settings. */
  settings?: Record<string, unknown>;
  /** Keep Workspace Trust on (untrusted workspace) instead of --disable-workspace-trust. */
  workspaceTrust?: boolean;
  /** Extra URL payload entries (e.g. extensionDevelopmentPath / extensionTestsPath), given the port. */
  payload?: (port: number) => [string, string][];
  /** Called with the page before the workbench loads (e.g. exposeFunction). */
  beforeOpen?: (page: Page) => Promise<unknown>;
  /** Skip installing the .vsix (when loading via extensionDevelopmentPath). */
  installVsix?: boolean;
  /** A .vsix to install into this session's own extensions dir (instead of VSIX / the preinstalled dir). */
  vsix?: string;
  /** Extra Chromium switches (e.g. --enable-precise-memory-info for the soak test). */
  browserArgs?: string[];
  /**
   * The caller handles SIGINT / SIGTERM / SIGHUP and calls stop() itself. Otherwise Playwright's own
   * handlers close Chromium and exit the process at once, leaving code-server's group running.
   */
  callerHandlesSignals?: boolean;
}

export class VsCodeSession {
  readonly root: string;
  readonly workspace: string;
  readonly logFile: string;
  page!: Page;
  port = 0;
  private server?: ChildProcess;
  private browser?: Browser;
  private context?: BrowserContext;

  private constructor(readonly name: string) {
    mkdirSync(RESULTS, { recursive: true });
    this.root = mkdtempSync(join(tmpdir(), `symlora-e2e-${name}-`));
    this.workspace = join(this.root, 'ws');
    this.logFile = join(RESULTS, `${name}.code-server.log`);
  }

  static async start(name: string, options: SessionOptions = {}): Promise<VsCodeSession> {
    const session = new VsCodeSession(name);
    try {
      await session.boot(options);
    } catch (error) {
      await session.stop(false);
      throw error;
    }
    return session;
  }

  private async boot(options: SessionOptions): Promise<void> {
    for (const [path, content] of Object.entries(options.files ?? {})) {
      mkdirSync(dirname(join(this.workspace, path)), { recursive: true });
      writeFileSync(join(this.workspace, path), content);
    }
    mkdirSync(this.workspace, { recursive: true });
    const userDir = join(this.root, 'ud', 'User');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(
      join(userDir, 'settings.json'),
      JSON.stringify({
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'always',
        'window.commandCenter': false,
        ...options.settings,
      }),
    );
    if (options.installVsix !== false && (options.vsix || !PREINSTALLED)) this.installVsix(options.vsix ?? VSIX);
    this.port = await freePort();
    await this.startServer(options);
    await this.openBrowser(options);
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      XDG_CONFIG_HOME: join(this.root, 'xdg-config'),
      XDG_DATA_HOME: join(this.root, 'xdg-data'),
      XDG_CACHE_HOME: join(this.root, 'xdg-cache'),
    };
  }

  private installVsix(vsix: string): void {
    if (!existsSync(vsix)) throw new Error(`no packaged extension at ${vsix}: run node scripts/e2e-run.mjs (it packages one)`);
    const result = spawnSync(CODE_SERVER, ['--user-data-dir', join(this.root, 'ud'), '--extensions-dir', join(this.root, 'ext'), '--install-extension', vsix], {
      env: this.env(),
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (result.status !== 0) throw new Error(`installing ${vsix} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }

  private async startServer(options: SessionOptions): Promise<void> {
    const args = [
      '--bind-addr',
      `127.0.0.1:${this.port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--user-data-dir',
      join(this.root, 'ud'),
      '--extensions-dir',
      options.installVsix !== false && PREINSTALLED && !options.vsix ? PREINSTALLED : join(this.root, 'ext'),
      this.workspace,
    ];
    const log = createWriteStream(this.logFile);
    // detached = setsid: code-server and every process it starts (extension host, our trainers)
    // share one process group, stopped as a whole in stop().
    this.server = spawn(CODE_SERVER, args, { env: this.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server.stdout?.pipe(log);
    this.server.stderr?.pipe(log);
    await waitFor(
      async () => {
        if (this.server?.exitCode !== null) throw new Error(`code-server exited early (${this.server?.exitCode}); see ${this.logFile}`);
        const response = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => undefined);
        return response?.ok === true;
      },
      30_000,
      'code-server /healthz',
    );
  }

  private async openBrowser(options: SessionOptions): Promise<void> {
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        ...(options.browserArgs ?? []),
      ],
      ...(options.callerHandlesSignals ? { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false } : {}),
    });
    this.context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Our webviews expose read-only test hooks (window.__symlora) only when this flag is set; the
    // init script runs in every frame, including the webviews' nested iframes.
    await this.context.addInitScript(() => {
      (window as unknown as { __SYMLORA_TEST__: boolean }).__SYMLORA_TEST__ = true;
    });
    this.page = await this.context.newPage();
    await options.beforeOpen?.(this.page);
    const entries = options.payload?.(this.port) ?? [];
    const payload = entries.length ? `&payload=${encodeURIComponent(JSON.stringify(entries))}` : '';
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}${payload}`);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT.workbench });
  }

  /** code-server's pid, which is also the id of the process group holding the extension host and trainers. */
  get serverPid(): number | undefined {
    return this.server?.pid;
  }

  /** The first line containing `text` in a code-server log file whose name contains `fileHint`. */
  findLogLine(text: string, fileHint = ''): string | undefined {
    const find = (dir: string): string | undefined => {
      for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
        const path = join(dir, entry.name);
        const hit = entry.isDirectory()
          ? find(path)
          : entry.name.includes(fileHint)
            ? readFileSync(path, 'utf8')
                .split('\n')
                .find((line) => line.includes(text))
            : undefined;
        if (hit) return hit.trim();
      }
      return undefined;
    };
    return find(join(this.root, 'ud', 'logs'));
  }

  /** The "activated in … ms" line of our output channel's log file, if written yet. */
  activationLog(): string | undefined {
    return this.findLogLine('activated in', 'SymLoRA Lab');
  }

  /** Screenshot into test-results/e2e/<name>.png. */
  private scenarioFailed = false;

  /** Runs a scenario body and keeps a screenshot named after it (`<name>-failed` on failure, remembered for stop()). */
  async scenario(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
      await this.screenshot(name);
    } catch (error) {
      this.scenarioFailed = true;
      await this.screenshot(`${name}-failed`);
      throw error;
    }
  }

  /** No scenario run through scenario() has failed. */
  get scenariosPassed(): boolean {
    return !this.scenarioFailed;
  }

  async screenshot(name: string): Promise<string> {
    const path = join(RESULTS, `${name}.png`);
    await this.page.screenshot({ path }).catch(() => undefined);
    return path;
  }

  /** Closes the browser and stops the process group; keeps the log (and a screenshot) on failure. */
  async stop(passed: boolean): Promise<void> {
    if (!passed && this.page) await this.screenshot(`${this.name}-failure`);
    await this.context?.close().catch(() => undefined);
    await this.browser?.close().catch(() => undefined);
    await stopGroup(this.server);
    if (passed) rmSync(this.logFile, { force: true });
    else if (existsSync(join(this.workspace, '.symlora'))) cpSync(join(this.workspace, '.symlora'), join(RESULTS, `${this.name}-runs`), { recursive: true });
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  get workbench(): Workbench {
    return new Workbench(this.page);
  }
}

/** SIGTERM to the whole group, SIGKILL if anything is left after a grace period. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid) return;
  const group = -child.pid;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(group, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await waitFor(async () => !alive(), 8000, 'code-server to exit');
  } catch {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `condition` until it returns true (no fixed sleeps: a short poll interval only). */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
      if (error instanceof Error && /exited early/.test(error.message)) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Page objects
// ---------------------------------------------------------------------------------------------

export class Workbench {
  constructor(readonly page: Page) {}

  activityBarItem(label: string): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${label}"], .activitybar .action-item [aria-label^="${label}"]`).first();
  }

  /** Opens our container from the activity bar. */
  async openSymloraLab(): Promise<SymloraSidebar> {
    const item = this.activityBarItem('SymLoRA Lab');
    await item.waitFor({ timeout: TIMEOUT.workbench });
    const sidebar = new SymloraSidebar(this.page);
    if (!(await sidebar.isOpen())) await item.click();
    await sidebar.runsHeader.waitFor({ timeout: TIMEOUT.ui });
    return sidebar;
  }

  /** F1, type the command title, pick the row whose label matches exactly. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 10 } })
      .catch(() => undefined);
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: TIMEOUT.ui });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: TIMEOUT.ui });
    await row.click();
  }

  /** The open quick pick (after a command asked for a choice). */
  quickPick(): QuickPick {
    return new QuickPick(this.page);
  }

  /** Opens a workspace file via Quick Open. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: TIMEOUT.ui });
    await input.fill(relativePath);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: relativePath.split('/').pop()! }).first();
    await row.waitFor({ timeout: TIMEOUT.ui });
    await this.page.keyboard.press('Enter');
    await this.page
      .locator(`.tabs-container .tab[aria-label*="${relativePath.split('/').pop()}"]`)
      .first()
      .waitFor({ timeout: TIMEOUT.ui });
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item').filter({ hasText: text }).first();
  }

  /** The Problems panel rows (opened with its command). */
  async problems(): Promise<Locator> {
    await this.runCommand('View: Focus Problems');
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    return rows;
  }

  editorTab(label: string | RegExp): Locator {
    return this.page.locator('.tabs-container .tab').filter({ hasText: label }).first();
  }

  /** The innermost frame of the newest ready webview (VS Code nests it two frames deep). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
  }

  /** The webview whose outer iframe belongs to the active editor / a view, by title text in the frame. */
  webviewWith(text: string | RegExp): FrameLocatorWithText {
    return new FrameLocatorWithText(this.page, text);
  }
}

/** Finds, among all ready webviews, the one that shows `text`. */
export class FrameLocatorWithText {
  constructor(
    private readonly page: Page,
    private readonly text: string | RegExp,
  ) {}

  async find(timeout = TIMEOUT.ui): Promise<FrameLocator> {
    let found: FrameLocator | undefined;
    await waitFor(
      async () => {
        const count = await this.page.locator('iframe.webview.ready').count();
        for (let i = count - 1; i >= 0; i--) {
          const frame = this.page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
          if (
            (await frame
              .getByText(this.text)
              .count()
              .catch(() => 0)) > 0
          ) {
            found = frame;
            return true;
          }
        }
        return false;
      },
      timeout,
      `a webview showing ${String(this.text)}`,
    );
    return found!;
  }
}

export class QuickPick {
  constructor(readonly page: Page) {}

  rows(): Locator {
    return this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row:visible');
  }

  /** Waits for the quick pick titled `title` (the palette's own list may still be in the DOM). */
  async waitOpen(title: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: TIMEOUT.ui });
    await this.rows().first().waitFor({ timeout: TIMEOUT.ui });
  }

  async pick(text: string | RegExp): Promise<void> {
    const row = this.rows().filter({ hasText: text }).first();
    await row.waitFor({ timeout: TIMEOUT.ui });
    await row.click();
  }

  /** Accepts a multi-select quick pick (OK button / Enter). */
  async accept(): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-box input').press('Enter');
  }
}

export interface TreeRow {
  label: string;
  description: string;
  aria: string;
}

export class SymloraSidebar {
  constructor(readonly page: Page) {}

  get runsHeader(): Locator {
    return this.page.locator('.pane-header', { hasText: /^\s*Runs/ }).first();
  }

  get dashboardHeader(): Locator {
    return this.page.locator('.pane-header', { hasText: 'Dashboard' }).first();
  }

  async isOpen(): Promise<boolean> {
    return (await this.page.locator('.sidebar .composite.title', { hasText: 'SymLoRA Lab' }).count()) > 0 && (await this.runsHeader.isVisible());
  }

  /** The Runs tree's rows (experiments and runs) as the user sees them, read in one pass. */
  async rows(): Promise<TreeRow[]> {
    const tree = this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: /^\s*Runs/ }) }).locator('.monaco-list-row');
    return tree.evaluateAll((elements) =>
      elements.map((row) => ({
        label: (row.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        aria: row.getAttribute('aria-label') ?? '',
      })),
    );
  }

  /** Waits until the tree rows satisfy `predicate`; returns them. */
  async waitForRows(predicate: (rows: TreeRow[]) => boolean, what: string, timeout = TIMEOUT.ui): Promise<TreeRow[]> {
    let rows: TreeRow[] = [];
    await waitFor(async () => predicate((rows = await this.rows())), timeout, `${what}; rows were ${JSON.stringify(rows)}`);
    return rows;
  }

  welcomeText(): Locator {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: /^\s*Runs/ }) }).locator('.welcome-view-content');
  }
}

/**
 * Packages the extension as a .vsix with its production node_modules (what users install), the
 * same way scripts/e2e-run.mjs does. Needs `npm run build` first; takes about a minute.
 */
export function packageExtension(out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  for (const file of ['dist/extension.js', 'dist/trainer.js']) if (!existsSync(join(REPO, file))) throw new Error(`${file} is missing: run npm run build`);
  // No public repository yet: relative README links get a placeholder base so vsce accepts them.
  const base = 'https://symlora-lab.invalid/';
  const result = spawnSync(
    join(REPO, 'node_modules', '.bin', 'vsce'),
    ['package', '--allow-missing-repository', '--skip-license', '--baseContentUrl', base, '--baseImagesUrl', base, '--out', out],
    { cwd: REPO, encoding: 'utf8', timeout: 600_000 },
  );
  if (result.status !== 0) throw new Error(`vsce package failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
}

export function copyInto(session: VsCodeSession, from: string, to: string): void {
  mkdirSync(dirname(join(session.workspace, to)), { recursive: true });
  copyFileSync(from, join(session.workspace, to));
}
