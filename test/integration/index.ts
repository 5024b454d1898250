/**
 * Extension-host integration tests: run inside code-server's real extension host (loaded with
 * extensionDevelopmentPath + extensionTestsPath by test/e2e/integration.test.ts), against the
 * real `vscode` API. No mocha: run() executes each check and throws on the first failure.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SymloraApi } from '../../src/extension/extension';

const EXTENSION_ID = 'symlora-lab.symlora-lab';

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const checks: [string, (api: SymloraApi, root: string) => Promise<void>][] = [
  [
    'every contributed command is registered',
    async () => {
      const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(
        contributed.filter((id) => !registered.has(id)),
        [],
      );
    },
  ],
  [
    'activation is measured and the runs directory is inside the workspace',
    async (api, root) => {
      assert.ok(Number.isFinite(api.activationMs) && api.activationMs >= 0);
      assert.equal(api.runsDir(), join(root, '.symlora', 'runs'));
    },
  ],
  [
    'a broken experiment gets a located diagnostic from the shared validator',
    async (_api, root) => {
      const file = join(root, 'broken.symlora.json');
      writeFileSync(
        file,
        '{\n  "name": "b",\n  "model": { "arch": "mlp", "inputDim": 4, "hidden": [4], "classes": 2 },\n  "task": { "dataset": "teacher", "shift": { "rank": 1, "kind": "symmetric" } },\n  "adapter": { "kind": "lora", "rank": 0 }\n}\n',
      );
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(uri);
      const diagnostics = await until('symlora diagnostics', () => {
        const found = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'symlora');
        return found.length ? found : undefined;
      });
      assert.match(diagnostics[0].message, /\/adapter\/rank/);
      assert.equal(diagnostics[0].range.start.line, 4);
    },
  ],
  [
    'the CodeLens shows the sweep size and exact parameter counts',
    async (_api, root) => {
      const uri = vscode.Uri.file(join(root, 'ok.symlora.json'));
      await vscode.window.showTextDocument(uri);
      const lenses = await until('code lenses', async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
        return found?.some((l) => l.command?.title.includes('Run sweep')) ? found : undefined;
      });
      const titles = lenses.map((l) => l.command?.title ?? '');
      assert.ok(
        titles.some((t) => t.includes('Run sweep (2 runs)')),
        titles.join(' | '),
      );
      // Two 4×4 hidden layers (the input is 4 wide), rank 1: LoRA 2·1·(4+4) = 16, SymLoRA 2·(4·1+1) = 10 (head frozen).
      assert.ok(
        titles.some((t) => t.startsWith('lora r1: 16 trainable')),
        titles.join(' | '),
      );
      assert.ok(
        titles.some((t) => t.startsWith('symlora r1: 10 trainable')),
        titles.join(' | '),
      );
    },
  ],
  [
    'Run Experiment trains both runs of the sweep to completion',
    async (api, root) => {
      await vscode.commands.executeCommand('symlora.runExperiment', vscode.Uri.file(join(root, 'ok.symlora.json')));
      const manager = await until('the run manager', () => api.manager());
      await until('two runs', () => manager.all().length === 2);
      await manager.whenIdle();
      assert.deepEqual(
        manager.all().map((r) => r.status),
        ['completed', 'completed'],
      );
      const rows = await until(
        'rows on disk',
        () => {
          const done = api.rows().filter((r) => r.experiment === 'ok' && r.status === 'completed');
          return done.length === 2 ? done : undefined;
        },
        10_000,
      );
      assert.ok(rows.every((r) => r.hasAdapter));
    },
  ],
];

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<SymloraApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  const api = await extension.activate();
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      await check(api, root);
      console.log(`ok - ${name}`);
    } catch (error) {
      failed++;
      console.error(`not ok - ${name}: ${(error as Error).stack ?? error}`);
    }
  }
  if (failed) throw new Error(`${failed} of ${checks.length} integration checks failed`);
}
