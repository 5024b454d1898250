/**
 * Workspace Trust (issue #10), in one VS Code session that starts in Restricted Mode:
 *  7. Untrusted: nothing trains and no workspace file can make the extension run a program or
 *     write outside its runs directory. The workspace's own settings point the runs directory and
 *     the Node.js executable outside it, and a hostile experiment points its data file at "../..";
 *     the run commands are not offered, the CodeLens refuses with the reason, no trainer process
 *     starts and no file appears; the Runs view and the dashboard still show an existing run.
 *  8. Trust granted in the same window: a run starts and writes only inside the runs directory
 *     that the (now applied) restricted setting names; the machine-scoped Node.js path from the
 *     workspace is still ignored; the hostile experiment fails with an error and writes nothing
 *     outside that runs directory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseExperiment } from '../../src/core/experiment/load';
import { expandSweep } from '../../src/core/experiment/sweep';
import { readRunRecord } from '../../src/core/runs/reader';
import { RunWriter } from '../../src/core/runs/writer';
import type { Locator } from 'playwright-core';
import { TIMEOUT, VsCodeSession, waitFor, type SymloraSidebar } from './harness';
import { tinyExperiment } from './fixtures';

const GOOD = tinyExperiment({ name: 'trust-good', epochs: 2, kinds: ['symlora'] });

/** Valid against the schema, so it gets the run lens; its data paths climb out of the workspace. */
const HOSTILE = `${JSON.stringify(
  {
    name: 'trust-hostile',
    model: { arch: 'mlp', inputDim: 4, hidden: [4], classes: 2 },
    task: { dataset: 'csv', options: { file: '../../../../../../../../etc/passwd', labelColumn: 'label' }, trainSize: 8, valSize: 4, testSize: 4 },
    adapter: { kind: 'symlora', rank: 1 },
    train: { epochs: 1, batchSize: 4 },
    sweep: { 'task.options.file': ['../../../../../../../../etc/passwd', '../../symlora-trust-no-such/data.csv'] },
  },
  null,
  2,
)}\n`;

const REFUSAL = /SymLoRA Lab does not start training in an untrusted workspace/;
/** Commands that start a trainer; `enablement: isWorkspaceTrusted` keeps them out of the palette. */
const RUN_COMMANDS = ['SymLoRA: Run Experiment', 'SymLoRA: Rerun', 'SymLoRA: Resume Run'];
/** Read-only commands under the same palette filter: they prove the filtered list was really shown. */
const READ_ONLY_COMMANDS = ['SymLoRA: Compare Runs', 'SymLoRA: Reveal Run Folder'];

/** Outside the workspace: where its settings try to send runs, and the program they try to run. */
const outside = mkdtempSync(join(tmpdir(), 'symlora-trust-outside-'));
const outsideRuns = join(outside, 'runs');
const evilNode = join(outside, 'evil-node.sh');
const evilRan = join(outside, 'evil-node-ran');

let session: VsCodeSession;
let sidebar: SymloraSidebar;
/** Every file in the workspace once the pre-existing run was made (path → size). */
let workspaceBefore: Record<string, number>;

before(async () => {
  // If the workspace's nodePath were ever used, this "node" leaves a mark (and then runs node).
  writeFileSync(evilNode, `#!/bin/sh\ntouch '${evilRan}'\nexec node "$@"\n`);
  chmodSync(evilNode, 0o755);
  expandSweep(parseExperiment(HOSTILE, 'hostile.symlora.json')); // the fixture itself must stay valid
  session = await VsCodeSession.start('trust', {
    workspaceTrust: true,
    // The banner would sit where the harness clicks to focus the workbench (on its Learn More link);
    // the status bar's Restricted Mode item says the same.
    settings: { 'security.workspace.trust.banner': 'never' },
    files: {
      'good.symlora.json': GOOD,
      'hostile.symlora.json': HOSTILE,
      '.vscode/settings.json': `${JSON.stringify({ 'symlora.runsDirectory': outsideRuns, 'symlora.nodePath': evilNode, 'symlora.backend': 'cpu' }, null, 2)}\n`,
    },
  });
  makePriorRun();
  workspaceBefore = filesUnder(session.workspace);
});

after(async () => {
  await session?.stop(session.scenariosPassed);
  rmSync(outside, { recursive: true, force: true });
});

