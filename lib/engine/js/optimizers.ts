/**
 * The fused optimizer update of the pure-TS engine: clipping, then one pass over the whole
 * arena. With float32 arenas every operation is rounded to float32 (direct Math.fround
 * calls, which V8 compiles to float32 arithmetic) in the order documented on the *Step
 * structs in native/kernels/table.h, and the per-step constants are computed in double
 * exactly as native/plan/update.cc does, so it matches the native kernels bit for bit.
 * With float64 arenas (the reference checked against PyTorch) nothing is rounded.
 */
import { stateSlots, type OptimizerSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

/** Elements per partial sum of the clipping norm (native kSumSquaresBlock). */
const SUM_SQUARES_BLOCK = 4096;

/**
 * Σ g² in native's fixed order (kernels/optim.h): blocks of 4096, 8 lanes per block summed
 * in index order, lanes combined pairwise, blocks in order. A float32 square is exact in
 * double, so this is bitwise what the native engine computes.
 */
export function sumSquares(g: FloatArray): number {
  const n = g.length;
  let total = 0;
  for (let start = 0; start < n; start += SUM_SQUARES_BLOCK) {
    const end = Math.min(n, start + SUM_SQUARES_BLOCK);
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    let i = start;
    for (; i + 8 <= end; i += 8) {
      a0 += g[i] * g[i]; a1 += g[i + 1] * g[i + 1]; a2 += g[i + 2] * g[i + 2]; a3 += g[i + 3] * g[i + 3];
      a4 += g[i + 4] * g[i + 4]; a5 += g[i + 5] * g[i + 5]; a6 += g[i + 6] * g[i + 6]; a7 += g[i + 7] * g[i + 7];
    }
    const rest = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let l = 0; i < end; i++, l++) rest[l] = g[i] * g[i];
    a0 += rest[0]; a1 += rest[1]; a2 += rest[2]; a3 += rest[3]; a4 += rest[4]; a5 += rest[5]; a6 += rest[6]; a7 += rest[7];
    total += ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  }
  return total;
}

/** The clip factor for clipNorm (1 when no scaling applies), as native computes it. */
function clipScale(opt: OptimizerSpec, grads: FloatArray): number {
  const maxNorm = opt.clipNorm ?? 0;
  if (!(maxNorm > 0)) return 1;
  const coef = maxNorm / (Math.sqrt(sumSquares(grads)) + 1e-6);
  return coef < 1 ? coef : 1;
}

const nadamCache = new WeakMap<OptimizerSpec, { t: number; product: number }>();

function nadamMu(beta1: number, psi: number, k: number): number {
  return beta1 * (1 - 0.5 * Math.pow(0.96, k * psi));
}

/** Πₖ≤ₜ μₖ multiplied in order k = 1, 2, … (incrementally for consecutive steps), as native does. */
function nadamProduct(opt: OptimizerSpec & { kind: 'nadam' }, t: number): number {
  let c = nadamCache.get(opt);
  if (!c || c.t !== t - 1) {
    c = { t: 0, product: 1 };
    for (let k = 1; k < t; k++) c.product *= nadamMu(opt.beta1, opt.momentumDecay, k);
    nadamCache.set(opt, c);
  }
  c.product *= nadamMu(opt.beta1, opt.momentumDecay, t);
  c.t = t;
  return c.product;
}

/** Per-step constants in double (native/plan/update.cc computes the same). */
function constants(opt: OptimizerSpec, lr: number, t: number): Record<string, number> {
  switch (opt.kind) {
    case 'adam':
      return {
        stepSize: lr / (1 - Math.pow(opt.beta1, t)),
        bc2Sqrt: Math.sqrt(1 - Math.pow(opt.beta2, t)),
        decay: 1 - lr * opt.weightDecay,
      };
    case 'adagrad':
      return { clr: lr / (1 + (t - 1) * opt.lrDecay) };
    case 'adamax':
      return { clr: lr / (1 - Math.pow(opt.beta1, t)) };
    case 'nadam': {
      const mu = nadamMu(opt.beta1, opt.momentumDecay, t);
      const muNext = nadamMu(opt.beta1, opt.momentumDecay, t + 1);
      const prod = nadamProduct(opt, t);
      return { c1: (lr * (1 - mu)) / (1 - prod), c2: (lr * muNext) / (1 - prod * muNext), bc2: 1 - Math.pow(opt.beta2, t) };
    }
    case 'radam': {
      const bc1 = 1 - Math.pow(opt.beta1, t);
      const b2t = Math.pow(opt.beta2, t);
      const bc2 = 1 - b2t;
      const rhoInf = 2 / (1 - opt.beta2) - 1;
      const rhoT = rhoInf - (2 * t * b2t) / bc2;
      const rectified = rhoT > 5;
      const rect = rectified ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 1;
      return { stepSize: (lr * rect) / bc1, bc2Sqrt: Math.sqrt(bc2), rectified: rectified ? 1 : 0 };
    }
    case 'lion':
      return { decay: 1 - lr * opt.weightDecay };
    default:
      return {};
  }
}

