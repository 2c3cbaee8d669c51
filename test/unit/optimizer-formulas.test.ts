// The pure-TS update against closed forms (PyTorch's formulas), float64 and float32.
import { describe, expect, it } from 'vitest';
import { applyUpdate } from '../../lib/engine/js/optimizers.js';
import type { OptimizerSpec } from '../../lib/engine/engine.js';

const sgd = (momentum = 0, dampening = 0, nesterov = false, weightDecay = 0): OptimizerSpec => ({ kind: 'sgd', momentum, dampening, nesterov, weightDecay });
const adam = (weightDecay = 0, decoupled = false): OptimizerSpec => ({ kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled });

describe.each([Float64Array, Float32Array])('%o update', (F) => {
  const tol = F === Float64Array ? 1e-12 : 1e-6;

  it('SGD: θ₁ = θ₀ − lr·g', () => {
    const p = F.of(1, -2, 3);
    applyUpdate(sgd(), 0.1, 1, p, F.of(0.5, 0.25, -1), new F(0));
    expect(Array.from(p)).toEqual([0.95, -2.025, 3.1].map((v) => (F === Float32Array ? Math.fround(v) : v)));
  });

  it('SGD momentum: the buffer is g at step 1, then μ·b + (1 − dampening)·g', () => {
    const p = F.of(1);
    const b = new F(1);
    applyUpdate(sgd(0.9, 0.1), 0.1, 1, p, F.of(2), b);
    expect(b[0]).toBeCloseTo(2, 6);
    applyUpdate(sgd(0.9, 0.1), 0.1, 2, p, F.of(1), b);
    expect(Math.abs(b[0] - (0.9 * 2 + 0.9 * 1))).toBeLessThanOrEqual(tol * 3);
    expect(Math.abs(p[0] - (1 - 0.2 - 0.1 * 2.7))).toBeLessThanOrEqual(tol * 3);
  });

  it('Nesterov uses g + μ·b', () => {
    const p = F.of(0);
    applyUpdate(sgd(0.5, 0, true), 1, 1, p, F.of(1), new F(1));
    expect(p[0]).toBeCloseTo(-1.5, 6);
  });

  it('Adam step 1 moves each parameter by lr·sign(g) when |g| ≫ eps', () => {
    const p = F.of(1, 1, 1);
    const state = new F(6);
    applyUpdate(adam(), 1e-3, 1, p, F.of(3, -0.5, 1e-2), state);
    for (const [i, s] of [1, -1, 1].entries()) expect(Math.abs(p[i] - (1 - 1e-3 * s))).toBeLessThanOrEqual(1e-3 * 1e-5 + tol);
    expect(state[0]).toBeCloseTo(0.3, 6); // m = (1 − β1)·g
    expect(state[3]).toBeCloseTo(0.001 * 9, 6); // v = (1 − β2)·g²
  });

  it('AdamW decays θ by (1 − lr·wd) before the Adam step; zero gradient leaves only the decay', () => {
    const p = F.of(2);
    applyUpdate(adam(0.1, true), 0.01, 1, p, F.of(0), new F(2));
    expect(Math.abs(p[0] - 2 * (1 - 0.01 * 0.1))).toBeLessThanOrEqual(tol * 2);
  });

  it('zero gradients with no weight decay leave the parameters unchanged', () => {
    for (const opt of [sgd(), sgd(0.9), adam()]) {
      const p = F.of(0.3, -0.7);
      applyUpdate(opt, 0.1, 1, p, new F(2), new F(4));
      expect(Array.from(p)).toEqual(Array.from(F.of(0.3, -0.7)));
    }
  });
});

// ---- every optimizer: closed-form first steps (O2), zero gradients (O5), validation (O6) ----
import { adadelta, adagrad, adamax, adamw, lion, nadam, radam, rmsprop, sgd as sgdFactory, adam as adamFactory } from '../../lib/index.js';
import { initOptimizerState, stateSlots } from '../../lib/engine/engine.js';
import { dense, sequential } from '../../lib/index.js';

