// Initialisers: Keras's definitions, driven by one seeded Rng.
import { describe, expect, it } from 'vitest';
import { initialize, initializers, toInitializer, type InitializerSpec } from '../../lib/init.js';
import { Rng } from '../../lib/random.js';

function draw(spec: InitializerSpec, fanIn: number, fanOut: number, seed = 7): Float32Array {
  const out = new Float32Array(fanIn * fanOut);
  initialize(spec, out, fanIn, fanOut, new Rng(seed));
  return out;
}

function moments(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = sum / v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  return { mean, std: Math.sqrt(sq / v.length), min, max };
}

describe('variance-scaling initialisers', () => {
  const fanIn = 300;
  const fanOut = 200;
  const cases: [string, InitializerSpec, number][] = [
    ['glorotUniform', initializers.glorotUniform(), Math.sqrt(2 / (fanIn + fanOut))],
    ['glorotNormal', initializers.glorotNormal(), Math.sqrt(2 / (fanIn + fanOut))],
    ['heUniform (fanIn)', initializers.heUniform(), Math.sqrt(2 / fanIn)],
    ['heUniform (fanOut)', initializers.heUniform({ mode: 'fanOut' }), Math.sqrt(2 / fanOut)],
    ['heNormal (fanIn)', initializers.heNormal(), Math.sqrt(2 / fanIn)],
    ['heNormal (fanOut)', initializers.heNormal({ mode: 'fanOut' }), Math.sqrt(2 / fanOut)],
    ['lecunUniform', initializers.lecunUniform(), Math.sqrt(1 / fanIn)],
    ['lecunNormal', initializers.lecunNormal(), Math.sqrt(1 / fanIn)],
  ];
  for (const [name, spec, std] of cases) {
    it(`${name} has mean 0 and standard deviation ${std.toPrecision(3)} within 2%`, () => {
      const m = moments(draw(spec, fanIn, fanOut));
      expect(Math.abs(m.mean)).toBeLessThan(0.02 * std);
      expect(m.std / std).toBeGreaterThan(0.98);
      expect(m.std / std).toBeLessThan(1.02);
    });
  }

  it('uniform variants stay inside ±√3·σ', () => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const m = moments(draw(initializers.glorotUniform(), fanIn, fanOut));
    expect(m.max).toBeLessThanOrEqual(limit);
    expect(m.min).toBeGreaterThanOrEqual(-limit);
  });

  it('normal variants are truncated at two (rescaled) standard deviations', () => {
    const scale = Math.sqrt(2 / fanIn) / 0.8796256610342398;
    const m = moments(draw(initializers.heNormal(), fanIn, fanOut));
    expect(Math.max(m.max, -m.min)).toBeLessThanOrEqual(2 * scale + 1e-6);
  });
});

describe('other initialisers', () => {
  it('zeros, ones and constant fill with their value', () => {
    expect(draw(initializers.zeros(), 3, 4).every((v) => v === 0)).toBe(true);
    expect(draw(initializers.ones(), 3, 4).every((v) => v === 1)).toBe(true);
    expect(draw(initializers.constant(0.25), 3, 4).every((v) => v === 0.25)).toBe(true);
  });

  it('randomUniform stays in [min, max) with the uniform mean', () => {
    const m = moments(draw(initializers.randomUniform({ min: 1, max: 3 }), 100, 100));
    expect(m.min).toBeGreaterThanOrEqual(1);
    expect(m.max).toBeLessThan(3);
    expect(Math.abs(m.mean - 2)).toBeLessThan(0.02);
  });

  it('randomNormal has the requested mean and standard deviation', () => {
    const m = moments(draw(initializers.randomNormal({ mean: 0.5, stddev: 0.2 }), 100, 100));
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(m.std - 0.2)).toBeLessThan(0.005);
  });

  it('truncatedNormal never draws beyond two standard deviations', () => {
    const m = moments(draw(initializers.truncatedNormal({ mean: 1, stddev: 0.1 }), 100, 100));
    expect(m.min).toBeGreaterThanOrEqual(0.8 - 1e-6);
    expect(m.max).toBeLessThanOrEqual(1.2 + 1e-6);
  });

  for (const [rows, cols] of [[6, 4], [4, 6], [5, 5]]) {
    it(`orthogonal ${rows}×${cols}: the smaller Gram matrix is gain²·I`, () => {
      const gain = 1.5;
      const w = draw(initializers.orthogonal({ gain }), rows, cols);
      const n = Math.min(rows, cols);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let dot = 0;
          // Columns are orthogonal when the kernel is tall, rows when it is wide.
          for (let i = 0; i < Math.max(rows, cols); i++) {
            dot += rows >= cols ? w[i * cols + a] * w[i * cols + b] : w[a * cols + i] * w[b * cols + i];
          }
          expect(dot).toBeCloseTo(a === b ? gain * gain : 0, 5);
        }
      }
    });
  }

  it('the same seed gives the same weights; another seed different ones', () => {
    const a = draw(initializers.orthogonal(), 8, 8, 3);
    expect(draw(initializers.orthogonal(), 8, 8, 3)).toEqual(a);
    expect(draw(initializers.orthogonal(), 8, 8, 4)).not.toEqual(a);
  });

  it('orthogonal is refused for a bias vector', () => {
    expect(() => initialize(initializers.orthogonal(), new Float32Array(4), 4, 4, new Rng(1), true)).toThrow(/orthogonal.*bias/);
  });
});

describe('initializer options', () => {
  it('an unknown name is a RangeError listing the known ones', () => {
    expect(() => toInitializer('dense(options.kernelInitializer)', 'xavier')).toThrow(RangeError);
    expect(() => toInitializer('dense(options.kernelInitializer)', 'xavier')).toThrow(/dense\(options.kernelInitializer\): expected one of 'glorotUniform'.*received string "xavier"/);
  });

  it("'constant' by name is refused: it needs a value", () => {
    expect(() => toInitializer('x', 'constant')).toThrow(/initializers.constant\(value\)/);
  });

  it('a saved spec is re-validated', () => {
    expect(toInitializer('x', { kind: 'heNormal', mode: 'fanOut' })).toEqual({ kind: 'heNormal', mode: 'fanOut' });
    expect(() => toInitializer('x', { kind: 'heNormal', mode: 'sideways' })).toThrow(RangeError);
    expect(() => toInitializer('x', { kind: 'randomNormal', stddev: -1 })).toThrow(/stddev.*> 0/);
  });

  it('randomUniform needs max > min', () => {
    expect(() => initializers.randomUniform({ min: 1, max: 1 })).toThrow(/max.*> min/);
  });
});
