// Bundles the extension host, the trainer process, the CLI and the webview scripts.
// Heavy runtime packages (TensorFlow.js and the data/model packages) stay external so that the
// optional tfjs-node backend and the wasm backend share one @tensorflow/tfjs-core instance, and
// so that data files are read from node_modules rather than inlined.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeExternals = [
  'vscode',
  '@tensorflow/*',
  'mnist',
  'sentiment',
  '@stdlib/*',
  '@energetic-ai/*',
];

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

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
