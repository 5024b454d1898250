/**
 * Runs test/integration (the extension's own integration checks, real `vscode` API) inside
 * code-server's extension host via extensionDevelopmentPath + extensionTestsPath, and reads the
 * exit code from the workbench's codeAutomationExit callback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { REPO, RESULTS, TIMEOUT, VsCodeSession } from './harness';
import { tinyExperiment } from './fixtures';

test('extension-host integration tests pass inside code-server', { timeout: 300_000 }, async () => {
  const bundle = join(RESULTS, 'integration', 'index.js');
  await esbuild.build({
    entryPoints: [join(REPO, 'test', 'integration', 'index.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  let exitCode: number | undefined;
  const console_: string[] = [];
  const session = await VsCodeSession.start('integration', {
    installVsix: false,
    files: { 'ok.symlora.json': tinyExperiment({ name: 'ok', epochs: 1, width: 4, rank: 1, trainHead: false }) },
    payload: (port) => [
      ['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${REPO}`],
      ['extensionTestsPath', `vscode-remote://127.0.0.1:${port}${bundle}`],
    ],
    beforeOpen: async (page) => {
      // In extension-test mode the extension host's console is forwarded to the page's console.
      page.on('console', (message) => console_.push(message.text()));
      await page.exposeFunction('codeAutomationExit', (code: number) => {
        exitCode = code;
      });
    },
  });
  let passed = false;
  try {
    const deadline = Date.now() + TIMEOUT.training * 2;
    while (exitCode === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // The checks really ran in the extension host: each reported on the console (shown before any
    // assertion so a failure says which check broke).
    const reported = console_.filter((line) => /\b(not )?ok - /.test(line) || /^#/.test(line));
    process.stderr.write(`${reported.join('\n')}\n`);
    assert.equal(exitCode, 0, `integration tests exited with ${exitCode}; see ${session.logFile} and the extension host log`);
    assert.equal(reported.filter((line) => line.includes('ok - ') && !line.includes('not ok')).length, 5, `the five checks reported: ${reported.join(' | ')}`);
    passed = true;
  } finally {
    await session.stop(passed);
  }
});
