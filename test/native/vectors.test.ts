// The native vector operations of the second-order methods (addon vectorDot … spdInverse, and
// the native engine's `vectors`) against the TS reference jsVectors:
// - axpy, scale, addScaled: bitwise equal (both compute in double and round once to float);
// - dot, sumAbs: both sum exact float×float products in double, in different orders, so each
//   is within (n − 1)·2⁻⁵³·Σ|terms| of the exact sum (to first order) and they differ by at
//   most twice that; with integer-valued data every partial sum is exact and they are equal;
// - maxAbs: equal (exact), NaN when any element is NaN;
// - matmul: float GEMM vs a float64 product, |error| ≤ (k + 2)·2⁻²⁴·Σ|a·b| per element;
// - spdInverse: S·S⁻¹ ≈ I, close to jsVectors, exactly symmetric, false (out untouched) when
//   not positive definite;
// plus bit-identical results for DOWNHILL_THREADS 1..4 and across ISAs (child processes), the
// engine's fallbacks to jsVectors, and every argument error with its message.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon, type RawAddon } from '../../lib/engine/binding.js';
import type { VectorOps } from '../../lib/engine/engine.js';
import { nativeEngine } from '../../lib/engine/native.js';
import { jsVectors } from '../../lib/second-order/vectors.js';
import { rng } from '../helpers/rng.js';

const addon: RawAddon | undefined = loadAddon().addon;
const suite = addon ? describe : describe.skip;
const script = fileURLToPath(new URL('../fixtures/vectors-hash.mjs', import.meta.url));

const U = 2 ** -53;
const LENGTHS = [0, 1, 7, 8, 9, 63, 64, 65, 8191, 8192, 8193, 100_003];

/** Values with mixed signs and magnitudes 2⁻¹²..2¹², so rounding shows. */
function vector(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 2 ** Math.floor(r() * 25 - 12));
}

/** Index of the first element whose bits differ, or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A random symmetric positive definite n×n matrix: XᵀX/m + shift·I, X of m×n values in [-1, 1). */
function spd(n: number, seed: number, shift: number): Float32Array {
  const r = rng(seed);
  const m = n + 5;
  const x = Float64Array.from({ length: m * n }, () => r() * 2 - 1);
  const s = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let p = 0; p < m; p++) acc += x[p * n + i] * x[p * n + j];
      s[i * n + j] = s[j * n + i] = acc / m + (i === j ? shift : 0);
    }
  return s;
}

