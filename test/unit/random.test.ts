import { describe, expect, it } from 'vitest';
import { Rng, epochOrder } from '../../lib/random.js';

describe('Rng', () => {
  it('repeats its sequence for the same seed and stream', () => {
    const a = new Rng(42, 3);
    const b = new Rng(42, 3);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(seqA);
  });

  it('differs across seeds and across streams', () => {
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
    expect(new Rng(1, 0).nextUint32()).not.toBe(new Rng(1, 1).nextUint32());
  });

  it('nextFloat is uniform in [0, 1)', () => {
    const rng = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = rng.nextFloat();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it('nextInt covers [0, n) evenly', () => {
    const rng = new Rng(9);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.nextInt(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('nextNormal has mean 0 and variance 1', () => {
    const rng = new Rng(11);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = rng.nextNormal();
      s += v;
      s2 += v * v;
    }
    expect(s / 100_000).toBeCloseTo(0, 1);
    expect(s2 / 100_000).toBeCloseTo(1, 1);
  });
});

describe('epochOrder', () => {
  it('is a permutation of 0..n-1', () => {
    const order = epochOrder(1000, 5, 0, true);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is a pure function of (seed, epoch)', () => {
    expect(epochOrder(500, 5, 3, true)).toEqual(epochOrder(500, 5, 3, true));
    expect(epochOrder(500, 5, 3, true)).not.toEqual(epochOrder(500, 5, 4, true));
    expect(epochOrder(500, 5, 3, true)).not.toEqual(epochOrder(500, 6, 3, true));
  });

  it('is the identity without shuffle', () => {
    expect(Array.from(epochOrder(5, 1, 0, false))).toEqual([0, 1, 2, 3, 4]);
  });
});
