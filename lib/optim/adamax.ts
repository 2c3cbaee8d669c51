import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface AdamaxOptions extends CommonOptions {
  /** Learning rate, > 0. Default 2e-3. */
  lr?: number;
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** > 0. Default 1e-8. */
  eps?: number;
}

/**
 * Adamax, PyTorch's formula (torch.optim.Adamax, Kingma & Ba 2015 §7.1), t from 1:
 * g ← g + wd·θ; m ← β1·m + (1 − β1)·g; u ← max(β2·u, |g| + eps); θ ← θ − lr / (1 − β1ᵗ) · m / u.
 * @example adamax({ lr: 2e-3 })
 */
export function adamax(options: AdamaxOptions = {}): Optimizer {
  const r = new OptionReader('adamax', options, ['beta1', 'beta2', 'eps']);
  const { lr, weightDecay, clip } = r.common(2e-3);
  const beta1 = r.unit('beta1', 0.9);
  const beta2 = r.unit('beta2', 0.999);
  const eps = r.positive('eps', 1e-8);
  return makeOptimizer('adamax', lr, { kind: 'adamax', beta1, beta2, eps, weightDecay, ...clip });
}
