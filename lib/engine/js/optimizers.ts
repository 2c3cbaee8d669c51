/**
 * The fused optimizer update of the pure-TS engine: one pass over the whole arena.
 * With float32 arenas every operation is rounded to float32 in the order documented on
 * AdamStep/SgdStep in native/kernels/table.h, so it matches the native kernels bit for bit;
 * with float64 arenas (the reference used by gradient checks) nothing is rounded.
 */
import type { OptimizerSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

const exact = (v: number): number => v;

/**
 * Applies one step (t counts from 1) of `opt` with learning rate `lr` to params, reading
 * grads and updating the state slots (formulas in engine.ts, PyTorch semantics).
 */
export function applyUpdate(opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray): void {
  const f = params instanceof Float32Array ? Math.fround : exact;
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
