import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface RadamOptions extends CommonOptions {
  /** Learning rate, > 0. Default 1e-3. */
  lr?: number;
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** > 0. Default 1e-8. */
  eps?: number;
}

/**
 * RAdam, PyTorch's formula (torch.optim.RAdam, Liu et al. 2020), t from 1:
 * g ← g + wd·θ; m, v as Adam; ρ∞ = 2/(1 − β2) − 1; ρₜ = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ);
 * when ρₜ > 5: r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),
 * θ ← θ − lr·r · m/(1 − β1ᵗ) · √(1 − β2ᵗ)/(√v + eps); otherwise θ ← θ − lr · m/(1 − β1ᵗ).
 * @example radam({ lr: 1e-3 })
 */
export function radam(options: RadamOptions = {}): Optimizer {
  const r = new OptionReader('radam', options, ['beta1', 'beta2', 'eps']);
  const { lr, weightDecay, clip } = r.common(1e-3);
  const beta1 = r.unit('beta1', 0.9);
  const beta2 = r.unit('beta2', 0.999);
  const eps = r.positive('eps', 1e-8);
  return makeOptimizer('radam', lr, { kind: 'radam', beta1, beta2, eps, weightDecay, ...clip });
}