suite('native vector operations vs jsVectors', () => {
  const raw = addon!;
  const vec: VectorOps = nativeEngine(raw).vectors!;

  it('the native engine offers them', () => {
    expect(vec).toBeDefined();
    expect(Object.keys(vec).sort()).toEqual(Object.keys(jsVectors).sort());
  });

  it.each(LENGTHS)('axpy, scale, addScaled are bitwise jsVectors’ (n = %i)', (n) => {
    const x = vector(n, 1 + n);
    const d = vector(n, 2 + n);
    for (const alpha of [0.37, -1, 1e-3, -3.7e5, 0]) {
      const y0 = vector(n, 3 + n);
      const [y1, y2] = [y0.slice(), y0.slice()];
      raw.vectorAxpy(alpha, x, y1);
      jsVectors.axpy(alpha, x, y2);
      expect(firstDiff(y1, y2), `axpy α=${alpha}`).toBe(-1);

      const [s1, s2] = [x.slice(), x.slice()];
      raw.vectorScale(alpha, s1);
      jsVectors.scale(alpha, s2);
      expect(firstDiff(s1, s2), `scale α=${alpha}`).toBe(-1);

      const [o1, o2] = [new Float32Array(n), new Float32Array(n)];
      raw.vectorAddScaled(x, alpha, d, o1);
      jsVectors.addScaled(x, alpha, d, o2);
      expect(firstDiff(o1, o2), `addScaled t=${alpha}`).toBe(-1);
    }
  });

  it('elementwise outputs may be the input array itself', () => {
    const n = 100_003;
    const x = vector(n, 5);
    const [a, b] = [x.slice(), x.slice()];
    vec.axpy(0.5, a, a);
    jsVectors.axpy(0.5, b, b);
    expect(firstDiff(a, b)).toBe(-1);
    const d = vector(n, 6);
    const [c, e] = [x.slice(), x.slice()];
    vec.addScaled(c, -2, d, c);
    jsVectors.addScaled(e, -2, d, e);
    expect(firstDiff(c, e)).toBe(-1);
    const [f, g] = [x.slice(), x.slice()];
    vec.addScaled(x, 3, f, f);
    jsVectors.addScaled(x, 3, g, g);
    expect(firstDiff(f, g)).toBe(-1);
  });

  it.each(LENGTHS)('dot and sumAbs: within 2·(n − 1)·2⁻⁵³·Σ|terms| of jsVectors (n = %i)', (n) => {
    const a = vector(n, 10 + n);
    const b = vector(n, 20 + n);
    let mag = 0;
    let absSum = 0;
    for (let i = 0; i < n; i++) {
      mag += Math.abs(a[i] * b[i]);
      absSum += Math.abs(a[i]);
    }
    const bound = (s: number) => 2 * Math.max(n - 1, 0) * U * s * (1 + 1e-6);
    const dot = raw.vectorDot(a, b);
    expect(Math.abs(dot - jsVectors.dot(a, b))).toBeLessThanOrEqual(bound(mag));
    const sum = raw.vectorSumAbs(a);
    expect(Math.abs(sum - jsVectors.sumAbs(a))).toBeLessThanOrEqual(bound(absSum));
    // Positive terms (no cancellation): the same bound is relative, 2.2e-11 at n = 100 003.
    const pos = raw.vectorDot(a, a);
    expect(Math.abs(pos - jsVectors.dot(a, a))).toBeLessThanOrEqual(bound(pos));
  });

  it('dot and sumAbs: equal to jsVectors when every partial sum is exact (integer data)', () => {
    const n = 1_000_003;
    const r = rng(7);
    const a = Float32Array.from({ length: n }, () => Math.floor(r() * 2001) - 1000);
    const b = Float32Array.from({ length: n }, () => Math.floor(r() * 2001) - 1000);
    expect(raw.vectorDot(a, b)).toBe(jsVectors.dot(a, b));
    expect(raw.vectorSumAbs(a)).toBe(jsVectors.sumAbs(a));
    expect(raw.vectorDot(new Float32Array(0), new Float32Array(0))).toBe(0);
    expect(raw.vectorSumAbs(new Float32Array(0))).toBe(0);
  });

  it('maxAbs is exact; NaN anywhere gives NaN; Infinity and -0', () => {
    for (const n of LENGTHS) {
      const x = vector(n, 30 + n);
      expect(raw.vectorMaxAbs(x), `n=${n}`).toBe(jsVectors.maxAbs(x));
    }
    const n = 100_003;
    for (const at of [0, 1, 5, 10, 8191, 8192, 50_000, n - 1]) {
      const x = vector(n, 40);
      x[at] = Number.NaN;
      expect(raw.vectorMaxAbs(x), `NaN at ${at}`).toBeNaN();
      expect(raw.vectorSumAbs(x), `NaN at ${at}`).toBeNaN();
      x[at] = -Infinity;
      expect(raw.vectorMaxAbs(x)).toBe(Infinity);
      expect(raw.vectorSumAbs(x)).toBe(Infinity);
    }
    expect(Object.is(raw.vectorMaxAbs(new Float32Array([-0, -0])), 0)).toBe(true);
    expect(raw.vectorMaxAbs(new Float32Array(0))).toBe(0);
    expect(raw.vectorMaxAbs(new Float32Array([-3.5, 2]))).toBe(3.5);
  });

  it('copy: every length, bit for bit, NaN payloads and -0 included', () => {
    for (const n of LENGTHS) {
      const x = vector(n, 60 + n);
      if (n > 2) {
        new Uint32Array(x.buffer)[1] = 0x7fc01234; // a NaN with a payload
        x[2] = -0;
      }
      const out = new Float32Array(n + 2).fill(7).subarray(1, n + 1);
      vec.copy(x, out);
      expect(firstDiff(out, x)).toBe(-1);
      expect(out.buffer === x.buffer).toBe(false);
      expect(new Float32Array(out.buffer)[0]).toBe(7);
      expect(new Float32Array(out.buffer)[n + 1]).toBe(7);
    }
  });

  it('subarray views at odd offsets', () => {
    const base = vector(20_011, 50);
    const a = base.subarray(3, 10_003);
    const b = base.subarray(10_005, 20_005);
    let mag = 0;
    for (let i = 0; i < a.length; i++) mag += Math.abs(a[i] * b[i]);
    expect(Math.abs(raw.vectorDot(a, b) - jsVectors.dot(a, b))).toBeLessThanOrEqual(2 * a.length * U * mag);
    const y = new Float32Array(10_009).subarray(5, 10_005);
    y.set(b);
    const y2 = y.slice();
    raw.vectorAxpy(0.25, a, y);
    jsVectors.axpy(0.25, a, y2);
    expect(firstDiff(y, y2)).toBe(-1);
  });

  it('leaves the JS thread’s denormal mode alone', () => {
    raw.vectorAxpy(1, vector(100_003, 8), vector(100_003, 9));
    raw.spdInverse(spd(100, 1, 1), 100, 0, new Float32Array(100 * 100));
    expect(Number.MIN_VALUE > 0).toBe(true);
    expect(2.2250738585072014e-308 / 2 > 0).toBe(true);
  });
});

