// The seeded PRNG and the stratified split machinery every loader relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRng, stratifiedSplit, fitSizes, takeRows, classCounts } from '../../src/core/data/split';

test('the split generator is deterministic, seed-dependent and roughly uniform', () => {
  const a = splitRng(42);
  const b = splitRng(42);
  const c = splitRng(43);
  const xs = Array.from({ length: 10000 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 10000 }, () => b.next()),
    xs,
  );
  assert.notEqual(c.next(), xs[0]);
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
});

test('stratified splits are disjoint, sized, class-balanced and reproducible', () => {
  // 3 classes of unequal size: 500, 300, 200.
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i < 800 ? 1 : 2));
  const sizes = { train: 500, val: 100, test: 200 };
  const s = stratifiedSplit(labels, sizes, 1);
  assert.equal(s.train.length, 500);
  assert.equal(s.val.length, 100);
  assert.equal(s.test.length, 200);
  const all = [...s.train, ...s.val, ...s.test];
  assert.equal(new Set(all).size, all.length, 'no index in two splits');
  const testCounts = [0, 0, 0];
  for (const i of s.test) testCounts[labels[i]]++;
  assert.deepEqual(testCounts, [100, 60, 40], 'test split keeps the class proportions');
  assert.deepEqual(stratifiedSplit(labels, sizes, 1), s);
  const other = stratifiedSplit(labels, sizes, 2);
  assert.notDeepEqual(other.test, s.test);
  // Classes are interleaved, not in blocks.
  assert.ok(new Set(s.train.slice(0, 20).map((i) => labels[i])).size > 1);
});

test('fitSizes keeps requests that fit, shrinks proportionally, and refuses empty splits', () => {
  assert.deepEqual(fitSizes({ train: 10, val: 5, test: 5 }, 100, 'x'), { train: 10, val: 5, test: 5 });
  assert.deepEqual(fitSizes({ train: 100, val: 50, test: 50 }, 101, 'x'), { train: 51, val: 25, test: 25 });
  assert.deepEqual(fitSizes({ train: 10, val: 0, test: 5 }, 6, 'x'), { train: 4, val: 0, test: 2 });
  assert.throws(() => fitSizes({ train: 1000, val: 1, test: 1 }, 50, 'tiny'), /tiny has only 50 examples, too few for valSize=1/);
});

test('takeRows copies rows, labels, text and applies the scale', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const split = takeRows(x, 2, [0, 1, 2], [2, 0], ['a', 'b', 'c'], 0.5);
  assert.deepEqual(split.x, Float32Array.from([2.5, 3, 0.5, 1]));
  assert.deepEqual(split.y, Int32Array.from([2, 0]));
  assert.deepEqual(split.text, ['c', 'a']);
  assert.deepEqual(classCounts(split.y, 3), [1, 0, 1]);
});
