// The native GEMM kernels of every ISA this CPU can run, against a naive float64 reference:
// an edge grid of sizes below, at and above the micro-tile and the cache blocks, all four
// transpose cases, strided operands, alpha/beta combinations (beta = 0 over NaN-filled C),
// and a random-vector residual check for large sizes. Plus the hook's argument checks.
import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/rng.js';
import { loadAddon, type RawAddon } from '../../lib/engine/binding.js';

// loadAddon honours DOWNHILL_ADDON_PATH (scripts/test-asan.sh points it at the sanitizer build).
const addon: RawAddon | undefined = loadAddon().addon;
const suite = addon ? describe : describe.skip;

interface Operand {
  data: Float32Array;
  ld: number;
}

/** A stored rows×cols matrix with leading dimension ld ≥ cols; padding is NaN (must never be read). */
function matrix(rows: number, cols: number, ld: number, rand: () => number): Operand {
  const data = new Float32Array(Math.max(1, rows * ld)).fill(Number.NaN);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * ld + j] = rand() * 2 - 1;
  return { data, ld };
}

const at = (x: Operand, trans: boolean, i: number, j: number): number =>
  trans ? x.data[j * x.ld + i] : x.data[i * x.ld + j];

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  pad: number;
}

/** Runs one case through the addon and checks every element (and that C's padding is untouched). */
function check(isa: string, t: Case, rand: () => number): void {
  const { transA, transB, m, n, k, alpha, beta, pad } = t;
  const a = transA ? matrix(k, m, m + pad, rand) : matrix(m, k, k + pad, rand);
  const b = transB ? matrix(n, k, k + pad, rand) : matrix(k, n, n + pad, rand);
  const ldc = n + pad;
  const c = new Float32Array(Math.max(1, m * ldc));
  for (let i = 0; i < c.length; i++) c[i] = beta === 0 ? Number.NaN : rand() * 2 - 1;
  const c0 = c.slice();
  addon!.gemm(isa, transA, transB, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c, ldc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const x = at(a, transA, i, p) * at(b, transB, p, j);
        sum += x;
        mag += Math.abs(x);
      }
      const old = c0[i * ldc + j];
      const want = alpha * sum + (beta === 0 ? 0 : beta * old);
      const scale = Math.abs(alpha) * mag + (beta === 0 ? 0 : Math.abs(beta * old));
      const got = c[i * ldc + j];
      const tol = 1.5e-7 * (k + 4) * scale + 1e-30;
      if (!(Math.abs(got - want) <= tol)) {
        throw new Error(
          `${isa} ${JSON.stringify(t)}: C[${i}][${j}] = ${got}, expected ${want} (tolerance ${tol})`,
        );
      }
    }
    for (let j = n; j < ldc && i * ldc + j < c.length; j++) {
      const got = c[i * ldc + j];
      const old = c0[i * ldc + j];
      if (!(Object.is(got, old) || (Number.isNaN(got) && Number.isNaN(old)))) {
        throw new Error(`${isa} ${JSON.stringify(t)}: padding C[${i}][${j}] was written`);
      }
    }
  }
}

const SIZES = [1, 5, 6, 7, 15, 16, 17, 33, 65];
const SCALARS: Array<[number, number]> = [
  [1, 0],
  [1, 1],
  [0.5, -1.5],
  [-2, 0],
];