suite('native matmul', () => {
  const raw = addon!;
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [3, 5, 7], [17, 33, 9], [65, 31, 130], [7, 129, 257], [40, 3, 300],
  ];
  const cases = shapes.flatMap((s) => [[false, false], [true, false], [false, true], [true, true]].map(([ta, tb]) => [...s, ta, tb] as const));

  it.each(cases)('m=%i n=%i k=%i transA=%s transB=%s: within (k + 2)·2⁻²⁴·Σ|a·b| of the float64 product', (m, n, k, ta, tb) => {
    const a = vector(m * k, m * 7 + k);
    const b = vector(k * n, n * 13 + k);
    const c = new Float32Array(m * n).fill(Number.NaN);
    raw.matmul(ta, tb, m, n, k, a, b, c);
    const cj = new Float32Array(m * n);
    jsVectors.matmul(ta, tb, m, n, k, a, b, cj);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        let mag = 0;
        for (let p = 0; p < k; p++) {
          const x = (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
          sum += x;
          mag += Math.abs(x);
        }
        const tol = (k + 2) * 2 ** -24 * mag + 1e-30;
        expect(Math.abs(c[i * n + j] - sum), `c[${i}][${j}]`).toBeLessThanOrEqual(tol);
        expect(Math.abs(cj[i * n + j] - sum)).toBeLessThanOrEqual(tol);
      }
  });

  it('empty dimensions: nothing to do for m or n = 0, zeros for k = 0', () => {
    raw.matmul(false, false, 0, 3, 4, new Float32Array(0), new Float32Array(12), new Float32Array(0));
    raw.matmul(false, false, 3, 0, 4, new Float32Array(12), new Float32Array(0), new Float32Array(0));
    const c = new Float32Array(6).fill(Number.NaN);
    raw.matmul(true, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), c);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('K-FAC sized (785×785)·(785×256): random-vector check in float64', () => {
    const [m, n, k] = [785, 256, 785];
    const a = vector(m * k, 1);
    const b = vector(k * n, 2);
    const c = new Float32Array(m * n);
    raw.matmul(false, false, m, n, k, a, b, c);
    // |C·v − A·(B·v)| ≤ Σ_j |v_j|·(k + 2)·2⁻²⁴·Σ_p |a_ip·b_pj| = (k + 2)·2⁻²⁴·Σ_p |a_ip|·Σ_j |b_pj·v_j|.
    const v = Float64Array.from(vector(n, 3));
    const bv = new Float64Array(k);
    const bAbsV = new Float64Array(k);
    for (let p = 0; p < k; p++)
      for (let j = 0; j < n; j++) {
        bv[p] += b[p * n + j] * v[j];
        bAbsV[p] += Math.abs(b[p * n + j] * v[j]);
      }
    for (let i = 0; i < m; i++) {
      let want = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        want += a[i * k + p] * bv[p];
        mag += Math.abs(a[i * k + p]) * bAbsV[p];
      }
      let got = 0;
      for (let j = 0; j < n; j++) got += c[i * n + j] * v[j];
      expect(Math.abs(got - want), `row ${i}`).toBeLessThanOrEqual((k + 2) * 2 ** -24 * mag * (1 + 1e-9));
    }
  });
});

