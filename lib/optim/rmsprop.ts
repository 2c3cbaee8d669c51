import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface RmspropOptions extends CommonOptions {
  /** Learning rate, > 0. Default 0.01. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average, in [0, 1). Default 0.99. */
  alpha?: number;
  /** Added to the denominator, > 0. Default 1e-8. */
  eps?: number;
  /** Momentum factor, ≥ 0. Default 0. */
  momentum?: number;
  /** Normalise by the estimated variance (subtract the squared mean gradient). Default false. */
  centered?: boolean;
}

/**
 * RMSprop, PyTorch's formula (torch.optim.RMSprop, Hinton's lecture 6e; centered: Graves 2013):
 * g ← g + wd·θ; v ← α·v + (1 − α)·g²;
 * centered: ḡ ← α·ḡ + (1 − α)·g, d = √(v − ḡ²) + eps; otherwise d = √v + eps;
 * momentum μ > 0: b ← μ·b + g/d, θ ← θ − lr·b; otherwise θ ← θ − lr·g/d.
 * (v − ḡ² is clamped at 0, where rounding could make it negative and PyTorch returns NaN.)
 * @example rmsprop({ lr: 1e-3, momentum: 0.9, centered: true })
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  const r = new OptionReader('rmsprop', options, ['alpha', 'eps', 'momentum', 'centered']);
  const { lr, weightDecay, clip } = r.common(0.01);
  const alpha = r.unit('alpha', 0.99);
  const eps = r.positive('eps', 1e-8);
  const momentum = r.nonNegative('momentum', 0);
  const centered = r.boolean('centered', false);
  return makeOptimizer('rmsprop', lr, { kind: 'rmsprop', alpha, eps, weightDecay, momentum, centered, ...clip });
}
