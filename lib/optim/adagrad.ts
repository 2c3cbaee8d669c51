import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface AdagradOptions extends CommonOptions {
  /** Learning rate, > 0. Default 0.01. */
  lr?: number;
  /** Learning-rate decay per step, ≥ 0. Default 0. */
  lrDecay?: number;
  /** Starting value of the accumulated squares, ≥ 0. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator, > 0. Default 1e-10. */
  eps?: number;
}

/**
 * Adagrad, PyTorch's formula (torch.optim.Adagrad, Duchi et al. 2011), t from 1:
 * g ← g + wd·θ; s ← s + g² (s₀ = initialAccumulatorValue);
 * θ ← θ − lr / (1 + (t − 1)·lrDecay) · g / (√s + eps).
 * @example adagrad({ lr: 0.01 })
 */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  const r = new OptionReader('adagrad', options, ['lrDecay', 'initialAccumulatorValue', 'eps']);
  const { lr, weightDecay, clip } = r.common(0.01);
  const lrDecay = r.nonNegative('lrDecay', 0);
  const initialAccumulatorValue = r.nonNegative('initialAccumulatorValue', 0);
  const eps = r.positive('eps', 1e-10);
  return makeOptimizer('adagrad', lr, { kind: 'adagrad', lrDecay, initialAccumulatorValue, eps, weightDecay, ...clip });
}