suite('native gemm', () => {
  const isas = addon ? addon.info().isaAvailable : [];

  it('reports the ISAs it can run, scalar included', () => {
    expect(isas).toContain('scalar');
    expect(isas).toContain(addon!.info().isa);
    expect(addon!.version).toBe('0.1.0');
  });

  describe.each(isas)('%s', (isa) => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`edge grid, transA=${transA} transB=${transB}`, () => {
          const rand = rng(1 + (transA ? 2 : 0) + (transB ? 1 : 0));
          let q = 0;
          for (const m of SIZES) {
            for (const n of SIZES) {
              for (const k of SIZES) {
                const [alpha, beta] = SCALARS[q % SCALARS.length];
                check(isa, { transA, transB, m, n, k, alpha, beta, pad: q % 3 === 0 ? 0 : 3 }, rand);
                q++;
              }
            }
          }
        });
      }
    }

    it('sizes above the cache blocks (KC, MC, NC) and K split across blocks', () => {
      const rand = rng(99);
      const cases: Case[] = [
        { transA: false, transB: false, m: 150, n: 40, k: 300, alpha: 1, beta: 0, pad: 1 },
        { transA: true, transB: false, m: 300, n: 70, k: 520, alpha: 0.75, beta: 1, pad: 0 },
        { transA: false, transB: true, m: 7, n: 4100, k: 20, alpha: 1, beta: 0.5, pad: 2 },
        { transA: true, transB: true, m: 145, n: 33, k: 257, alpha: -1, beta: 0, pad: 5 },
        // Narrow outputs (the direct kernels' row and column tilings) with k over two KC blocks.
        { transA: true, transB: false, m: 70, n: 10, k: 1100, alpha: 0.5, beta: 1, pad: 2 },
        { transA: false, transB: false, m: 37, n: 13, k: 1100, alpha: 1, beta: -1.5, pad: 1 },
      ];
      for (const t of cases) check(isa, t, rand);
    });

    it('alpha = 0 and k = 0 read neither A nor B; beta = 0 never reads C', () => {
      const m = 7;
      const n = 17;
      const nanA = new Float32Array(m * 5).fill(Number.NaN);
      const nanB = new Float32Array(5 * n).fill(Number.NaN);
      const c = new Float32Array(m * n).fill(2);
      addon!.gemm(isa, false, false, m, n, 5, 0, nanA, 5, nanB, n, 0.5, c, n);
      expect(Array.from(new Set(c))).toEqual([1]);
      addon!.gemm(isa, false, false, m, n, 0, 1, new Float32Array(0), 1, new Float32Array(0), n, 0, c, n);
      expect(Array.from(new Set(c))).toEqual([0]);
    });

    it('large product by random-vector residual (600×700×500)', () => {
      const rand = rng(7);
      for (const [transA, transB] of [
        [false, false],
        [true, true],
      ] as const) {
        const m = 600;
        const n = 700;
        const k = 500;
        const alpha = 1.25;
        const beta = 0.5;
        const a = transA ? matrix(k, m, m, rand) : matrix(m, k, k, rand);
        const b = transB ? matrix(n, k, k, rand) : matrix(k, n, n, rand);
        const c = new Float32Array(m * n);
        for (let i = 0; i < c.length; i++) c[i] = rand() * 2 - 1;
        const c0 = c.slice();
        addon!.gemm(isa, transA, transB, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c, n);
        const x = Float64Array.from({ length: n }, () => rand() * 2 - 1);
        // bx = B·x and |B|·|x| (k), then row i: A·bx, |A|·(|B||x|).
        const bx = new Float64Array(k);
        const bxAbs = new Float64Array(k);
        for (let p = 0; p < k; p++) {
          let s = 0;
          let sa = 0;
          for (let j = 0; j < n; j++) {
            const v = at(b, transB, p, j);
            s += v * x[j];
            sa += Math.abs(v * x[j]);
          }
          bx[p] = s;
          bxAbs[p] = sa;
        }
        for (let i = 0; i < m; i++) {
          let want = 0;
          let scale = 0;
          for (let p = 0; p < k; p++) {
            const v = at(a, transA, i, p);
            want += v * bx[p];
            scale += Math.abs(v) * bxAbs[p];
          }
          let got = 0;
          let c0x = 0;
          let c0xAbs = 0;
          for (let j = 0; j < n; j++) {
            got += c[i * n + j] * x[j];
            c0x += c0[i * n + j] * x[j];
            c0xAbs += Math.abs(c0[i * n + j] * x[j]);
          }
          want = alpha * want + beta * c0x;
          scale = Math.abs(alpha) * scale + Math.abs(beta) * c0xAbs;
          const tol = 1.5e-7 * (k + 4) * scale;
          if (!(Math.abs(got - want) <= tol)) {
            throw new Error(`${isa} transA=${transA} transB=${transB}: row ${i}: (C·x) = ${got}, expected ${want}`);
          }
        }
      }
    });
  });

  describe('argument checks', () => {
    const gemm = (...args: unknown[]) => (addon!.gemm as unknown as (...a: unknown[]) => void)(...args);
    const f = (n: number) => new Float32Array(n);
    // A valid 2×3·3×4 call to vary one argument at a time.
    const ok = (): unknown[] => ['scalar', false, false, 2, 4, 3, 1, f(6), 3, f(12), 4, 0, f(8), 4];
    const vary = (i: number, v: unknown) => {
      const args = ok();
      args[i] = v;
      return () => gemm(...args);
    };

    it('accepts the valid call', () => {
      expect(() => gemm(...ok())).not.toThrow();
    });

    it('rejects an unknown ISA name', () => {
      expect(vary(0, 'sse9')).toThrow(RangeError);
      expect(vary(0, 'sse9')).toThrow(/gemm\(isa\)/);
      expect(vary(0, 3)).toThrow(TypeError);
    });

    it('rejects wrong types with a TypeError naming the argument', () => {
      expect(vary(1, 'yes')).toThrow(TypeError);
      expect(vary(3, '2')).toThrow(/gemm\(m\): expected a number/);
      expect(vary(6, null)).toThrow(TypeError);
      expect(vary(7, new Float64Array(6))).toThrow(/gemm\(a\): expected a Float32Array, received Float64Array\(6\)/);
      expect(vary(9, [1, 2, 3])).toThrow(TypeError);
      expect(vary(12, undefined)).toThrow(TypeError);
      expect(() => gemm('scalar')).toThrow(TypeError);
    });

    it('rejects bad sizes and scalars with a RangeError', () => {
      expect(vary(3, -1)).toThrow(RangeError);
      expect(vary(4, 1.5)).toThrow(RangeError);
      expect(vary(5, Number.POSITIVE_INFINITY)).toThrow(RangeError);
      expect(vary(6, Number.NaN)).toThrow(RangeError);
      expect(vary(11, Number.NaN)).toThrow(RangeError);
      expect(vary(8, 2)).toThrow(/gemm\(lda\): expected at least 3/);
      expect(vary(10, 0)).toThrow(RangeError);
      expect(vary(13, 3)).toThrow(/gemm\(ldc\)/);
    });

    it('rejects buffers too short for the sizes and leading dimensions', () => {
      expect(vary(7, f(5))).toThrow(/gemm\(a\): expected a Float32Array of at least 6 values/);
      expect(vary(9, f(11))).toThrow(RangeError);
      expect(vary(12, f(7))).toThrow(RangeError);
      const strided = ok();
      strided[8] = 5; // lda 5: needs (2 − 1)·5 + 3 = 8 values
      expect(() => gemm(...strided)).toThrow(/at least 8 values/);
      const transposed = ok();
      transposed[1] = true; // A stored 3×2 (k × m)
      transposed[8] = 2;
      expect(() => gemm(...transposed)).not.toThrow();
      transposed[8] = 1; // lda below m
      expect(() => gemm(...transposed)).toThrow(/gemm\(lda\): expected at least 2/);
      transposed[8] = 3; // (3 − 1)·3 + 2 = 8 > 6
      expect(() => gemm(...transposed)).toThrow(/at least 8 values/);
    });

    it('rejects a detached buffer', () => {
      const a = f(6);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      expect(vary(7, a)).toThrow(TypeError);
    });

    it('accepts empty problems without touching memory', () => {
      expect(() => gemm('scalar', false, false, 0, 4, 3, 1, f(0), 3, f(12), 4, 0, f(0), 4)).not.toThrow();
      expect(() => gemm('scalar', false, false, 2, 0, 3, 1, f(6), 3, f(0), 1, 0, f(0), 1)).not.toThrow();
    });
  });
});