/**
 * Applies one step (t counts from 1) of `opt` with learning rate `lr` to params, reading
 * grads and updating the state slots (formulas in engine.ts, PyTorch semantics). Clipping
 * (clipNorm, clipValue) is applied to the gradient first; the grads array is not modified.
 * Only the arena ranges [lo, hi) in `ranges` are updated (the plan's trainableRanges; default
 * the whole arena); elsewhere params and state are untouched.
 */
export function applyUpdate(
  opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray,
  ranges: ReadonlyArray<readonly [number, number]> = [[0, params.length]],
): void {
  if (params.length === 0) return;
  // Once per step, over the whole arena (gradients outside `ranges` are 0): the per-step
  // constants (NAdam's running product advances here) and the clip-norm factor.
  const c = constants(opt, lr, t);
  const scale = clipScale(opt, grads);
  const f32 = params instanceof Float32Array;
  for (let q = 0; q < ranges.length; q++) {
    const [lo, hi] = ranges[q];
    if (f32) applyUpdate32(opt, lr, t, params, grads, state, c, scale, lo, hi);
    else applyUpdate64(opt, lr, t, params, grads, state, c, scale, lo, hi);
  }
}

/** Slot k of the state arena as a view. */
function slot(state: FloatArray, k: number, len: number): FloatArray {
  return state.subarray(k * len, (k + 1) * len);
}

