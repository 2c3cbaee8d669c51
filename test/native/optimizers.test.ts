// TESTING O1: the fused native optimizer kernels (every ISA the CPU has, through the
// optimizerStep test hook, on the thread pool) against the TS engine's float32 update:
// params and every state slot bitwise equal after 1, 7 and 100 steps, arena lengths
// 0, 1, 7, 8, 9, 16, 17 and 100 003 (SIMD tails, thread splits), clipping included.
import { describe, expect, it } from 'vitest';
import { applyUpdate, sumSquares } from '../../lib/engine/js/optimizers.js';
import { initOptimizerState, stateSlots, type OptimizerSpec } from '../../lib/engine/engine.js';
import { loadAddon, type RawAddon } from '../../lib/engine/binding.js';
import { Rng } from '../../lib/random.js';

// loadAddon honours DOWNHILL_ADDON_PATH (scripts/test-asan.sh points it at the sanitizer build).
const addon: RawAddon | undefined = loadAddon().addon;

const b = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const CONFIGS: [string, OptimizerSpec, number][] = [
  ['sgd', { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, 0.1],
  ['sgd momentum dampening wd', { kind: 'sgd', momentum: 0.9, dampening: 0.2, nesterov: false, weightDecay: 1e-2 }, 0.05],
  ['sgd nesterov', { kind: 'sgd', momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 }, 0.05],
  ['adam', { kind: 'adam', ...b, weightDecay: 0, decoupled: false }, 1e-2],
  ['adam l2 amsgrad', { kind: 'adam', ...b, weightDecay: 1e-2, decoupled: false, amsgrad: true }, 1e-2],
  ['adamw amsgrad', { kind: 'adam', ...b, weightDecay: 0.1, decoupled: true, amsgrad: true }, 1e-2],
  ['adagrad', { kind: 'adagrad', lrDecay: 0.01, initialAccumulatorValue: 0.1, eps: 1e-10, weightDecay: 1e-3 }, 0.1],
  ['adadelta', { kind: 'adadelta', rho: 0.9, eps: 1e-6, weightDecay: 1e-2 }, 1],
  ['rmsprop', { kind: 'rmsprop', alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }, 1e-2],
  ['rmsprop momentum centered wd', { kind: 'rmsprop', alpha: 0.9, eps: 1e-8, weightDecay: 1e-3, momentum: 0.9, centered: true }, 1e-2],
  ['rmsprop centered', { kind: 'rmsprop', alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: true }, 1e-2],
  ['adamax', { kind: 'adamax', ...b, weightDecay: 1e-2 }, 2e-3],
  ['nadam', { kind: 'nadam', ...b, weightDecay: 1e-2, momentumDecay: 4e-3 }, 2e-3],
  ['radam', { kind: 'radam', ...b, weightDecay: 1e-2 }, 1e-3],
  ['lion', { kind: 'lion', beta1: 0.9, beta2: 0.99, weightDecay: 0.1 }, 1e-3],
  ['sgd clipNorm', { kind: 'sgd', momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, clipNorm: 0.5 }, 0.1],
  ['adam clipValue', { kind: 'adam', ...b, weightDecay: 0, decoupled: false, clipValue: 0.3 }, 1e-2],
  ['lion clipNorm + clipValue', { kind: 'lion', beta1: 0.9, beta2: 0.99, weightDecay: 0, clipNorm: 2, clipValue: 0.01 }, 1e-3],
];
const LENGTHS = [1, 7, 8, 9, 16, 17, 100003, 0];
const SNAPSHOTS = [1, 7, 100];

function random(n: number, rng: Rng, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * rng.nextFloat() - 1) * scale;
  return v;
}

function same(a: Float32Array, e: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(e.buffer, e.byteOffset, e.byteLength));
}

function firstDifference(a: Float32Array, e: Float32Array): string {
  for (let i = 0; i < e.length; i++) if (!Object.is(a[i], e[i])) return `index ${i}: ${a[i]} vs ${e[i]}`;
  return 'none';
}

