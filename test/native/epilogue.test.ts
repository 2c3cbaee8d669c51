// GEMM epilogues and the direct (unpacked) path of every ISA this CPU can run:
// - bias and bias+ReLU fused into the output write, over an edge grid of sizes below, at and
//   above the micro-tiles (4×8 scalar, 6×16 AVX2, 12×32 AVX-512) and the KC block (256),
//   all four transposes, strided operands, against a float64 reference;
// - the direct kernel (m ≤ 4 rows, untransposed, no packing) is bitwise the packed path: the
//   same rows computed inside a taller product (packed) and alone (direct) agree exactly;
// - so is the B-in-place path (row tiles of exact heights), the same way;
// - ISA levels agree with each other within the stated tolerance 1.5e-7·(k + 4)·Σ|a·b|.
import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/rng.js';
import { loadAddon, type RawAddon } from '../../lib/engine/binding.js';

// loadAddon honours DOWNHILL_ADDON_PATH (scripts/test-asan.sh points it at the sanitizer build).
const addon: RawAddon | undefined = loadAddon().addon;
const suite = addon ? describe : describe.skip;

interface Problem {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  bias: Float32Array;
}

function problem(transA: boolean, transB: boolean, m: number, n: number, k: number, pad: number, rand: () => number): Problem {
  const lda = (transA ? m : k) + pad;
  const ldb = (transB ? k : n) + pad;
  const ldc = n + pad;
  const fill = (len: number) => Float32Array.from({ length: Math.max(1, len) }, () => rand() * 2 - 1);
  return {
    transA, transB, m, n, k, lda, ldb, ldc,
    a: fill((transA ? k : m) * lda),
    b: fill((transB ? n : k) * ldb),
    c: fill(m * ldc),
    bias: fill(n),
  };
}

function run(isa: string, p: Problem, alpha: number, beta: number, relu: boolean | null): Float32Array {
  const c = p.c.slice();
  addon!.gemm(isa, p.transA, p.transB, p.m, p.n, p.k, alpha, p.a, p.lda, p.b, p.ldb, beta, c, p.ldc, relu === null ? null : p.bias, relu ?? false);
  return c;
}

/** Max violation ratio |got − want| / tol over C (≤ 1 passes); padding must be untouched. */
function check(p: Problem, got: Float32Array, alpha: number, beta: number, relu: boolean | null): number {
  let worst = 0;
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let sum = 0;
      let mag = 0;
      for (let q = 0; q < p.k; q++) {
        const av = p.transA ? p.a[q * p.lda + i] : p.a[i * p.lda + q];
        const bv = p.transB ? p.b[j * p.ldb + q] : p.b[q * p.ldb + j];
        sum += av * bv;
        mag += Math.abs(av * bv);
      }
      const old = p.c[i * p.ldc + j];
      let want = alpha * sum + (beta === 0 ? 0 : beta * old);
      let scale = Math.abs(alpha) * mag + Math.abs(beta * old);
      if (relu !== null) {
        want += p.bias[j];
        scale += Math.abs(p.bias[j]);
        if (relu) want = Math.max(0, want);
      }
      const tol = 1.5e-7 * (p.k + 4) * scale + 1e-30;
      const v = got[i * p.ldc + j];
      if (!(Math.abs(v - want) <= tol)) throw new Error(`C[${i}][${j}] = ${v}, expected ${want} (tol ${tol})`);
      worst = Math.max(worst, Math.abs(v - want) / tol);
    }
    for (let j = p.n; j < p.ldc && i * p.ldc + j < got.length; j++) {
      if (!Object.is(got[i * p.ldc + j], p.c[i * p.ldc + j])) throw new Error(`padding C[${i}][${j}] written`);
    }
  }
  return worst;
}

const SIZES = [1, 3, 4, 5, 6, 12, 13, 31, 32, 33];
const KS = [1, 7, 16, 255, 256, 257, 600];