suite('native spdInverse', () => {
  const raw = addon!;

  it('S·S⁻¹ ≈ I for a random SPD 50×50; symmetric; close to jsVectors', () => {
    const n = 50;
    const s = spd(n, 11, 0.05);
    const damping = 1e-3;
    const out = new Float32Array(n * n);
    expect(raw.spdInverse(s, n, damping, out)).toBe(true);
    let maxInv = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        expect(out[i * n + j]).toBe(out[j * n + i]);
        maxInv = Math.max(maxInv, Math.abs(out[i * n + j]));
        let acc = 0;
        for (let p = 0; p < n; p++) acc += (s[i * n + p] + (i === p ? damping : 0)) * out[p * n + j];
        expect(Math.abs(acc - (i === j ? 1 : 0)), `(S·S⁻¹)[${i}][${j}]`).toBeLessThanOrEqual(1e-4);
      }
    const js = new Float32Array(n * n);
    expect(jsVectors.spdInverse(s, n, damping, js)).toBe(true);
    for (let i = 0; i < n * n; i++) expect(Math.abs(out[i] - js[i])).toBeLessThanOrEqual(1e-6 * maxInv);
  });

  it.each([1, 2, 7, 9, 31, 33, 64, 65, 97, 130, 200])('n = %i (across the 64-row blocks and 32-column panels): close to jsVectors', (n) => {
    const s = spd(n, 100 + n, 0.1);
    const out = new Float32Array(n * n);
    const js = new Float32Array(n * n);
    expect(raw.spdInverse(s, n, 1e-2, out)).toBe(true);
    expect(jsVectors.spdInverse(s, n, 1e-2, js)).toBe(true);
    let maxInv = 0;
    for (const v of js) maxInv = Math.max(maxInv, Math.abs(v));
    for (let i = 0; i < n * n; i++) expect(Math.abs(out[i] - js[i]), `element ${i}`).toBeLessThanOrEqual(1e-6 * maxInv);
  });

  it('false, out untouched, when S + damping·I is not positive definite', () => {
    const out = new Float32Array(4).fill(7);
    expect(raw.spdInverse(new Float32Array([1, 2, 2, 1]), 2, 0, out)).toBe(false); // eigenvalues 3, −1
    expect(Array.from(out)).toEqual([7, 7, 7, 7]);
    expect(raw.spdInverse(new Float32Array([1, 2, 2, 1]), 2, 1.5, out)).toBe(true); // + 1.5·I: PD
    const n = 70;
    const s = spd(n, 3, 0.1);
    s[69 * n + 69] = -5; // a negative pivot in the second block
    const big = new Float32Array(n * n).fill(7);
    expect(raw.spdInverse(s, n, 0, big)).toBe(false);
    expect(big.every((v) => v === 7)).toBe(true);
    expect(jsVectors.spdInverse(s, n, 0, new Float32Array(n * n))).toBe(false);
    const nan = spd(n, 4, 0.1);
    nan[40 * n + 3] = Number.NaN;
    expect(raw.spdInverse(nan, n, 0, big)).toBe(false);
    const inf = spd(n, 4, 0.1);
    inf[40 * n + 3] = Infinity;
    expect(raw.spdInverse(inf, n, 0, big)).toBe(false);
    expect(raw.spdInverse(spd(5, 1, 0.1), 5, -10, new Float32Array(25))).toBe(false);
    expect(raw.spdInverse(new Float32Array(0), 0, 0, new Float32Array(0))).toBe(true);
  });

  it('reads only the lower triangle, like jsVectors; s and out may be the same array', () => {
    const n = 90;
    const s = spd(n, 9, 0.2);
    const want = new Float32Array(n * n);
    raw.spdInverse(s, n, 0, want);
    const junk = s.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[i * n + j] = 1e6;
    const got = new Float32Array(n * n);
    expect(raw.spdInverse(junk, n, 0, got)).toBe(true);
    expect(firstDiff(got, want)).toBe(-1);
    const inPlace = s.slice();
    expect(raw.spdInverse(inPlace, n, 0, inPlace)).toBe(true);
    expect(firstDiff(inPlace, want)).toBe(-1);
  });
});