// Every ISA is covered in one pass: nothing to add when npm test forces a lower DOWNHILL_ISA.
describe.runIf(addon && !process.env.DOWNHILL_ISA)('fused native optimizer kernels are bitwise the TS float32 update', () => {
  const isas = addon ? addon.info().isaAvailable : [];
  for (const [name, spec, lr] of CONFIGS) {
    it(`${name}: every ISA (${isas.join(', ')}), lengths ${LENGTHS.join(', ')}, after ${SNAPSHOTS.join('/')} steps`, () => {
      for (const n of LENGTHS) {
        const steps = n > 1000 ? 7 : 100; // 100 003 × 100 steps × 3 ISAs is slow in TS; 7 steps cover the split
        const rng = new Rng(n + 17, 3);
        const p0 = random(n, rng);
        const grads = Array.from({ length: steps }, () => random(n, rng, 2));
        const slots = stateSlots(spec);
        const ref = { p: p0.slice(), s: new Float32Array(slots * n) };
        initOptimizerState(spec, ref.s);
        const natives = isas.map(() => ({ p: p0.slice(), s: ref.s.slice() }));
        for (let t = 1; t <= steps; t++) {
          const lrT = Math.fround(lr * (1 + 0.1 * Math.sin(t))); // a varying per-step rate, as schedules give
          applyUpdate(spec, lrT, t, ref.p, grads[t - 1], ref.s);
          isas.forEach((isa, k) => addon!.optimizerStep(isa, spec, lrT, t, natives[k].p, grads[t - 1], natives[k].s));
          if (SNAPSHOTS.includes(t) || t === steps) {
            isas.forEach((isa, k) => {
              const where = `${name}, ${isa}, n=${n}, t=${t}`;
              expect(same(natives[k].p, ref.p), `params differ (${where}) at ${firstDifference(natives[k].p, ref.p)}`).toBe(true);
              expect(same(natives[k].s, ref.s), `state differs (${where}) at ${firstDifference(natives[k].s, ref.s)}`).toBe(true);
            });
          }
        }
        expect(ref.p.every((v) => Number.isFinite(v))).toBe(true);
      }
    });
  }

  it('clipNorm scales to the norm bound; the norm is overflow-free for gradients ~1e20 and ~1e-30 (N4)', () => {
    for (const scale of [1e20, 1e-30]) {
      const n = 9001;
      const rng = new Rng(5, 5);
      const g = random(n, rng, scale);
      const norm = Math.sqrt(sumSquares(g));
      expect(Number.isFinite(norm) && norm > 0).toBe(true);
      let naive = 0;
      for (const v of g) naive += (v / scale) ** 2;
      expect(norm / scale / Math.sqrt(naive)).toBeCloseTo(1, 10);
      // SGD with lr 1: Δθ = −clip(g); its norm is maxNorm, or ‖g‖ when that is smaller (clipping never scales up).
      const expected = norm > 0.25 ? 0.25 : norm;
      const spec: OptimizerSpec = { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, clipNorm: 0.25 };
      for (const isa of isas) {
        const p = new Float32Array(n);
        addon!.optimizerStep(isa, spec, 1, 1, p, g, new Float32Array(0));
        let s = 0;
        for (const v of p) s += v * v;
        expect(Math.abs(Math.sqrt(s) - expected)).toBeLessThanOrEqual(expected * 1e-6);
      }
    }
  });

  it('the hook validates its arguments (TypeError/RangeError, never a crash)', () => {
    const spec: OptimizerSpec = { kind: 'adam', ...b, weightDecay: 0, decoupled: false };
    const p = new Float32Array(4);
    const call = (...args: unknown[]) => () => (addon!.optimizerStep as (...a: unknown[]) => void)(...args);
    expect(call('sse9', spec, 0.1, 1, p, p, new Float32Array(8))).toThrow(/optimizerStep\(isa\): expected one of 'scalar', 'avx2', 'avx512', received 'sse9'/);
    expect(call('scalar', { kind: 'nope' }, 0.1, 1, p, p, new Float32Array(8))).toThrow(RangeError);
    expect(call('scalar', { ...spec, beta1: 'x' }, 0.1, 1, p, p, new Float32Array(8))).toThrow(/optimizerStep\(spec\)\.beta1: expected a number, received string/);
    expect(call('scalar', spec, NaN, 1, p, p, new Float32Array(8))).toThrow(/optimizerStep\(lr\): expected a finite number/);
    expect(call('scalar', spec, 0.1, 0, p, p, new Float32Array(8))).toThrow(/optimizerStep\(t\): expected an integer in \[1, /);
    expect(call('scalar', spec, 0.1, 1, p, new Float32Array(3), new Float32Array(8))).toThrow(/optimizerStep\(grads\): expected a Float32Array\(4\)/);
    expect(call('scalar', spec, 0.1, 1, p, p, new Float32Array(7))).toThrow(/optimizerStep\(state\): expected a Float32Array\(8\) \(2 slots of 4\), received Float32Array\(7\)/);
    expect(call('scalar', spec, 0.1, 1, new Float64Array(4), p, new Float32Array(8))).toThrow(TypeError);
    expect(call('scalar', { ...spec, clipNorm: -1 }, 0.1, 1, p, p, new Float32Array(8))).toThrow(/clipNorm: expected a number >= 0, received -1/);
  });
});