suite('native gemm epilogues and the direct path', () => {
  const isas = addon ? addon.info().isaAvailable : [];

  describe.each(isas)('%s', (isa) => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`bias and bias+ReLU over the edge grid, transA=${transA} transB=${transB}`, () => {
        const rand = rng(11 + (transA ? 2 : 0) + (transB ? 1 : 0));
        let q = 0;
        for (const m of SIZES) {
          for (const n of SIZES) {
            const k = KS[q % KS.length];
            const p = problem(transA, transB, m, n, k, q % 2 ? 3 : 0, rand);
            const [alpha, beta] = ([[1, 0], [1, 1], [0.5, -1.5]] as const)[q % 3];
            for (const relu of [false, true]) check(p, run(isa, p, alpha, beta, relu), alpha, beta, relu);
            q++;
          }
        }
      });
    }

    it('the direct path (m ≤ 4) is bitwise the packed path, with and without epilogues', () => {
      const rand = rng(5);
      for (const rows of [1, 2, 3, 4]) {
        for (const [n, k] of [[10, 64], [33, 257], [256, 784], [17, 600]] as const) {
          const tall = problem(false, false, 13, n, k, 2, rand);
          for (const [alpha, beta, relu] of [[1, 0, true], [1, 1, false], [0.5, -1.5, null], [1, 0, null]] as const) {
            const full = run(isa, tall, alpha, beta, relu);
            // The first `rows` rows alone: same A rows, same C rows (views into the same data).
            const few: Problem = { ...tall, m: rows, a: tall.a.subarray(0, rows * tall.lda), c: tall.c.subarray(0, rows * tall.ldc) };
            const part = run(isa, few, alpha, beta, relu);
            expect(Buffer.from(part.buffer, part.byteOffset, part.byteLength).equals(Buffer.from(full.buffer, full.byteOffset, part.byteLength))).toBe(true);
            check(few, part, alpha, beta, relu);
          }
        }
      }
    });

    it('the B-in-place path (m ≤ 96, or m ≤ 256 while a k-block of B fits 512 KiB) is bitwise the packed path, with and without epilogues', () => {
      const rand = rng(6);
      // [first row, rows]: edge heights, the 64 rows of an inference lane, the 96-row limit,
      // then taller blocks up to the 256-row limit (in place while kc·n·4 ≤ 512 KiB).
      const slices = [[0, 5], [5, 7], [12, 64], [76, 96], [172, 32], [204, 13], [217, 8], [225, 75], [100, 200], [300, 256], [344, 97]] as const;
      for (const transA of [false, true]) {
        for (const [n, k] of [[256, 784], [33, 257], [70, 600]] as const) {
          // 600 rows: packed even when the hook splits them over two threads (300 rows each).
          const tall = problem(transA, false, 600, n, k, 1, rand);
          for (const [alpha, beta, relu] of [[1, 0, true], [1, 1, false], [0.5, -1.5, null], [1, 0, null]] as const) {
            const full = run(isa, tall, alpha, beta, relu);
            for (const [r0, rows] of slices) {
              // Rows r0.. alone: A's rows (columns when transposed) and C's rows as views.
              const a = tall.a.subarray(transA ? r0 : r0 * tall.lda);
              const few: Problem = { ...tall, m: rows, a, c: tall.c.subarray(r0 * tall.ldc, (r0 + rows) * tall.ldc) };
              const part = run(isa, few, alpha, beta, relu);
              const want = full.subarray(r0 * tall.ldc, (r0 + rows) * tall.ldc);
              expect(Buffer.from(part.buffer, part.byteOffset, part.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
            }
          }
        }
      }
    });
  });

  it('every ISA agrees with the scalar reference within the stated tolerance on seed-network shapes', () => {
    const rand = rng(21);
    for (const [m, n, k, transA, transB] of [[128, 256, 784, false, false], [784, 256, 128, true, false], [128, 784, 256, false, true], [1, 256, 784, false, false]] as const) {
      const p = problem(transA, transB, m, n, k, 0, rand);
      const ref = run('scalar', p, 1, 0, true);
      for (const isa of isas) {
        const got = run(isa, p, 1, 0, true);
        expect(check(p, got, 1, 0, true)).toBeLessThanOrEqual(1);
        let diff = 0;
        for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - ref[i]));
        expect(diff).toBeLessThan(1e-3);
      }
    }
  });

  it('rejects a bias shorter than n', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => addon!.gemm('scalar', false, false, 2, 4, 3, 1, f(6), 3, f(12), 4, 0, f(8), 4, f(3), true)).toThrow(/gemm\(bias\): expected a Float32Array of at least 4 values/);
  });
});