/** Float32: every operation rounded, in native's order. */
function applyUpdate32(
  opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray,
  c: Record<string, number>, scale: number, lo: number, hi: number,
): void {
  const f = Math.fround;
  const len = params.length;
  const scaled = scale !== 1;
  const sc = scale < 1.1754943508222875e-38 ? 0 : f(scale); // as native: a denormal factor is 0 under FTZ/DAZ
  const clipValue = opt.clipValue ?? 0;
  const clamped = clipValue > 0;
  const clipHi = f(clipValue), clipLo = -clipHi;
  // g = grad; if (scaled) g = g·scale; if (clamped) g = min(hi, max(lo, g)) with max(a, b) = a > b ? a : b.
  const prep = (i: number): number => {
    let g = grads[i];
    if (scaled) g = f(g * sc);
    if (clamped) {
      const m = clipLo > g ? clipLo : g;
      g = clipHi < m ? clipHi : m;
    }
    return g;
  };
  const wd = f(opt.weightDecay);
  const wdOn = wd !== 0;
  switch (opt.kind) {
    case 'sgd': {
      const lrF = f(lr), mu = f(opt.momentum), omd = f(1 - opt.dampening);
      const first = t === 1;
      const buf = slot(state, 0, len);
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        if (mu !== 0) {
          const b = first ? g : f(f(mu * buf[i]) + f(omd * g));
          buf[i] = b;
          g = opt.nesterov ? f(g + f(mu * b)) : b;
        }
        params[i] = f(th - f(lrF * g));
      }
      return;
    }
    case 'adam': {
      const ss = f(c.stepSize), bc2 = f(c.bc2Sqrt), decay = f(c.decay);
      const b1 = f(opt.beta1), omb1 = f(1 - opt.beta1), b2 = f(opt.beta2), omb2 = f(1 - opt.beta2), eps = f(opt.eps);
      const l2 = !opt.decoupled && wdOn, decoupled = opt.decoupled && wdOn, ams = opt.amsgrad === true;
      const m = slot(state, 0, len), v = slot(state, 1, len), vmax = ams ? slot(state, 2, len) : v;
      for (let i = lo; i < hi; i++) {
        let th = params[i];
        let g = prep(i);
        if (l2) g = f(g + f(wd * th));
        if (decoupled) th = f(th * decay);
        const mi = f(f(b1 * m[i]) + f(omb1 * g));
        let vi = f(f(b2 * v[i]) + f(omb2 * f(g * g)));
        m[i] = mi;
        v[i] = vi;
        if (ams) {
          const old = vmax[i];
          vi = old > vi ? old : vi;
          vmax[i] = vi;
        }
        const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
        params[i] = f(th - f(ss * f(mi / denom)));
      }
      return;
    }
    case 'adagrad': {
      const clr = f(c.clr), eps = f(opt.eps);
      const sum = slot(state, 0, len);
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const s = f(sum[i] + f(g * g));
        sum[i] = s;
        params[i] = f(th - f(clr * f(g / f(f(Math.sqrt(s)) + eps))));
      }
      return;
    }
    case 'adadelta': {
      const lrF = f(lr), rho = f(opt.rho), omr = f(1 - opt.rho), eps = f(opt.eps);
      const v = slot(state, 0, len), u = slot(state, 1, len);
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const vi = f(f(rho * v[i]) + f(omr * f(g * g)));
        v[i] = vi;
        const sd = f(Math.sqrt(f(vi + eps)));
        const d = f(f(f(Math.sqrt(f(u[i] + eps))) / sd) * g);
        u[i] = f(f(rho * u[i]) + f(omr * f(d * d)));
        params[i] = f(th - f(lrF * d));
      }
      return;
    }
    case 'rmsprop': {
      const lrF = f(lr), alpha = f(opt.alpha), oma = f(1 - opt.alpha), eps = f(opt.eps), mu = f(opt.momentum);
      const mom = mu !== 0, centered = opt.centered;
      const v = slot(state, 0, len);
      let k = 1;
      const buf = mom ? slot(state, k++, len) : v;
      const ga = centered ? slot(state, k++, len) : v;
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const vi = f(f(alpha * v[i]) + f(oma * f(g * g)));
        v[i] = vi;
        let avg: number;
        if (centered) {
          const gi = f(f(alpha * ga[i]) + f(oma * g));
          ga[i] = gi;
          const diff = f(vi - f(gi * gi));
          avg = f(f(Math.sqrt(0 > diff ? 0 : diff)) + eps);
        } else {
          avg = f(f(Math.sqrt(vi)) + eps);
        }
        if (mom) {
          const b = f(f(mu * buf[i]) + f(g / avg));
          buf[i] = b;
          params[i] = f(th - f(lrF * b));
        } else {
          params[i] = f(th - f(lrF * f(g / avg)));
        }
      }
      return;
    }
    case 'adamax': {
      const clr = f(c.clr), b1 = f(opt.beta1), omb1 = f(1 - opt.beta1), b2 = f(opt.beta2), eps = f(opt.eps);
      const m = slot(state, 0, len), u = slot(state, 1, len);
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const mi = f(f(b1 * m[i]) + f(omb1 * g));
        const a = f(b2 * u[i]), b = f(Math.abs(g) + eps);
        const ui = a > b ? a : b;
        m[i] = mi;
        u[i] = ui;
        params[i] = f(th - f(clr * f(mi / ui)));
      }
      return;
    }
    case 'nadam': {
      const c1 = f(c.c1), c2 = f(c.c2), bc2 = f(c.bc2);
      const b1 = f(opt.beta1), omb1 = f(1 - opt.beta1), b2 = f(opt.beta2), omb2 = f(1 - opt.beta2), eps = f(opt.eps);
      const m = slot(state, 0, len), v = slot(state, 1, len);
      for (let i = lo; i < hi; i++) {
        let th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const mi = f(f(b1 * m[i]) + f(omb1 * g));
        const vi = f(f(b2 * v[i]) + f(omb2 * f(g * g)));
        m[i] = mi;
        v[i] = vi;
        const denom = f(f(Math.sqrt(f(vi / bc2))) + eps);
        th = f(th - f(c1 * f(g / denom)));
        params[i] = f(th - f(c2 * f(mi / denom)));
      }
      return;
    }
    case 'radam': {
      const ss = f(c.stepSize), bc2 = f(c.bc2Sqrt), rect = c.rectified === 1;
      const b1 = f(opt.beta1), omb1 = f(1 - opt.beta1), b2 = f(opt.beta2), omb2 = f(1 - opt.beta2), eps = f(opt.eps);
      const m = slot(state, 0, len), v = slot(state, 1, len);
      for (let i = lo; i < hi; i++) {
        const th = params[i];
        let g = prep(i);
        if (wdOn) g = f(g + f(wd * th));
        const mi = f(f(b1 * m[i]) + f(omb1 * g));
        const vi = f(f(b2 * v[i]) + f(omb2 * f(g * g)));
        m[i] = mi;
        v[i] = vi;
        const step = rect ? f(mi * f(bc2 / f(f(Math.sqrt(vi)) + eps))) : mi;
        params[i] = f(th - f(ss * step));
      }
      return;
    }
    case 'lion': {
      const lrF = f(lr), b1 = f(opt.beta1), omb1 = f(1 - opt.beta1), b2 = f(opt.beta2), omb2 = f(1 - opt.beta2);
      const decay = f(c.decay);
      const m = slot(state, 0, len);
      for (let i = lo; i < hi; i++) {
        let th = params[i];
        const g = prep(i);
        const mo = m[i];
        const ci = f(f(b1 * mo) + f(omb1 * g));
        m[i] = f(f(b2 * mo) + f(omb2 * g));
        if (wdOn) th = f(th * decay);
        const sign = (ci > 0 ? 1 : 0) - (ci < 0 ? 1 : 0);
        params[i] = f(th - f(lrF * sign));
      }
      return;
    }
  }
}

