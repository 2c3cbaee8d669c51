import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMnist, splitData } from '../../lib/datasets/mnist.js';
import { VERSION } from '../../lib/version.js';

describe('bundled MNIST', () => {
  const data = loadMnist();

  it('holds the 10,000 digits of the mnist package, 784 pixels in [0, 1] each', () => {
    expect(data.n).toBe(10_000);
    expect(data.x.length).toBe(10_000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
  });

  it('has every class 0-9 with a plausible share', () => {
    const counts = new Array(10).fill(0);
    for (const label of data.y) counts[label]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('splits 70/15/15 into disjoint sets, the same for the same seed', () => {
    const a = splitData(data, 784, 42);
    expect([a.train.n, a.validation.n, a.test.n]).toEqual([7000, 1500, 1500]);
    const b = splitData(data, 784, 42);
    expect(b.test.x).toEqual(a.test.x);
    const c = splitData(data, 784, 43);
    expect(c.test.y).not.toEqual(a.test.y);
    // Disjoint: no test image appears in the training set.
    const key = (x: Float32Array, r: number) => Buffer.from(x.buffer, x.byteOffset + r * 784 * 4, 784 * 4).toString('base64');
    const trainKeys = new Set(Array.from({ length: a.train.n }, (_, r) => key(a.train.x, r)));
    const testKeys = Array.from({ length: a.test.n }, (_, r) => key(a.test.x, r));
    const overlap = testKeys.filter((k) => trainKeys.has(k)).length;
    expect(overlap).toBeLessThan(5); // the package itself may hold a few exact duplicates
  });
});

describe('package', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
