import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { acquireLock, tryAcquireLock, withLock } from '../../src/core/runs/lock';
import { bundledFixture } from '../fixtures/trainers/bundle';

const run = promisify(execFile);
const tempDir = () => mkdtempSync(join(tmpdir(), 'symlora-lock-'));

test('two processes taking the same lock never overlap', async () => {
  const dir = tempDir();
  const lock = join(dir, 'base.lock');
  const log = join(dir, 'log.txt');
  const worker = bundledFixture('lock-worker');
  await Promise.all([run(process.execPath, [worker, lock, log, '8']), run(process.execPath, [worker, lock, log, '8'])]);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, 32);
  for (let i = 0; i < lines.length; i += 2) {
    const [enter, leave] = [lines[i].split(' '), lines[i + 1].split(' ')];
    assert.equal(enter[0], 'enter');
    assert.equal(leave[0], 'leave');
    assert.equal(enter[1], leave[1], `line ${i + 1}: the holder left before another entered`);
  }
  assert.equal(new Set(lines.map((line) => line.split(' ')[1])).size, 2, 'both processes got the lock');
  assert.equal(existsSync(lock), false, 'released at the end');
});

test('a lock whose owner died on this host is stale and gets taken', async () => {
  const dir = tempDir();
  const lock = join(dir, 'base.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const deadPid = Number(dead.stdout.toString());
  writeFileSync(lock, JSON.stringify({ pid: deadPid, host: hostname(), time: new Date().toISOString(), token: 'old' }));
  const result = await withLock(lock, () => JSON.parse(readFileSync(lock, 'utf8')).pid, { timeoutMs: 2000 });
  assert.equal(result, process.pid);
});

test('a live lock is respected, and waiting times out with a message naming the holder', async () => {
  const dir = tempDir();
  const lock = join(dir, 'base.lock');
  const held = tryAcquireLock(lock)!;
  assert.ok(held);
  assert.equal(tryAcquireLock(lock), undefined);
  await assert.rejects(
    acquireLock(lock, { timeoutMs: 150, pollMs: 20 }),
    new RegExp(`timed out waiting for lock .*held by pid ${process.pid} on ${hostname()}`),
  );
  held.release();
  const again = tryAcquireLock(lock);
  assert.ok(again, 'free after release');
  again.release();
});

test('a lock from another host is only broken after staleMs', () => {
  const dir = tempDir();
  const lock = join(dir, 'base.lock');
  const old = new Date(Date.now() - 60_000).toISOString();
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'some-other-machine', time: old, token: 'x' }));
  assert.equal(tryAcquireLock(lock), undefined);
  const taken = tryAcquireLock(lock, { staleMs: 30_000 });
  assert.ok(taken);
  taken.release();
});

test('withLock releases the lock when fn throws', async () => {
  const lock = join(tempDir(), 'base.lock');
  await assert.rejects(
    withLock(lock, () => {
      throw new Error('build failed');
    }),
    /build failed/,
  );
  assert.equal(existsSync(lock), false);
});