/** Float64 reference: the same formulas, unrounded (PyTorch's operation order where it matters). */
function applyUpdate64(
  opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray,
  c: Record<string, number>, scale: number, lo: number, hi: number,
): void {
  const len = params.length;
  const cv = opt.clipValue ?? 0;
  const prep = (i: number): number => {
    let g = grads[i] * scale;
    if (cv > 0) g = Math.min(cv, Math.max(-cv, g));
    return g;
  };
  const wd = opt.weightDecay;
  const slots = Array.from({ length: stateSlots(opt) }, (_, k) => slot(state, k, len));
  switch (opt.kind) {
    case 'sgd': {
      const { momentum: mu, dampening, nesterov } = opt;
      for (let i = lo; i < hi; i++) {
        let g = prep(i) + wd * params[i];
        if (mu !== 0) {
          const b = slots[0];
          b[i] = t === 1 ? g : mu * b[i] + (1 - dampening) * g;
          g = nesterov ? g + mu * b[i] : b[i];
        }
        params[i] -= lr * g;
      }
      return;
    }
    case 'adam': {
      const { beta1, beta2, eps, decoupled } = opt;
      const [m, v, vmax] = slots;
      for (let i = lo; i < hi; i++) {
        const th = decoupled ? params[i] * c.decay : params[i];
        const g = decoupled ? prep(i) : prep(i) + wd * th;
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        let vi = v[i];
        if (opt.amsgrad) vi = vmax[i] = Math.max(vmax[i], vi);
        params[i] = th - (c.stepSize * m[i]) / (Math.sqrt(vi) / c.bc2Sqrt + eps);
      }
      return;
    }
    case 'adagrad': {
      const [s] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        s[i] += g * g;
        params[i] -= (c.clr * g) / (Math.sqrt(s[i]) + opt.eps);
      }
      return;
    }
    case 'adadelta': {
      const { rho, eps } = opt;
      const [v, u] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        v[i] = rho * v[i] + (1 - rho) * g * g;
        const d = (Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps)) * g;
        u[i] = rho * u[i] + (1 - rho) * d * d;
        params[i] -= lr * d;
      }
      return;
    }
    case 'rmsprop': {
      const { alpha, eps, momentum: mu, centered } = opt;
      const v = slots[0];
      let k = 1;
      const buf = mu !== 0 ? slots[k++] : v;
      const ga = centered ? slots[k++] : v;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        v[i] = alpha * v[i] + (1 - alpha) * g * g;
        let avg: number;
        if (centered) {
          ga[i] = alpha * ga[i] + (1 - alpha) * g;
          avg = Math.sqrt(Math.max(0, v[i] - ga[i] * ga[i])) + eps;
        } else {
          avg = Math.sqrt(v[i]) + eps;
        }
        if (mu !== 0) {
          buf[i] = mu * buf[i] + g / avg;
          params[i] -= lr * buf[i];
        } else {
          params[i] -= (lr * g) / avg;
        }
      }
      return;
    }
    case 'adamax': {
      const { beta1, beta2, eps } = opt;
      const [m, u] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        u[i] = Math.max(beta2 * u[i], Math.abs(g) + eps);
        params[i] -= (c.clr * m[i]) / u[i];
      }
      return;
    }
    case 'nadam': {
      const { beta1, beta2, eps } = opt;
      const [m, v] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        const denom = Math.sqrt(v[i] / c.bc2) + eps;
        params[i] -= (c.c1 * g) / denom;
        params[i] -= (c.c2 * m[i]) / denom;
      }
      return;
    }
    case 'radam': {
      const { beta1, beta2, eps } = opt;
      const [m, v] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i) + wd * params[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        params[i] -= c.rectified ? c.stepSize * m[i] * (c.bc2Sqrt / (Math.sqrt(v[i]) + eps)) : c.stepSize * m[i];
      }
      return;
    }
    case 'lion': {
      const { beta1, beta2 } = opt;
      const [m] = slots;
      for (let i = lo; i < hi; i++) {
        const g = prep(i);
        const ci = beta1 * m[i] + (1 - beta1) * g;
        m[i] = beta2 * m[i] + (1 - beta2) * g;
        params[i] = params[i] * c.decay - lr * Math.sign(ci);
      }
      return;
    }
  }
}