suite('native vector operations: bitwise equal whatever the thread count and ISA', () => {
  const run = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string | number | boolean>;
  };

  it('DOWNHILL_THREADS 1, 2, 3, 4: dot, sumAbs, maxAbs, elementwise, matmul and spdInverse bits', () => {
    const runs = [1, 2, 3, 4].map((t) => run({ DOWNHILL_THREADS: String(t) }));
    expect(runs.map((r) => r.threads)).toEqual([1, 2, 3, 4]);
    expect(runs[0].spdOk).toBe(true);
    for (const r of runs.slice(1))
      for (const key of ['isa', 'dot', 'sumAbs', 'maxAbs', 'elementwise', 'matmul', 'spdOk', 'spd']) expect(r[key], `${key}: DOWNHILL_THREADS=${r.threads} vs 1`).toBe(runs[0][key]);
  }, 300_000);

  it('DOWNHILL_ISA=scalar: the same bits except matmul (whose float GEMM kernels differ per ISA)', () => {
    const a = run({ DOWNHILL_THREADS: '3', DOWNHILL_ISA: 'scalar' });
    const b = run({ DOWNHILL_THREADS: '2', DOWNHILL_ISA: '' });
    expect(a.isa).toBe('scalar');
    for (const key of ['dot', 'sumAbs', 'maxAbs', 'elementwise', 'spd']) expect(a[key], key).toBe(b[key]);
  }, 300_000);
});

suite('the native engine’s vectors fall back to jsVectors where the binding does not go', () => {
  const vec: VectorOps = nativeEngine(addon!).vectors!;

  it('Float64Array operands (and mixed)', () => {
    const n = 1000;
    const x = Float64Array.from(vector(n, 1));
    const y = Float64Array.from(vector(n, 2));
    const x32 = vector(n, 1);
    expect(vec.dot(x, y)).toBe(jsVectors.dot(x, y));
    expect(vec.dot(x32, y)).toBe(jsVectors.dot(x32, y));
    expect(vec.sumAbs(x)).toBe(jsVectors.sumAbs(x));
    expect(vec.maxAbs(x)).toBe(jsVectors.maxAbs(x));
    const [a, b] = [y.slice(), y.slice()];
    vec.axpy(0.1, x, a);
    jsVectors.axpy(0.1, x, b);
    expect(a).toEqual(b);
    vec.scale(3, a);
    jsVectors.scale(3, b);
    expect(a).toEqual(b);
    const [o1, o2] = [new Float64Array(n), new Float64Array(n)];
    vec.addScaled(x, 0.5, y, o1);
    jsVectors.addScaled(x, 0.5, y, o2);
    expect(o1).toEqual(o2);
  });

  it('non-finite scalars propagate like jsVectors', () => {
    const x = vector(100, 3);
    const a = x.slice();
    vec.axpy(Number.NaN, x, a);
    expect(a.every(Number.isNaN)).toBe(true);
    const b = x.slice();
    vec.scale(Infinity, b);
    const c = x.slice();
    jsVectors.scale(Infinity, c);
    expect(firstDiff(b, c)).toBe(-1);
    const out = new Float32Array(100);
    vec.addScaled(x, -Infinity, x, out);
    const out2 = new Float32Array(100);
    jsVectors.addScaled(x, -Infinity, x, out2);
    expect(Array.from(out)).toEqual(Array.from(out2));
    expect(vec.spdInverse(spd(4, 1, 1), 4, Number.NaN, new Float32Array(16))).toBe(false);
  });

  it('partly overlapping views and a matmul output over an input: jsVectors’ sequential result', () => {
    const base = vector(1000, 4);
    const [b1, b2] = [base.slice(), base.slice()];
    vec.axpy(0.5, b1.subarray(0, 900), b1.subarray(1, 901));
    jsVectors.axpy(0.5, b2.subarray(0, 900), b2.subarray(1, 901));
    expect(firstDiff(b1, b2)).toBe(-1);
    const [c1, c2] = [base.slice(), base.slice()];
    vec.addScaled(c1.subarray(2, 902), 2, c1.subarray(0, 900), c1.subarray(1, 901));
    jsVectors.addScaled(c2.subarray(2, 902), 2, c2.subarray(0, 900), c2.subarray(1, 901));
    expect(firstDiff(c1, c2)).toBe(-1);
    const [m1, m2] = [base.slice(0, 18), base.slice(0, 18)];
    vec.matmul(false, false, 3, 3, 3, m1.subarray(0, 9), m1.subarray(9, 18), m1.subarray(4, 13));
    jsVectors.matmul(false, false, 3, 3, 3, m2.subarray(0, 9), m2.subarray(9, 18), m2.subarray(4, 13));
    expect(firstDiff(m1, m2)).toBe(-1);
  });
});