describe.each([Float64Array, Float32Array])('%o first steps of every optimizer (closed forms, rtol 1e-6)', (F) => {
  const g0 = [0.5, -2, 1e-3];
  const th0 = [1, -0.5, 2];
  const step = (opt: OptimizerSpec, lr: number, grads = g0, t = 1, state?: InstanceType<typeof F>) => {
    const p = F.from(th0);
    const s = state ?? new F(stateSlots(opt) * th0.length);
    if (!state) initOptimizerState(opt, s as Float32Array);
    applyUpdate(opt, lr, t, p, F.from(grads), s);
    return { p: Array.from(p), s };
  };
  const close = (a: number[], e: number[]) => a.forEach((v, i) => expect(Math.abs(v - e[i])).toBeLessThanOrEqual(1e-6 * Math.abs(e[i]) + 1e-7));

  it('Adagrad: θ₁ = θ₀ − lr·g/(√(s₀ + g²) + eps)', () => {
    const o = adagrad({ lr: 0.1, initialAccumulatorValue: 0.5 }).spec;
    close(step(o, 0.1).p, th0.map((t, i) => t - (0.1 * g0[i]) / (Math.sqrt(0.5 + g0[i] ** 2) + 1e-10)));
  });
  it('Adadelta: θ₁ = θ₀ − lr·√eps/√((1 − ρ)g² + eps)·g', () => {
    close(step(adadelta().spec, 1).p, th0.map((t, i) => t - (Math.sqrt(1e-6) / Math.sqrt(0.1 * g0[i] ** 2 + 1e-6)) * g0[i]));
  });
  it('RMSprop: θ₁ = θ₀ − lr·g/(√((1 − α)g²) + eps); centered subtracts ((1 − α)g)²', () => {
    close(step(rmsprop().spec, 0.01).p, th0.map((t, i) => t - (0.01 * g0[i]) / (Math.sqrt(0.01 * g0[i] ** 2) + 1e-8)));
    close(step(rmsprop({ centered: true }).spec, 0.01).p, th0.map((t, i) => t - (0.01 * g0[i]) / (Math.sqrt(0.01 * g0[i] ** 2 - (0.01 * g0[i]) ** 2) + 1e-8)));
  });
  it('Adam amsgrad, Adamax, NAdam, RAdam step 1 move each parameter by about lr·sign(g)', () => {
    for (const o of [adamFactory({ amsgrad: true }).spec, adamax().spec]) close(step(o, 1e-3).p, th0.map((t, i) => t - 1e-3 * Math.sign(g0[i])));
    // RAdam's first steps are unrectified: θ₁ = θ₀ − lr·m₁/(1 − β1) = θ₀ − lr·g.
    close(step(radam().spec, 1e-3).p, th0.map((t, i) => t - 1e-3 * g0[i]));
    // NAdam: θ₁ = θ₀ − lr(1 − μ₁)/(1 − μ₁)·g/|g| − lr·μ₂/(1 − μ₁μ₂)·(1 − β1)g/|g|.
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3));
    const c2 = (1e-3 * mu(2)) / (1 - mu(1) * mu(2));
    close(step(nadam({ lr: 1e-3 }).spec, 1e-3).p, th0.map((t, i) => t - 1e-3 * Math.sign(g0[i]) - c2 * 0.1 * Math.sign(g0[i])));
  });
  it('Lion: θ₁ = θ₀(1 − lr·λ) − lr·sign(g); m₁ = (1 − β2)g', () => {
    const r = step(lion({ weightDecay: 0.5 }).spec, 0.01);
    close(r.p, th0.map((t, i) => t * (1 - 0.005) - 0.01 * Math.sign(g0[i])));
    close(Array.from(r.s), g0.map((g) => 0.01 * g));
  });
  it('clipValue clamps, clipNorm scales to the bound (SGD, lr 1)', () => {
    close(step(sgdFactory({ lr: 1, clipValue: 0.6 }).spec, 1).p, th0.map((t, i) => t - Math.min(0.6, Math.max(-0.6, g0[i]))));
    const norm = Math.hypot(...g0);
    close(step(sgdFactory({ lr: 1, clipNorm: 1 }).spec, 1).p, th0.map((t, i) => t - (g0[i] * 1) / (norm + 1e-6)));
  });
  it('zero gradients leave the parameters bitwise unchanged without weight decay; decoupled decay is exactly θ(1 − lr·wd)', () => {
    const zero = [0, 0, 0];
    const none = [sgdFactory({ momentum: 0.9 }), adamFactory(), adamFactory({ amsgrad: true }), adagrad({ initialAccumulatorValue: 0.1 }), adadelta(), rmsprop({ centered: true, momentum: 0.5 }), adamax(), nadam(), radam(), lion()];
    for (const o of none) for (const t of [1, 2]) expect(step(o.spec, 0.1, zero, t).p, o.name).toEqual(Array.from(F.from(th0)));
    for (const o of [adamw({ weightDecay: 0.1 }), lion({ weightDecay: 0.1 })]) {
      close(step(o.spec, 0.01, zero).p, th0.map((t) => t * (1 - 0.01 * 0.1)));
    }
  });
});

