/**
 * Scenarios 2–5 in one VS Code session (they build on each other's runs):
 *  2. Run a 2-run sweep from the palette: runs show as running, the dashboard's curves grow, both end completed.
 *  3. Stop a running run → cancelled; a trainer killed by SIGKILL → crashed, with its error shown.
 *  4. Compare the two sweep runs: the panel's table has both, with their exact trainable-parameter counts.
 *  5. Inspect the SymLoRA run's adapter: the custom editor opens and shows its eigenvalues.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { countParams } from '../../src/core/adapters/params';
import { parseExperiment } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import { readRunRecord } from '../../src/core/runs/reader';
import { TIMEOUT, VsCodeSession, waitFor, type SymloraSidebar, type TreeRow } from './harness';
import { tinyExperiment } from './fixtures';

const SWEEP = tinyExperiment({ name: 'e2e-sweep', epochs: 20, trainSize: 512 });
const LONG = tinyExperiment({ name: 'e2e-long', epochs: 500, kinds: ['symlora'], trainSize: 512 });

let session: VsCodeSession;
let sidebar: SymloraSidebar;

before(async () => {
  session = await VsCodeSession.start('training', { files: { 'sweep.symlora.json': SWEEP, 'long.symlora.json': LONG } });
  sidebar = await session.workbench.openSymloraLab();
});

after(async () => {
  await session?.stop(session.scenariosPassed);
});

const runsOf = (rows: TreeRow[], experiment: string, status?: string) =>
  rows.filter((row) => row.aria.startsWith(`${experiment} `) && (!status || row.aria.includes(`: ${status},`)));

const runsDir = () => join(session.workspace, '.symlora', 'runs');

test('scenario 2: a sweep runs from the palette, streams to the dashboard and completes', { timeout: 300_000 }, async () => {
  await session.scenario('2-sweep', async () => {
    const wb = session.workbench;
    const dashboard = await wb.webviewWith(/X axis/).find(TIMEOUT.training);
    await wb.openFile('sweep.symlora.json');
    // The CodeLens offers the sweep with its run count.
    await session.page.locator('.codelens-decoration', { hasText: 'Run sweep (2 runs)' }).first().waitFor({ timeout: TIMEOUT.ui });
    await wb.runCommand('SymLoRA: Run Experiment');
    await sidebar.waitForRows((rows) => runsOf(rows, 'e2e-sweep', 'running').length >= 1, 'a sweep run shown as running', TIMEOUT.training);
    await session.page
      .locator('.statusbar-item', { hasText: /running/ })
      .first()
      .waitFor({ timeout: TIMEOUT.ui });
    // Dashboard: the running runs are listed and the loss chart's points grow as metrics stream in.
    await dashboard.locator('vscode-checkbox[data-run-id^="e2e-sweep"]').first().waitFor({ timeout: TIMEOUT.ui });
    const lossPoints = () =>
      dashboard.locator('body').evaluate(() => {
        const hooks = (window as unknown as { __symlora?: { describe(): { charts: Record<string, { datasets: { label: string; length: number }[] }> } } })
          .__symlora;
        return (hooks?.describe().charts.loss?.datasets ?? []).filter((d) => d.label.includes('e2e-sweep')).reduce((n, d) => n + d.length, 0);
      });
    let seen = 0;
    await waitFor(async () => (seen = await lossPoints()) > 0, TIMEOUT.training, 'loss points on the dashboard');
    await waitFor(async () => (await lossPoints()) > seen, TIMEOUT.training, `more than ${seen} loss points`);
    await session.screenshot('2-sweep-running');
    const rows = await sidebar.waitForRows((r) => runsOf(r, 'e2e-sweep', 'completed').length === 2, 'both sweep runs completed', TIMEOUT.training);
    const done = runsOf(rows, 'e2e-sweep', 'completed');
    assert.deepEqual(done.map((row) => row.label.split(' ')[0]).sort(), ['lora', 'symlora']);
    for (const row of done) assert.match(row.description, /^test acc 0\.\d+|^test acc 1$/);
    await dashboard.locator('vscode-checkbox[label*="(completed)"]').nth(1).waitFor({ timeout: TIMEOUT.ui });
  });
});

test('scenario 3: stopping a run cancels it; a killed trainer shows as crashed with its error', { timeout: 300_000 }, async () => {
  await session.scenario('3-stop-and-crash', async () => {
    const wb = session.workbench;
    await wb.openFile('long.symlora.json');
    await wb.runCommand('SymLoRA: Run Experiment');
    await sidebar.waitForRows((rows) => runsOf(rows, 'e2e-long', 'running').length === 1, 'the long run running', TIMEOUT.training);
    await wb.runCommand('SymLoRA: Stop Run');
    const pick = wb.quickPick();
    await pick.waitOpen('SymLoRA: Stop Run');
    await pick.pick(/e2e-long/);
    await pick.accept();
    await sidebar.waitForRows((rows) => runsOf(rows, 'e2e-long', 'cancelled').length === 1, 'the long run cancelled', TIMEOUT.training);
    await session.screenshot('3-stopped');

    await wb.runCommand('SymLoRA: Run Experiment');
    await sidebar.waitForRows((rows) => runsOf(rows, 'e2e-long', 'running').length === 1, 'a second long run running', TIMEOUT.training);
    const running = readdirSync(runsDir())
      .filter((name) => name.startsWith('e2e-long'))
      .map((name) => readRunRecord(join(runsDir(), name)))
      .find((record) => record.status === 'running');
    assert.ok(running?.pid, 'the running run records its trainer pid');
    process.kill(running.pid, 'SIGKILL');
    const rows = await sidebar.waitForRows((r) => runsOf(r, 'e2e-long', 'crashed').length === 1, 'the killed run crashed', TIMEOUT.training);
    assert.match(runsOf(rows, 'e2e-long', 'crashed')[0].description, /SIGKILL/);
    await wb.notification(/crashed: the trainer was killed by SIGKILL/).waitFor({ timeout: TIMEOUT.ui });
  });
});

test('scenario 4: Compare Runs shows both sweep runs with their trainable parameters', { timeout: 180_000 }, async () => {
  await session.scenario('4-compare', async () => {
    const wb = session.workbench;
    await wb.runCommand('SymLoRA: Compare Runs');
    const pick = wb.quickPick();
    await pick.waitOpen('SymLoRA: Compare Runs');
    await pick.accept(); // the latest experiment's completed runs are preselected
    const compare = await wb.webviewWith(/Compare runs/).find(TIMEOUT.training);
    const table = compare.locator('#compare-table');
    await table.locator('tbody tr').nth(1).waitFor({ timeout: TIMEOUT.ui });
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    assert.equal(rows.length, 2, rows.join('\n'));
    const specs = expandSweep(parseExperiment(SWEEP, 'sweep.symlora.json'));
    for (const spec of specs) {
      const expected = countParams(spec.config.model, spec.config.adapter).trainable.toLocaleString('en-US');
      const row = rows.find((text) => new RegExp(`\\b${spec.config.adapter.kind}\\b`).test(text));
      assert.ok(row, `a row for ${spec.config.adapter.kind}: ${rows.join(' | ')}`);
      assert.ok(row.includes(expected), `${spec.config.adapter.kind} row shows ${expected} trainable params: ${row}`);
    }
  });
});

test('scenario 5: Inspect Adapter opens the SymLoRA run adapter and shows its eigenvalues', { timeout: 180_000 }, async () => {
  await session.scenario('5-inspect', async () => {
    const wb = session.workbench;
    await wb.runCommand('SymLoRA: Inspect Adapter');
    const pick = wb.quickPick();
    await pick.waitOpen('SymLoRA: Inspect Adapter');
    await pick.pick(/e2e-sweep · symlora/);
    await wb.editorTab(/adapter\.safetensors/).waitFor({ timeout: TIMEOUT.ui });
    const inspector = await wb.webviewWith(/top λ/).find(TIMEOUT.training);
    const table = inspector.locator('table').first();
    await table.locator('tbody tr').first().waitFor({ timeout: TIMEOUT.ui });
    const text = await table.evaluate((t) => (t as HTMLElement).innerText);
    assert.match(text, /symlora/);
    assert.match(text, /hidden\.\d/);
    // A top eigenvalue is a (signed) non-zero number after training.
    assert.match(text, /-?\d+\.\d+|-?\d(\.\d+)?e-?\d+/);
  });
});
