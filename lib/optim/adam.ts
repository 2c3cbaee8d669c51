import { checkInRange, checkKnownKeys, checkNonNegative, checkObject, checkPositive } from '../validate.js';
import type { Optimizer } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate, ≥ 0. Default 1e-3. */
  lr?: number;
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator, > 0. Default 1e-8. */
  eps?: number;
  /** L2 penalty (Adam) or decoupled decay (AdamW), ≥ 0. Default 0 (Adam), 0.01 (AdamW). */
  weightDecay?: number;
}

function build(name: 'adam' | 'adamw', options: AdamOptions, decoupled: boolean): Optimizer {
  const o = checkObject(`${name}(options)`, options);
  checkKnownKeys(`${name}(options)`, o, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
  const { lr: lrValue, beta1: b1Value, beta2: b2Value, eps: epsValue, weightDecay: wdValue } = o;
  const lr = lrValue === undefined ? 1e-3 : checkNonNegative(`${name}(options.lr)`, lrValue);
  const beta1 = b1Value === undefined ? 0.9 : checkInRange(`${name}(options.beta1)`, b1Value, 0, 1, true);
  const beta2 = b2Value === undefined ? 0.999 : checkInRange(`${name}(options.beta2)`, b2Value, 0, 1, true);
  const eps = epsValue === undefined ? 1e-8 : checkPositive(`${name}(options.eps)`, epsValue);
  const weightDecay = wdValue === undefined ? (decoupled ? 0.01 : 0) : checkNonNegative(`${name}(options.weightDecay)`, wdValue);
  return Object.freeze({
    name,
    lr,
    spec: Object.freeze({ kind: 'adam', beta1, beta2, eps, weightDecay, decoupled }),
  });
}

/**
 * Adam, PyTorch's formula (t from 1): g ← g + wd·θ; m ← β1·m + (1 − β1)·g;
 * v ← β2·v + (1 − β2)·g²; θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
 * @example adam({ lr: 1e-3 })
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return build('adam', options, false);
}

/**
 * AdamW: Adam with decoupled weight decay θ ← θ·(1 − lr·wd) before the Adam step.
 * @example adamw({ lr: 1e-3, weightDecay: 0.01 })
 */
export function adamw(options: AdamOptions = {}): Optimizer {
  return build('adamw', options, true);
}
