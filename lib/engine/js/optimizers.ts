/**
 * The fused optimizer update of the pure-TS engine: one pass over the whole arena.
 * With float32 arenas every operation is rounded to float32 in the order documented on
 * AdamStep/SgdStep in native/kernels/table.h, so it matches the native kernels bit for bit;
 * with float64 arenas (the reference used by gradient checks) nothing is rounded.
 */
import type { OptimizerSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

/**
 * Applies one step (t counts from 1) of `opt` with learning rate `lr` to params, reading
 * grads and updating the state slots (formulas in engine.ts, PyTorch semantics).
 */
export function applyUpdate(opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray): void {
  if (params instanceof Float32Array) applyUpdate32(opt, lr, t, params, grads, state);
  else applyUpdate64(opt, lr, t, params, grads, state);
}

/** Float32: every operation rounded (direct Math.fround calls, which V8 compiles to float32 arithmetic). */
function applyUpdate32(opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray): void {
  const f = Math.fround;
  const len = params.length;
  if (opt.kind === 'sgd') {
    const lrF = f(lr);
    const mu = f(opt.momentum);
    const omd = f(1 - opt.dampening);
    const wd = f(opt.weightDecay);
    const first = t === 1;
    for (let i = 0; i < len; i++) {
      const th = params[i];
      let g = grads[i];
      if (wd !== 0) g = f(g + f(wd * th));
      if (mu !== 0) {
        const b = first ? g : f(f(mu * state[i]) + f(omd * g));
        state[i] = b;
        g = opt.nesterov ? f(g + f(mu * b)) : b;
      }
      params[i] = f(th - f(lrF * g));
    }
    return;
  }
  const stepSize = f(lr / (1 - Math.pow(opt.beta1, t)));
  const bc2Sqrt = f(Math.sqrt(1 - Math.pow(opt.beta2, t)));
  const b1 = f(opt.beta1), omb1 = f(1 - opt.beta1);
  const b2 = f(opt.beta2), omb2 = f(1 - opt.beta2);
  const eps = f(opt.eps);
  const wd = f(opt.weightDecay);
  const decay = f(1 - lr * opt.weightDecay);
  const l2 = !opt.decoupled && wd !== 0;
  const decoupled = opt.decoupled && wd !== 0;
  for (let i = 0; i < len; i++) {
    let th = params[i];
    let g = grads[i];
    if (l2) g = f(g + f(wd * th));
    if (decoupled) th = f(th * decay);
    const m = f(f(b1 * state[i]) + f(omb1 * g));
    const v = f(f(b2 * state[len + i]) + f(omb2 * f(g * g)));
    state[i] = m;
    state[len + i] = v;
    const denom = f(f(Math.sqrt(v) / bc2Sqrt) + eps);
    params[i] = f(th - f(stepSize * f(m / denom)));
  }
}

/** Float64 reference: the same formulas, unrounded. */
function applyUpdate64(opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray): void {
  const len = params.length;
  if (opt.kind === 'sgd') {
    const { momentum: mu, dampening, nesterov, weightDecay: wd } = opt;
    for (let i = 0; i < len; i++) {
      let g = grads[i] + wd * params[i];
      if (mu !== 0) {
        state[i] = t === 1 ? g : mu * state[i] + (1 - dampening) * g;
        g = nesterov ? g + mu * state[i] : state[i];
      }
      params[i] -= lr * g;
    }
    return;
  }
  const { beta1, beta2, eps, weightDecay: wd, decoupled } = opt;
  const stepSize = lr / (1 - Math.pow(beta1, t));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
  for (let i = 0; i < len; i++) {
    const th = decoupled ? params[i] * (1 - lr * wd) : params[i];
    const g = decoupled ? grads[i] : grads[i] + wd * th;
    state[i] = beta1 * state[i] + (1 - beta1) * g;
    state[len + i] = beta2 * state[len + i] + (1 - beta2) * g * g;
    params[i] = th - (stepSize * state[i]) / (Math.sqrt(state[len + i]) / bc2Sqrt + eps);
  }
}
