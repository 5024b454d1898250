// Runs the end-to-end suite in a real VS Code (code-server) driven through Chromium.
// Prerequisites: scripts/e2e-setup.sh (code-server + chromium) and `npm run build`; the npm
// script `test:e2e` does both first.
//
// Packages the extension as a .vsix with its production node_modules (what users install: the
// trainer loads the TensorFlow.js backends and dataset packages from there), installs it once
// into a fresh extensions dir, then runs test/e2e/*.test.ts one file at a time; each file starts
// its own code-server with fresh user-data and workspace dirs on that extensions dir.
// Usage: node scripts/e2e-run.mjs [test/e2e/some.test.ts ...]
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const repo = resolve(import.meta.dirname, '..');
const results = join(repo, 'test-results', 'e2e');
const cache = process.env.SYMLORA_E2E_CACHE ?? join(homedir(), '.cache', 'symlora-e2e');
const codeServer = join(cache, 'code-server', 'node_modules', '.bin', 'code-server');
const vsix = join(results, 'symlora-lab-e2e.vsix');
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

if (!existsSync(codeServer)) fail(`code-server is not installed at ${codeServer}: run bash scripts/e2e-setup.sh`);
if (!existsSync('/usr/bin/chromium')) fail('chromium is not installed: run bash scripts/e2e-setup.sh');
for (const file of ['dist/extension.js', 'dist/trainer.js']) if (!existsSync(join(repo, file))) fail(`${file} is missing: run npm run build`);

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const vsce = join(repo, 'node_modules', '.bin', 'vsce');
// No public repository yet: relative README links get a placeholder base so vsce accepts them.
const base = 'https://symlora-lab.invalid/';
const packaging = spawnSync(
  vsce,
  ['package', '--allow-missing-repository', '--skip-license', '--baseContentUrl', base, '--baseImagesUrl', base, '--out', vsix],
  { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
);
if (packaging.status !== 0) fail(`vsce package failed:\n${packaging.stdout}`);
console.log(`e2e: packaged ${vsix} in ${seconds()} s`);

const extensionsDir = join(results, 'extensions');
const install = spawnSync(codeServer, ['--extensions-dir', extensionsDir, '--user-data-dir', join(results, 'install-user-data'), '--install-extension', vsix], {
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, XDG_CONFIG_HOME: join(results, 'install-xdg'), XDG_DATA_HOME: join(results, 'install-xdg') },
});
if (install.status !== 0) fail(`installing the .vsix into code-server failed:\n${install.stdout}\n${install.stderr}`);
rmSync(join(results, 'install-user-data'), { recursive: true, force: true });
rmSync(join(results, 'install-xdg'), { recursive: true, force: true });
console.log(`e2e: installed into ${extensionsDir} at ${seconds()} s`);

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(join(repo, 'test', 'e2e'))
      .filter((name) => name.endsWith('.test.ts'))
      .sort()
      .map((name) => join('test', 'e2e', name));
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: repo,
  stdio: 'inherit',
  env: { ...process.env, SYMLORA_E2E_VSIX_PATH: vsix, SYMLORA_E2E_EXTENSIONS_DIR: extensionsDir, SYMLORA_REPO: repo },
});
rmSync(extensionsDir, { recursive: true, force: true });
rmSync(vsix, { force: true });
console.log(`e2e: finished in ${seconds()} s; screenshots in ${results}`);
process.exit(run.status ?? 1);
