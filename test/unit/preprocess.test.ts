import { describe, expect, it } from 'vitest';
import { normalize, standardize, restorePreprocess } from '../../lib/preprocess.js';

describe('standardize', () => {
  it('maps training features to mean 0 and std 1', () => {
    const x = Float32Array.of(1, 10, 3, 20, 5, 30);
    const s = standardize(x, 2);
    expect(Array.from(s.shift)).toEqual([3, 20]);
    const y = s.apply(x);
    for (const j of [0, 1]) {
      const col = [y[j], y[2 + j], y[4 + j]];
      expect(col.reduce((a, b) => a + b) / 3).toBeCloseTo(0, 6);
      expect(Math.sqrt(col.reduce((a, b) => a + b * b, 0) / 3)).toBeCloseTo(1, 6);
    }
  });

  it('is stable with a large offset (Welford)', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => 1e4 + (i % 2));
    const s = standardize(x, 1);
    expect(s.shift[0]).toBeCloseTo(10000.5, 3);
    expect(s.scale[0]).toBeCloseTo(0.5, 5);
  });

  it('maps a constant feature to 0, not NaN', () => {
    const s = standardize(Float32Array.of(7, 1, 7, 2), 2);
    expect(Array.from(s.apply(Float32Array.of(7, 1)))[0]).toBe(0);
  });

  it('applies the training statistics to other data, as a copy', () => {
    const s = standardize(Float32Array.of(0, 2), 1);
    const other = Float32Array.of(4);
    expect(Array.from(s.apply(other))).toEqual([3]);
    expect(other[0]).toBe(4);
  });

  it('rejects data that is not rows of the given width', () => {
    expect(() => standardize(new Float32Array(5), 2)).toThrow(/standardize\(x\): expected a non-empty multiple of 2 values, received Float32Array\(5\)/);
    expect(() => standardize([1, 2] as never, 2)).toThrow(TypeError);
    expect(() => standardize(Float32Array.of(1, 2), 2).apply(new Float32Array(3))).toThrow(/expected a multiple of 2 values/);
  });
});

describe('normalize', () => {
  it('scales training features to [0, 1]', () => {
    const n = normalize(Float32Array.of(-1, 5, 3, 5, 1, 5), 2);
    expect(Array.from(n.apply(Float32Array.of(-1, 5, 3, 5)))).toEqual([0, 0, 1, 0]);
  });
});

describe('restorePreprocess', () => {
  it('rejects unknown kinds, zero scales and non-finite values', () => {
    expect(() => restorePreprocess('whiten', Float32Array.of(0), Float32Array.of(1))).toThrow(/unknown preprocessing "whiten"/);
    expect(() => restorePreprocess('standardize', Float32Array.of(0), Float32Array.of(0))).toThrow(/feature 0 has shift 0 and scale 0/);
    expect(() => restorePreprocess('normalize', Float32Array.of(NaN), Float32Array.of(1))).toThrow(RangeError);
  });
});