suite('native vector operations: argument errors', () => {
  const raw = addon!;
  const f = (n: number) => new Float32Array(n);
  const shared = f(10);
  const detached = f(4);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  const cases: Array<[string, () => unknown, ErrorConstructor, string]> = [
    ['dot a type', () => raw.vectorDot(new Float64Array(3) as never, f(3)), TypeError, 'vectorDot(a): expected a Float32Array, received Float64Array(3)'],
    ['dot b missing', () => (raw.vectorDot as (a: Float32Array) => number)(f(3)), TypeError, 'vectorDot(b): expected a Float32Array, received undefined'],
    ['dot b length', () => raw.vectorDot(f(3), f(2)), RangeError, 'vectorDot(b): expected a Float32Array(3) (the length of a), received Float32Array(2)'],
    ['dot detached', () => raw.vectorDot(detached, f(0)), TypeError, 'vectorDot(a): expected a Float32Array, received a Float32Array whose ArrayBuffer is detached'],
    ['axpy alpha NaN', () => raw.vectorAxpy(Number.NaN, f(2), f(2)), RangeError, 'vectorAxpy(alpha): expected a finite number, received NaN'],
    ['axpy alpha string', () => raw.vectorAxpy('1' as never, f(2), f(2)), TypeError, "vectorAxpy(alpha): expected a number, received string '1'"],
    ['axpy x array', () => raw.vectorAxpy(1, [1, 2] as never, f(2)), TypeError, 'vectorAxpy(x): expected a Float32Array, received Array(2)'],
    ['axpy y length', () => raw.vectorAxpy(1, f(2), f(3)), RangeError, 'vectorAxpy(y): expected a Float32Array(2) (the length of x), received Float32Array(3)'],
    ['axpy overlap', () => raw.vectorAxpy(1, shared.subarray(0, 4), shared.subarray(2, 6)), RangeError, 'vectorAxpy(y): expected x itself or a Float32Array not overlapping it, received a view overlapping x in part'],
    ['scale alpha Infinity', () => raw.vectorScale(Infinity, f(2)), RangeError, 'vectorScale(alpha): expected a finite number, received Infinity'],
    ['scale x Int32Array', () => raw.vectorScale(1, new Int32Array(2) as never), TypeError, 'vectorScale(x): expected a Float32Array, received Int32Array(2)'],
    ['addScaled t', () => raw.vectorAddScaled(f(2), -Infinity, f(2), f(2)), RangeError, 'vectorAddScaled(t): expected a finite number, received -Infinity'],
    ['addScaled d length', () => raw.vectorAddScaled(f(2), 1, f(1), f(2)), RangeError, 'vectorAddScaled(d): expected a Float32Array(2) (the length of x), received Float32Array(1)'],
    ['addScaled out length', () => raw.vectorAddScaled(f(2), 1, f(2), f(5)), RangeError, 'vectorAddScaled(out): expected a Float32Array(2) (the length of x), received Float32Array(5)'],
    ['addScaled out over x', () => raw.vectorAddScaled(shared.subarray(1, 5), 1, f(4), shared.subarray(0, 4)), RangeError, 'vectorAddScaled(out): expected x itself or a Float32Array not overlapping it, received a view overlapping x in part'],
    ['addScaled out over d', () => raw.vectorAddScaled(f(4), 1, shared.subarray(1, 5), shared.subarray(0, 4)), RangeError, 'vectorAddScaled(out): expected d itself or a Float32Array not overlapping it, received a view overlapping d in part'],
    ['maxAbs null', () => raw.vectorMaxAbs(null as never), TypeError, 'vectorMaxAbs(x): expected a Float32Array, received null'],
    ['copy out length', () => raw.vectorCopy(f(3), f(2)), RangeError, 'vectorCopy(out): expected a Float32Array(3) (the length of x), received Float32Array(2)'],
    ['copy out over x', () => raw.vectorCopy(shared.subarray(0, 4), shared.subarray(2, 6)), RangeError, 'vectorCopy(out): expected an array that does not overlap x'],
    ['copy x type', () => raw.vectorCopy([1] as never, f(1)), TypeError, 'vectorCopy(x): expected a Float32Array, received Array(1)'],
    ['sumAbs object', () => raw.vectorSumAbs({} as never), TypeError, 'vectorSumAbs(x): expected a Float32Array, received an object'],
    ['matmul transA', () => raw.matmul(1 as never, false, 1, 1, 1, f(1), f(1), f(1)), TypeError, 'matmul(transA): expected a boolean, received number 1'],
    ['matmul transB', () => raw.matmul(false, undefined as never, 1, 1, 1, f(1), f(1), f(1)), TypeError, 'matmul(transB): expected a boolean, received undefined'],
    ['matmul m fraction', () => raw.matmul(false, false, 2.5, 1, 1, f(1), f(1), f(1)), RangeError, 'matmul(m): expected an integer in [0, 2147483647], received 2.5'],
    ['matmul n negative', () => raw.matmul(false, false, 1, -1, 1, f(1), f(1), f(1)), RangeError, 'matmul(n): expected an integer in [0, 2147483647], received -1'],
    ['matmul k huge', () => raw.matmul(false, false, 1, 1, 2 ** 31, f(1), f(1), f(1)), RangeError, 'matmul(k): expected an integer in [0, 2147483647], received 2147483648'],
    ['matmul k string', () => raw.matmul(false, false, 1, 1, '1' as never, f(1), f(1), f(1)), TypeError, "matmul(k): expected a number, received string '1'"],
    ['matmul a type', () => raw.matmul(false, false, 2, 3, 4, new Float64Array(8) as never, f(12), f(6)), TypeError, 'matmul(a): expected a Float32Array, received Float64Array(8)'],
    ['matmul a length', () => raw.matmul(false, false, 2, 3, 4, f(7), f(12), f(6)), RangeError, 'matmul(a): expected a Float32Array(8) (m·k = 2·4), received Float32Array(7)'],
    ['matmul b length', () => raw.matmul(true, false, 2, 3, 4, f(8), f(13), f(6)), RangeError, 'matmul(b): expected a Float32Array(12) (k·n = 4·3), received Float32Array(13)'],
    ['matmul c length', () => raw.matmul(false, true, 2, 3, 4, f(8), f(12), f(5)), RangeError, 'matmul(c): expected a Float32Array(6) (m·n = 2·3), received Float32Array(5)'],
    ['matmul c over a', () => raw.matmul(false, false, 1, 1, 1, shared.subarray(0, 1), f(1), shared.subarray(0, 1)), RangeError, 'matmul(c): expected a Float32Array not overlapping a, received one that does'],
    ['matmul c over b', () => raw.matmul(false, false, 2, 2, 2, f(4), shared.subarray(0, 4), shared.subarray(3, 7)), RangeError, 'matmul(c): expected a Float32Array not overlapping b, received one that does'],
    ['spdInverse s type', () => raw.spdInverse([1] as never, 1, 0, f(1)), TypeError, 'spdInverse(s): expected a Float32Array, received Array(1)'],
    ['spdInverse n fraction', () => raw.spdInverse(f(9), 3.5, 0, f(9)), RangeError, 'spdInverse(n): expected an integer in [0, 2147483647], received 3.5'],
    ['spdInverse n missing', () => (raw.spdInverse as (s: Float32Array) => boolean)(f(9)), TypeError, 'spdInverse(n): expected a number, received undefined'],
    ['spdInverse damping', () => raw.spdInverse(f(9), 3, Number.NaN, f(9)), RangeError, 'spdInverse(damping): expected a finite number, received NaN'],
    ['spdInverse s length', () => raw.spdInverse(f(8), 3, 0, f(9)), RangeError, 'spdInverse(s): expected a Float32Array(9) (n·n = 3·3), received Float32Array(8)'],
    ['spdInverse out length', () => raw.spdInverse(f(9), 3, 0, f(10)), RangeError, 'spdInverse(out): expected a Float32Array(9) (n·n = 3·3), received Float32Array(10)'],
    ['spdInverse out type', () => raw.spdInverse(f(9), 3, 0, new Uint8Array(9) as never), TypeError, 'spdInverse(out): expected a Float32Array, received Uint8Array(9)'],
  ];

  it.each(cases)('%s', (_name, call, kind, message) => {
    let caught: unknown;
    try {
      call();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(kind);
    expect((caught as Error).message).toBe(message);
  });

  it('a failed call changes nothing', () => {
    const y = f(3).fill(1);
    expect(() => raw.vectorAxpy(1, f(2), y)).toThrow(RangeError);
    expect(Array.from(y)).toEqual([1, 1, 1]);
    const out = f(9).fill(2);
    expect(() => raw.spdInverse(f(9), 3, Number.NaN, out)).toThrow(RangeError);
    expect(out.every((v) => v === 2)).toBe(true);
  });
});
