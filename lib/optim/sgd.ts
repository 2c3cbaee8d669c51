import { checkBoolean, checkKnownKeys, checkNonNegative, checkObject } from '../validate.js';
import type { Optimizer } from './optimizer.js';

export interface SgdOptions {
  /** Learning rate, ≥ 0. Default 0.01. */
  lr?: number;
  /** Momentum factor μ ≥ 0. Default 0. */
  momentum?: number;
  /** Dampening of the momentum buffer, ≥ 0. Default 0. */
  dampening?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, ≥ 0. Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, PyTorch's formula:
 * g ← g + wd·θ; b ← g at the first step, else μ·b + (1 − dampening)·g;
 * g ← nesterov ? g + μ·b : b (when μ ≠ 0); θ ← θ − lr·g.
 * @example sgd({ lr: 0.01, momentum: 0.9 })
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  const o = checkObject('sgd(options)', options);
  checkKnownKeys('sgd(options)', o, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
  const { lr: lrValue, momentum: mValue, dampening: dValue, nesterov: nValue, weightDecay: wdValue } = o;
  const lr = lrValue === undefined ? 0.01 : checkNonNegative('sgd(options.lr)', lrValue);
  const momentum = mValue === undefined ? 0 : checkNonNegative('sgd(options.momentum)', mValue);
  const dampening = dValue === undefined ? 0 : checkNonNegative('sgd(options.dampening)', dValue);
  const nesterov = nValue === undefined ? false : checkBoolean('sgd(options.nesterov)', nValue);
  const weightDecay = wdValue === undefined ? 0 : checkNonNegative('sgd(options.weightDecay)', wdValue);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `sgd(options.nesterov): expected momentum > 0 and dampening 0 with Nesterov momentum, received momentum ${momentum} and dampening ${dampening}`,
    );
  }
  return Object.freeze({
    name: 'sgd',
    lr,
    spec: Object.freeze({ kind: 'sgd', momentum, dampening, nesterov, weightDecay }),
  });
}
