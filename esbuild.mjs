// Bundles the extension host, the trainer process, the CLI and the webview scripts.
// TensorFlow.js core and its wasm/cpu backends are bundled (ESM builds, so gradients and kernels
// share one copy); the .wasm binaries are copied next to the bundle. The optional tfjs-node
// backend stays external: tfjs keeps its engine and registries on the global object, so a
// separately loaded copy registers into the same engine. Data/model packages stay external so
// their files are read from node_modules rather than inlined.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { generateValidator } from './scripts/gen-validator.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeExternals = ['vscode', '@tensorflow/tfjs-node', 'mnist', 'sentiment', '@stdlib/*', '@energetic-ai/*'];

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const nodeEntries = [
  ['src/extension/extension.ts', 'dist/extension.js'],
  ['src/trainer/main.ts', 'dist/trainer.js'],
  ['src/cli/main.ts', 'dist/cli.js'],
].filter(([entry]) => existsSync(entry));

const webEntries = ['dashboard', 'compare', 'inspector']
  .map((name) => [`webview/${name}/main.ts`, `dist/webview/${name}.js`])
  .filter(([entry]) => existsSync(entry));

const builds = [
  ...nodeEntries.map(([entry, outfile]) => ({
    ...common,
    entryPoints: [entry],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: nodeExternals,
  })),
  ...webEntries.map(([entry, outfile]) => ({
    ...common,
    entryPoints: [entry],
    outfile,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  })),
];

function copyWasmBinaries() {
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  mkdirSync('dist', { recursive: true });
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, file), join('dist', file));
}
copyWasmBinaries();
generateValidator();

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
