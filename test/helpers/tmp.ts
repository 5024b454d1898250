/** Scratch folders for a test file: one root per file, removed after its tests; a fresh subfolder per call. */
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratchDirs(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  test.after(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  return () => {
    const dir = join(root, `d${counter++}`);
    mkdirSync(dir);
    return dir;
  };
}
