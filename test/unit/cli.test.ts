import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { RunWriter } from '../../src/core/runs/writer';
import { readRunRecord } from '../../src/core/runs/reader';
import { testSpec } from '../fixtures/trainers/spec';
import { bundledCli, bundledFixture } from '../fixtures/trainers/bundle';

const ROOT = resolve(__dirname, '..', '..');
const tempDir = () => mkdtempSync(join(tmpdir(), 'symlora-cli-'));

/** The CLI from the current source (bundled once), in `cwd`, with extra environment. */
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [bundledCli(), ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SMALL_EXPERIMENT = {
  name: 'cli-small',
  model: { arch: 'mlp', inputDim: 16, hidden: [16], classes: 4 },
  task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize: 128, testSize: 64 },
  adapter: { kind: 'symlora', rank: 2, targets: ['hidden.*'] },
  train: { epochs: 1, batchSize: 32, lr: 0.01 },
  seed: 0,
  sweep: { 'adapter.kind': ['lora', 'symlora'] },
};

function writeExperiment(dir: string, value: unknown, name = 'exp.symlora.json'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

test('--help and --version; unknown commands and missing commands are usage errors', () => {
  const dir = tempDir();
  const help = cli(['--help'], dir);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /symlora run FILE/);
  assert.match(help.stdout, /symlora list/);
  const version = cli(['--version'], dir);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const unknown = cli(['frobnicate'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const report = cli(['report'], dir);
  if (!existsSync(join(ROOT, 'src', 'cli', 'commands', 'report.ts'))) {
    assert.equal(report.code, 2);
    assert.match(report.stderr, /symlora report: not available/);
  }
});

test('a bad experiment file exits 2 naming the file and the JSON path, before any folder is made', () => {
  const dir = tempDir();
  const file = writeExperiment(dir, { ...SMALL_EXPERIMENT, adapter: { ...SMALL_EXPERIMENT.adapter, rank: 'four' } });
  const result = cli(['run', file], dir);
  assert.equal(result.code, 2, result.stderr);
  assert.ok(result.stderr.includes(file), result.stderr);
  assert.match(result.stderr, /\/adapter\/rank/);
  assert.equal(existsSync(join(dir, '.symlora')), false, 'no runs dir created');
  const syntax = writeExperiment(dir, '{ "name": "x", ', 'broken.symlora.json');
  const broken = cli(['run', syntax, '--runs-dir', join(dir, 'runs')], dir);
  assert.equal(broken.code, 2);
  assert.ok(broken.stderr.includes(syntax));
  assert.equal(existsSync(join(dir, 'runs')), false);
  const missing = cli(['run', join(dir, 'nope.symlora.json')], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.symlora\.json.*cannot read the file/);
});

test('bad options are usage errors that say which option', () => {
  const dir = tempDir();
  const file = writeExperiment(dir, SMALL_EXPERIMENT);
  for (const [args, pattern] of [
    [['run', file, '--parallel', '0'], /--parallel expects a whole number ≥ 1, got "0"/],
    [['run', file, '--backend', 'gpu'], /--backend expects one of auto, tensorflow, wasm, cpu, got "gpu"/],
    [['run'], /missing the experiment FILE/],
    [['run', file, '--frobnicate'], /Unknown option '--frobnicate'/],
  ] as const) {
    const result = cli([...args], dir);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
  assert.equal(existsSync(join(dir, '.symlora')), false);
});

test('list --json reports every run, including an unreadable one, and list prints a table', () => {
  const dir = tempDir();
  const runsDir = join(dir, 'runs');
  const done = RunWriter.create(runsDir, testSpec({ kind: 'lora', rank: 2 }));
  done.update({ backend: 'wasm', params: { trainable: 1674, adapter: 1674, base: 9000, layers: [], skipped: [] } });
  done.finish('completed', { summary: { final: { valAccuracy: 0.8, testAccuracy: 0.79 }, best: { valAccuracy: 0.81 } } });
  mkdirSync(join(runsDir, 'garbage'));
  writeFileSync(join(runsDir, 'garbage', 'run.json'), 'not json');
  const json = cli(['list', '--runs-dir', runsDir, '--json'], dir);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.runsDir, runsDir);
  const byId = Object.fromEntries(parsed.runs.map((run: { id: string }) => [run.id, run]));
  assert.equal(byId[done.id].status, 'completed');
  assert.equal(byId[done.id].trainableParams, 1674);
  assert.equal(byId[done.id].summary.best.valAccuracy, 0.81);
  assert.equal(byId.garbage.status, 'unreadable');
  assert.match(byId.garbage.error, /not valid JSON/);
  const text = cli(['list', '--runs-dir', runsDir], dir);
  assert.equal(text.code, 0);
  assert.match(text.stdout, new RegExp(`${done.id}\\s+completed\\s+store-test\\s+lora\\s+2\\s+0\\s+1,674\\s+0\\.8100\\s+0\\.7900`));
  assert.match(text.stderr, /garbage: .*not valid JSON/);
  assert.match(cli(['list', '--runs-dir', join(dir, 'empty')], dir).stdout, /no runs in/);
});

test('run reports a crashed trainer with its stderr tail, and exits 1', () => {
  const dir = tempDir();
  const file = writeExperiment(dir, SMALL_EXPERIMENT);
  const result = cli(['run', file, '--json', '--runs-dir', join(dir, 'runs')], dir, {
    SYMLORA_TRAINER_PATH: bundledFixture('fake-trainer'),
    SYMLORA_FAKE: JSON.stringify({ steps: 5, mode: 'exit3', crashAt: 2 }),
  });
  assert.equal(result.code, 1, result.stderr);
  const { runs } = JSON.parse(result.stdout);
  assert.equal(runs.length, 2);
  for (const run of runs) {
    assert.equal(run.status, 'crashed');
    assert.match(run.error, /boom: simulated crash at step 2/);
    assert.equal(readRunRecord(run.dir).status, 'crashed');
  }
  assert.deepEqual(
    runs.map((run: { adapterKind: string }) => run.adapterKind),
    ['lora', 'symlora'],
  );
});

test('Ctrl-C stops every run gracefully: runs end cancelled, exit code 130', async () => {
  const dir = tempDir();
  const file = writeExperiment(dir, SMALL_EXPERIMENT);
  const child = spawn(process.execPath, [bundledCli(), 'run', file, '--parallel', '1', '--runs-dir', join(dir, 'runs')], {
    cwd: dir,
    env: { ...process.env, SYMLORA_TRAINER_PATH: bundledFixture('fake-trainer'), SYMLORA_FAKE: JSON.stringify({ steps: 1_000_000, stepMs: 5 }) },
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // Interrupt once the first trainer is really training (it has written its run.json).
  const runsDir = join(dir, 'runs');
  const training = () => existsSync(runsDir) && readdirSync(runsDir).some((name) => existsSync(join(runsDir, name, 'metrics.jsonl')));
  while (!training() && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopping all runs/);
  assert.match(stdout, /cancelled/);
  const dirs = readdirSync(join(dir, 'runs'));
  assert.equal(dirs.length, 1, 'the second run never started, and its reserved folder was removed');
  assert.equal(readRunRecord(join(dir, 'runs', dirs[0])).status, 'cancelled');
});

const DIST_CLI = join(ROOT, 'dist', 'cli.js');
const DIST_TRAINER = join(ROOT, 'dist', 'trainer.js');
const distMissing = !existsSync(DIST_CLI) || !existsSync(DIST_TRAINER) ? 'dist/cli.js or dist/trainer.js is missing: run `npm run build` first' : false;

test('end to end: bin/symlora.js runs a sweep with the real trainer and writes complete run directories', { skip: distMissing }, () => {
  const dir = tempDir();
  const file = writeExperiment(dir, SMALL_EXPERIMENT);
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'symlora.js'), 'run', file, '--json', '--backend', 'cpu'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const { runs } = JSON.parse(result.stdout);
  assert.deepEqual(
    runs.map((run: { adapterKind: string }) => run.adapterKind),
    ['lora', 'symlora'],
  );
  for (const run of runs) {
    assert.equal(run.status, 'completed');
    assert.equal(run.backend, 'cpu');
    assert.equal(run.dir, join(dir, '.symlora', 'runs', run.id));
    assert.ok(run.trainableParams > 0);
    assert.ok(run.final.valAccuracy >= 0 && run.final.valAccuracy <= 1);
    assert.ok(run.best.valAccuracy >= run.final.valAccuracy);
    assert.ok(run.wallTimeSec > 0);
    for (const name of ['run.json', 'metrics.jsonl', 'spectra.jsonl', 'adapter.safetensors', 'adapter_config.json', 'stderr.log']) {
      assert.ok(existsSync(join(run.dir, name)), `${run.id}/${name}`);
    }
    assert.equal(readRunRecord(run.dir).status, 'completed');
  }
  // LoRA 2nr vs SymLoRA nr + r on the one 16×16 hidden layer, rank 2.
  assert.equal(runs[0].trainableParams - runs[1].trainableParams, 2 * 16 * 2 - (16 * 2 + 2));
  const listed = spawnSync(process.execPath, [DIST_CLI, 'list', '--json'], { cwd: dir, encoding: 'utf8' });
  assert.deepEqual(
    JSON.parse(listed.stdout)
      .runs.map((run: { id: string }) => run.id)
      .sort(),
    runs.map((run: { id: string }) => run.id).sort(),
  );
});
