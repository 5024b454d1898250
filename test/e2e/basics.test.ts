/**
 * Scenario 1: the SymLoRA Lab container shows the Runs tree (with a run made outside VS Code, as
 * the CLI makes them) and the dashboard webview.
 * Scenario 6: a broken experiment file shows diagnostics and refuses to run with a clear message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TIMEOUT, VsCodeSession, waitFor } from './harness';
import { makeCliRun, tinyExperiment } from './fixtures';

const BROKEN = `{
  "name": "broken",
  "model": { "arch": "mlp", "inputDim": 16, "hidden": [16], "classes": 4 },
  "task": { "dataset": "teacher", "shift": { "rank": 2, "kind": "symmetric" } },
  "adapter": { "kind": "symlora", "rank": -3 }
}
`;

let session: VsCodeSession;
let passed = true;

before(async () => {
  session = await VsCodeSession.start('basics', {
    files: {
      'tiny.symlora.json': tinyExperiment({ name: 'tiny' }),
      'broken.symlora.json': BROKEN,
    },
  });
  await makeCliRun(session.workspace, 'cli-made');
});

after(async () => {
  await session?.stop(passed);
});

test('scenario 1: the SymLoRA Lab container shows the Runs tree and the dashboard', { timeout: 120_000 }, async () => {
  const name = '1-container';
  try {
    const sidebar = await session.workbench.openSymloraLab();
    // The run made outside VS Code is listed under its experiment, completed, with its key metric.
    const rows = await sidebar.waitForRows(
      (r) => r.some((row) => row.label === 'cli-made') && r.some((row) => /: completed,/.test(row.aria)),
      'the CLI-made run',
    );
    const run = rows.find((row) => /: completed,/.test(row.aria))!;
    assert.match(run.label, /symlora r2 · seed 0/);
    assert.match(run.description, /^test acc 0\.\d+$/);
    await sidebar.dashboardHeader.waitFor({ timeout: TIMEOUT.ui });
    // The dashboard webview lists the run (history loaded from metrics.jsonl after its 'ready').
    const dashboard = await session.workbench.webviewWith(/cli-made/).find(TIMEOUT.training);
    const entry = dashboard.locator('vscode-checkbox[data-run-id^="cli-made-symlora"]');
    await entry.waitFor({ timeout: TIMEOUT.ui });
    assert.match((await entry.getAttribute('label')) ?? '', /\(completed\)/);
    const activation = session.activationLog();
    process.stderr.write(`activation: ${activation ?? 'not logged'}\n`);
    assert.match(activation ?? '', /activated in [\d.]+ ms/);
    await session.screenshot('1-container');
  } catch (error) {
    passed = false;
    await session.screenshot(`${name}-failed`);
    throw error;
  }
});

test('scenario 6: a broken experiment shows diagnostics and refuses to run', { timeout: 120_000 }, async () => {
  const name = '6-broken-experiment';
  try {
    const wb = session.workbench;
    await wb.openFile('broken.symlora.json');
    // Our diagnostic (same validator as the trainer) in the Problems panel, naming the field.
    const problems = await wb.problems();
    await waitFor(async () => (await problems.filter({ hasText: /\/adapter\/rank/ }).count()) > 0, TIMEOUT.ui, 'the /adapter/rank problem');
    // The CodeLens says why it cannot run.
    await session.page
      .locator('.codelens-decoration', { hasText: /problem/ })
      .first()
      .waitFor({ timeout: TIMEOUT.ui });
    await wb.openFile('broken.symlora.json');
    await wb.runCommand('SymLoRA: Run Experiment');
    await wb.notification(/broken\.symlora\.json is not a valid experiment, nothing was run/).waitFor({ timeout: TIMEOUT.ui });
    await session.screenshot('6-broken-experiment');
    // Nothing started: no run folder for it.
    const runsDir = join(session.workspace, '.symlora', 'runs');
    const { readdirSync } = await import('node:fs');
    const names = existsSync(runsDir) ? readdirSync(runsDir) : [];
    assert.ok(!names.some((name) => name.startsWith('broken')), `no run of the broken experiment: ${names.join(', ')}`);
  } catch (error) {
    passed = false;
    await session.screenshot(`${name}-failed`);
    throw error;
  }
});
