/** The fused optimizer update of the pure-TS engine: one pass over the whole arena. */
import type { OptimizerSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

/**
 * Applies one step (t counts from 1) of `opt` with learning rate `lr` to params, reading
 * grads and updating the state slots (formulas in engine.ts, PyTorch semantics).
 */
export function applyUpdate(opt: OptimizerSpec, lr: number, t: number, params: FloatArray, grads: FloatArray, state: FloatArray): void {
  const len = params.length;
  if (opt.kind === 'sgd') {
    const { momentum: mu, dampening, nesterov, weightDecay: wd } = opt;
    if (mu === 0) {
      for (let i = 0; i < len; i++) params[i] -= lr * (grads[i] + wd * params[i]);
      return;
    }
    const first = t === 1;
    for (let i = 0; i < len; i++) {
      const g = grads[i] + wd * params[i];
      const buf = first ? g : mu * state[i] + (1 - dampening) * g;
      state[i] = buf;
      const stored = state[i];
      params[i] -= lr * (nesterov ? g + mu * stored : stored);
    }
    return;
  }
  const { beta1, beta2, eps, weightDecay: wd, decoupled } = opt;
  const stepSize = lr / (1 - Math.pow(beta1, t));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
  const decay = decoupled ? 1 - lr * wd : 1;
  const l2 = decoupled ? 0 : wd;
  for (let i = 0; i < len; i++) {
    const p = params[i] * decay;
    const g = grads[i] + l2 * p;
    state[i] = beta1 * state[i] + (1 - beta1) * g;
    state[len + i] = beta2 * state[len + i] + (1 - beta2) * g * g;
    const m = state[i];
    const v = state[len + i];
    params[i] = p - (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
}