/**
 * A cancelled run with a checkpoint in the workspace's default runs directory, written by the
 * trainer's own RunWriter: the Runs view offers Rerun and Resume Run for it.
 */
function makePriorRun(): void {
  const [spec] = expandSweep(parseExperiment(tinyExperiment({ name: 'trust-prior', kinds: ['symlora'] }), 'prior.symlora.json'));
  const writer = RunWriter.create(join(session.workspace, '.symlora', 'runs'), spec);
  writer.appendMetrics(
    [1, 2, 3, 4].map((step) => ({ kind: 'train' as const, step, epoch: 0, time: step / 10, loss: 1.4 - step / 10, lr: 0.01, samplesPerSec: 1000 })),
  );
  writer.writeFileAtomic('checkpoints/step-4/state.json', '{}\n');
  writer.finish('cancelled', { steps: 4, totalSteps: 16 });
}

/** Relative path → size of every file under `dir` (empty when it does not exist). */
function filesUnder(dir: string): Record<string, number> {
  const files: Record<string, number> = {};
  const walk = (current: string) => {
    for (const entry of existsSync(current) ? readdirSync(current, { withFileTypes: true }) : []) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = statSync(path).size;
    }
  };
  walk(dir);
  return files;
}

/**
 * Trainer processes started by this session's code-server: a process running dist/trainer.js
 * whose environment carries this session's private folders (code-server's children inherit it).
 */
function trainerProcesses(): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!argv.some((arg) => arg.endsWith(join('dist', 'trainer.js')))) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(session.root)) found.push({ pid: Number(name), argv });
    } catch {
      /* the process ended while we looked */
    }
  }
  return found;
}

