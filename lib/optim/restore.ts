/** Rebuilds an optimizer from what a saved model recorded ({ name, lr, spec }), validating it again. */
import { adam, adamw } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { sgd } from './sgd.js';

/** Throws TypeError/RangeError (from the factory) when the saved values are invalid, Error when the name is unknown. */
export function restoreOptimizer(saved: { name?: unknown; lr?: unknown; spec?: unknown }): Optimizer {
  const spec = (saved.spec ?? {}) as Record<string, unknown>;
  const lr = saved.lr as number;
  switch (saved.name) {
    case 'sgd':
      return sgd({ lr, momentum: spec.momentum as number, dampening: spec.dampening as number, nesterov: spec.nesterov as boolean, weightDecay: spec.weightDecay as number });
    case 'adam':
    case 'adamw':
      return (saved.name === 'adam' ? adam : adamw)({ lr, beta1: spec.beta1 as number, beta2: spec.beta2 as number, eps: spec.eps as number, weightDecay: spec.weightDecay as number });
    default:
      throw new Error(`unknown optimizer ${JSON.stringify(saved.name)}`);
  }
}
