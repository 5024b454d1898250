/**
 * `symlora`: the headless CLI on the same engine as the extension (bundled to dist/cli.js; the
 * trainer it starts is dist/trainer.js next to it). Subcommands live in ./commands, each exporting
 * `run(args): Promise<number>` (the exit code), and are loaded only when used.
 */
import { version } from '../../package.json';
import { EXIT, UsageError } from './io';

const COMMANDS: Record<string, { summary: string; usage: string }> = {
  run: {
    summary: 'run an experiment file (all of its sweep), with progress and a results table',
    usage: 'symlora run FILE [--runs-dir DIR] [--parallel N] [--json] [--backend auto|tensorflow|wasm|cpu]',
  },
  list: { summary: 'list the runs in a runs directory', usage: 'symlora list [--runs-dir DIR] [--json]' },
  inspect: { summary: "show an adapter's per-layer spectra (eigenvalues, singular values, effective rank)", usage: 'symlora inspect RUN_DIR_OR_FILE [--json]' },
  export: { summary: "write a run's adapter as a PEFT LoRA adapter", usage: 'symlora export RUN_DIR --format peft --out DIR [--force]' },
  report: {
    summary: 'summarise and compare runs (mean ± 95% CI over seeds)',
    usage: 'symlora report [RUNS_DIR_OR_RUN_DIR...] [--markdown FILE] [--json] [--experiment NAME] [--metric NAME]',
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    `symlora ${version}: LoRA and SymLoRA experiments from the command line`,
    '',
    'usage: symlora COMMAND [options]',
    '',
    'commands:',
    ...lines,
    '',
    ...Object.values(COMMANDS).map(({ usage }) => `  ${usage}`),
    '',
    'Runs are written to .symlora/runs/<run-id>/ under the current directory unless --runs-dir says otherwise.',
    'Exit codes: 0 all runs completed, 1 a run failed/crashed/was cancelled, 2 bad usage or an invalid experiment file, 130 interrupted.',
    '',
  ].join('\n');
}

type CommandModule = { run(args: string[]): Promise<number> };

/** Loads ./commands/NAME lazily; a module that has not been written yet gives undefined. */
async function loadCommand(name: string): Promise<CommandModule | undefined> {
  try {
    // A template import: esbuild bundles whatever ./commands holds and throws for a missing name.
    const module = (await import(`./commands/${name}.ts`)) as Partial<CommandModule>;
    return typeof module.run === 'function' ? (module as CommandModule) : undefined;
  } catch (error) {
    if (isModuleMissing(error)) return undefined;
    throw error;
  }
}

function isModuleMissing(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string })?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Module not found in bundle|Cannot find module/.test(text);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`symlora: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return EXIT.ok;
  }
  const module = await loadCommand(name);
  if (!module) {
    process.stderr.write(`symlora ${name}: not available in this build yet\n`);
    return EXIT.usage;
  }
  try {
    return await module.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`symlora ${name}: ${error.message}\nusage: ${command.usage}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`symlora ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.runFailed;
  }
}

// Runs on load: bin/symlora.js requires this bundle, so `require.main === module` would be false.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