/** The palette's rows for `filter`, once every one of `expected` is listed (they prove the list is complete). */
async function paletteRows(filter: string, expected: string[]): Promise<string[]> {
  const page = session.page;
  await page.keyboard.press('Escape');
  await page
    .locator('.monaco-workbench')
    .click({ position: { x: 700, y: 10 } })
    .catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: TIMEOUT.ui });
  await input.fill(`>${filter}`);
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  let labels: string[] = [];
  await waitFor(
    async () => {
      labels = await rows.evaluateAll((elements) => elements.map((row) => (row.getAttribute('aria-label') ?? '').trim()));
      if (expected.every((title) => labels.some((label) => label.startsWith(title)))) return true;
      // Opened before the extension's commands were known: the list does not update by itself.
      await input.fill('>');
      await input.fill(`>${filter}`);
      return false;
    },
    TIMEOUT.ui,
    `palette rows for "${filter}" to include ${expected.join(', ')}`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; rows were ${JSON.stringify(labels)}`);
  });
  await page.keyboard.press('Escape');
  return labels;
}

/** Clicks the first (run) CodeLens of the active experiment editor, which must read `title`. */
async function clickRunLens(title: RegExp): Promise<void> {
  const lens = session.page.locator('.codelens-decoration a', { hasText: title }).first();
  await lens.waitFor({ timeout: TIMEOUT.ui });
  await lens.click();
}

async function clearNotifications(): Promise<void> {
  await session.workbench.runCommand('Notifications: Clear All Notifications');
  await waitFor(async () => (await session.page.locator('.notifications-toasts .notification-toast').count()) === 0, TIMEOUT.ui, 'no notification toasts');
}

/** Right-clicks `target` and returns its context menu's items as "label" or "label (disabled)". */
async function contextMenuItems(target: Locator): Promise<string[]> {
  await target.click({ button: 'right' });
  const menu = session.page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ timeout: TIMEOUT.ui });
  const items = await menu.locator('.action-item').evaluateAll((elements) =>
    elements
      .map((item) => {
        const label = (item.querySelector('.action-label')?.textContent ?? '').trim();
        return label && `${label}${item.classList.contains('disabled') ? ' (disabled)' : ''}`;
      })
      .filter(Boolean),
  );
  await session.page.keyboard.press('Escape');
  return items;
}

function assertNothingWritten(): void {
  assert.deepEqual(filesUnder(session.workspace), workspaceBefore, 'the workspace (and its .symlora/runs) is unchanged');
  assert.ok(!existsSync(outsideRuns), `no runs directory outside the workspace: ${outsideRuns}`);
  assert.ok(!existsSync(evilRan), 'the workspace nodePath program never ran');
}

test('scenario 7: an untrusted workspace starts no trainer and writes nothing, but shows its runs', { timeout: 180_000 }, async () => {
  await session.scenario('7-untrusted', async () => {
    const wb = session.workbench;
    const page = session.page;
    // Really untrusted: the workbench's Restricted Mode indicator.
    await page.locator('#status\\.workspaceTrust', { hasText: 'Restricted Mode' }).waitFor({ timeout: TIMEOUT.ui });
    assert.deepEqual(trainerProcesses(), [], 'no trainer before anything was tried');

    // Read-only features work: the pre-existing run is listed (from the workspace's default runs
    // directory: the restricted runsDirectory setting is not applied) and the dashboard shows it.
    sidebar = await wb.openSymloraLab();
    await sidebar.waitForRows((r) => r.some((row) => row.label === 'trust-prior') && r.some((row) => /: cancelled,/.test(row.aria)), 'the pre-existing run');
    const dashboard = await wb.webviewWith(/trust-prior/).find(TIMEOUT.training);
    await dashboard.locator('vscode-checkbox[data-run-id^="trust-prior-symlora"]').waitFor({ timeout: TIMEOUT.ui });
    // Its context menu shows Rerun and Resume Run, both disabled.
    const runRow = page
      .locator('.pane', { has: sidebar.runsHeader })
      .locator('.monaco-list-row', { hasText: /symlora r2/ })
      .first();
    const runMenu = await contextMenuItems(runRow);
    for (const item of ['Rerun (disabled)', 'Resume Run (disabled)']) assert.ok(runMenu.includes(item), `run menu has ${item}: ${runMenu.join(' | ')}`);

    // The run commands are not offered in the palette; the read-only ones under the same filter are.
    const rows = await paletteRows('SymLoRA: R', READ_ONLY_COMMANDS);
    for (const title of RUN_COMMANDS) assert.ok(!rows.some((label) => label.startsWith(title)), `${title} is not offered: ${rows.join(' | ')}`);

    // The CodeLens says why and, clicked anyway, refuses with the reason (for both files).
    await wb.openFile('good.symlora.json');
    await clickRunLens(/Run \(trust this workspace to run\)/);
    await wb.notification(REFUSAL).waitFor({ timeout: TIMEOUT.ui });
    assert.equal(await page.locator('.editor-actions [aria-label^="Run Experiment"]').count(), 0, 'no Run button in the editor title');
    await clearNotifications();
    await wb.openFile('hostile.symlora.json');
    await clickRunLens(/Run sweep \(2 runs\) \(trust this workspace to run\)/);
    await wb.notification(REFUSAL).waitFor({ timeout: TIMEOUT.ui });
    await clearNotifications();

    // The Explorer's context menu shows Run Experiment disabled.
    await wb.runCommand('View: Show Explorer');
    const explorerRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hostile.symlora.json' }).first();
    const explorerMenu = await contextMenuItems(explorerRow);
    assert.ok(explorerMenu.includes('Run Experiment (disabled)'), `explorer menu: ${explorerMenu.join(' | ')}`);

    assert.deepEqual(trainerProcesses(), [], 'no trainer process after every attempt');
    assertNothingWritten();
  });
});

test('scenario 8: once trusted, a run writes only inside the runs directory its settings name', { timeout: 240_000 }, async () => {
  await session.scenario('8-trusted', async () => {
    const wb = session.workbench;
    const page = session.page;
    // good.symlora.json stays in view (a group of its own) while trust is granted from the Restricted
    // Mode indicator's Workspace Trust editor, which opens in the other group.
    await wb.editorTab('good.symlora.json').click();
    await wb.runCommand('View: Split Editor Right');
    await page.locator('#status\\.workspaceTrust').click();
    await page.locator('.workspace-trust-editor .workspace-trust-buttons .monaco-button', { hasText: /^Trust$/ }).click();
    await page.locator('#status\\.workspaceTrust').waitFor({ state: 'detached', timeout: TIMEOUT.ui });
    // Its CodeLens offers the run without being reopened.
    const lenses = page.locator('.codelens-decoration a');
    const lensTexts = () => lenses.evaluateAll((anchors) => anchors.map((a) => (a.textContent ?? '').trim()));
    let texts: string[] = [];
    await waitFor(
      async () => (texts = await lensTexts()).some((text) => /(^|\s)Run$/.test(text)) && !texts.some((text) => text.includes('trust')),
      TIMEOUT.ui,
      'the visible CodeLens to offer the run',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the lenses read ${JSON.stringify(texts)}`);
    });
    await wb.runCommand('View: Close Editor');

    // The restricted runsDirectory now applies: the Runs view follows it (nothing there yet).
    await wb.openSymloraLab();
    await sidebar.welcomeText().filter({ hasText: 'No runs yet' }).waitFor({ timeout: TIMEOUT.ui });

    // The editor title and the palette offer running now.
    await wb.editorTab('good.symlora.json').click();
    await page.locator('.editor-actions [aria-label^="Run Experiment"]').first().waitFor({ timeout: TIMEOUT.ui });
    await paletteRows('SymLoRA: R', [...READ_ONLY_COMMANDS, ...RUN_COMMANDS]);
    await wb.runCommand('SymLoRA: Run Experiment');
    let trainersSeen: { pid: number; argv: string[] }[] = [];
    const goodRun = () => (existsSync(outsideRuns) ? readdirSync(outsideRuns).find((name) => name.startsWith('trust-good')) : undefined);
    await waitFor(
      () => {
        const live = trainerProcesses();
        if (live.length) trainersSeen = live;
        const name = goodRun();
        return !!name && existsSync(join(outsideRuns, name, 'run.json')) && readRunRecord(join(outsideRuns, name)).status === 'completed';
      },
      TIMEOUT.training,
      `the good run to complete in ${outsideRuns}`,
    );
    // Seen while it ran (this is what makes the untrusted "no trainer" checks able to fail).
    assert.equal(trainersSeen.length, 1, 'one trainer process was seen running');
    assert.ok(!trainersSeen[0].argv.includes(evilNode), `the trainer ran on VS Code's runtime: ${trainersSeen[0].argv.join(' ')}`);
    const record = readRunRecord(join(outsideRuns, goodRun()!));
    assert.equal(record.backend, 'cpu', 'the restricted backend setting applies once trusted');
    await sidebar.waitForRows(
      (r) => r.some((row) => row.label === 'trust-good') && r.some((row) => /: completed,/.test(row.aria)),
      'the good run in the Runs view',
    );

    // The hostile sweep runs and fails on its data; it writes nothing outside the runs directory.
    await wb.editorTab('hostile.symlora.json').click();
    await page
      .locator('.codelens-decoration a', { hasText: /Run sweep \(2 runs\)$/ })
      .first()
      .waitFor({ timeout: TIMEOUT.ui });
    await wb.runCommand('SymLoRA: Run Experiment');
    const hostileRuns = () => (existsSync(outsideRuns) ? readdirSync(outsideRuns).filter((name) => name.startsWith('trust-hostile')) : []);
    await waitFor(
      () =>
        hostileRuns().length === 2 &&
        hostileRuns().every((name) => existsSync(join(outsideRuns, name, 'run.json')) && readRunRecord(join(outsideRuns, name)).status === 'failed'),
      TIMEOUT.training,
      'both hostile runs to fail',
    );
    const errorFor = (file: string) =>
      hostileRuns()
        .map((name) => readRunRecord(join(outsideRuns, name)))
        .find((r) => r.spec.sweepPoint['task.options.file'] === file)?.error ?? '';
    assert.match(errorFor('../../../../../../../../etc/passwd'), /^\/etc\/passwd:1 .*label column "label" not found/);
    assert.match(errorFor('../../symlora-trust-no-such/data.csv'), /file not found \(task\.options\.file = "\.\.\/\.\.\/symlora-trust-no-such\/data\.csv"\)/);
    await waitFor(() => trainerProcesses().length === 0, TIMEOUT.ui, 'every trainer to exit');

    // Files: the workspace is untouched, outside it only the runs directory and our own script.
    assert.deepEqual(filesUnder(session.workspace), workspaceBefore, 'the workspace is unchanged');
    const outsideFiles = Object.keys(filesUnder(outside));
    const stray = outsideFiles.filter((path) => path !== 'evil-node.sh' && !path.startsWith('runs/'));
    assert.deepEqual(stray, [], `files outside the runs directory: ${stray.join(', ')}`);
    assert.ok(!existsSync(evilRan), 'the machine-scoped nodePath from the workspace was ignored');
  });
});