describe('optimizer hyper-parameters are checked at construction (O6)', () => {
  it.each([
    ['lr 0', () => adamFactory({ lr: 0 }), RangeError, /^adam\(options\.lr\): expected a number > 0, received 0$/],
    ['lr NaN', () => rmsprop({ lr: NaN }), RangeError, /^rmsprop\(options\.lr\): expected a finite number, received NaN$/],
    ['lr as a string', () => lion({ lr: '1' as never }), TypeError, /^lion\(options\.lr\): expected a number, received string "1"$/],
    ['beta1 1', () => adamw({ beta1: 1 }), RangeError, /^adamw\(options\.beta1\): expected a number in \[0, 1\), received 1$/],
    ['beta2 -0.1', () => nadam({ beta2: -0.1 }), RangeError, /^nadam\(options\.beta2\): expected a number in \[0, 1\), received -0\.1$/],
    ['eps 0', () => radam({ eps: 0 }), RangeError, /^radam\(options\.eps\): expected a number > 0, received 0$/],
    ['negative weight decay', () => adamax({ weightDecay: -1 }), RangeError, /^adamax\(options\.weightDecay\): expected a number ≥ 0, received -1$/],
    ['negative momentum', () => sgdFactory({ momentum: -0.9 }), RangeError, /^sgd\(options\.momentum\): expected a number ≥ 0, received -0\.9$/],
    ['nesterov without momentum', () => sgdFactory({ nesterov: true }), RangeError, /^sgd\(options\.nesterov\): expected momentum > 0 and dampening 0 with Nesterov momentum, received momentum 0 and dampening 0$/],
    ['rho 1', () => adadelta({ rho: 1 }), RangeError, /^adadelta\(options\.rho\): expected a number in \[0, 1\), received 1$/],
    ['alpha 2', () => rmsprop({ alpha: 2 }), RangeError, /^rmsprop\(options\.alpha\): expected a number in \[0, 1\), received 2$/],
    ['negative lrDecay', () => adagrad({ lrDecay: -1 }), RangeError, /^adagrad\(options\.lrDecay\): expected a number ≥ 0, received -1$/],
    ['centered not a boolean', () => rmsprop({ centered: 1 as never }), TypeError, /^rmsprop\(options\.centered\): expected a boolean, received 1$/],
    ['clipNorm 0', () => adamFactory({ clipNorm: 0 }), RangeError, /^adam\(options\.clipNorm\): expected a number > 0, received 0$/],
    ['clipValue -1', () => sgdFactory({ clipValue: -1 }), RangeError, /^sgd\(options\.clipValue\): expected a number > 0, received -1$/],
    ['an unknown option', () => lion({ betas: [0.9, 0.99] } as never), TypeError, /^lion\(options\): unknown option 'betas'/],
  ])('%s', (_n, make, cls, message) => {
    expect(make).toThrow(cls as ErrorConstructor);
    expect(make).toThrow(message as RegExp);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips step and every slot through a compiled model, and rejects mismatches', async () => {
    const make = () => {
      const m = sequential({ inputSize: 3, seed: 1, engine: 'js', layers: [dense(2, { activation: 'softmax' })] });
      const opt = rmsprop({ momentum: 0.9, centered: true });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: opt });
      return { m, opt };
    };
    const a = make();
    expect(a.opt.stateDict().step).toBe(0);
    await a.m.fit(Float32Array.of(1, 2, 3, -1, 0, 1), [0, 1], { epochs: 3, batchSize: 1 });
    const saved = a.opt.stateDict();
    expect(saved.step).toBe(6);
    expect(Object.keys(saved.slots)).toEqual(['squareAvg', 'momentumBuffer', 'gradAvg']);
    expect(saved.slots.squareAvg.length).toBe(8);
    expect(saved.slots.squareAvg.some((v) => v !== 0)).toBe(true);
    const b = make();
    b.opt.loadStateDict(saved);
    expect(b.opt.stateDict()).toEqual(saved);
    expect(() => b.opt.loadStateDict({ ...saved, name: 'adam' })).toThrow(/^rmsprop\.loadStateDict\(state\)\.name: expected 'rmsprop', received string "adam"$/);
    expect(() => b.opt.loadStateDict({ ...saved, slots: { ...saved.slots, gradAvg: new Float32Array(3) } })).toThrow(/^rmsprop\.loadStateDict\(state\)\.slots\.gradAvg: expected 8 values, received Float32Array\(3\)$/);
    expect(() => rmsprop().loadStateDict(saved)).toThrow(TypeError);
  });
});
