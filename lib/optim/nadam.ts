import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface NadamOptions extends CommonOptions {
  /** Learning rate, > 0. Default 2e-3. */
  lr?: number;
  /** In [0, 1). Default 0.9. */
  beta1?: number;
  /** In [0, 1). Default 0.999. */
  beta2?: number;
  /** > 0. Default 1e-8. */
  eps?: number;
  /** ψ of the momentum schedule, ≥ 0. Default 4e-3. */
  momentumDecay?: number;
}

/**
 * NAdam, PyTorch's documented formula (torch.optim.NAdam, Dozat 2016), t from 1:
 * g ← g + wd·θ; μₜ = β1·(1 − ½·0.96^(t·ψ)); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
 * d = √(v / (1 − β2ᵗ)) + eps;
 * θ ← θ − lr·(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ) · g/d − lr·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ) · m/d.
 * (PyTorch 1.13's code multiplies μₜ into the second product twice; 2.0 fixed it to the doc.)
 * @example nadam({ lr: 2e-3 })
 */
export function nadam(options: NadamOptions = {}): Optimizer {
  const r = new OptionReader('nadam', options, ['beta1', 'beta2', 'eps', 'momentumDecay']);
  const { lr, weightDecay, clip } = r.common(2e-3);
  const beta1 = r.unit('beta1', 0.9);
  const beta2 = r.unit('beta2', 0.999);
  const eps = r.positive('eps', 1e-8);
  const momentumDecay = r.nonNegative('momentumDecay', 4e-3);
  return makeOptimizer('nadam', lr, { kind: 'nadam', beta1, beta2, eps, weightDecay, momentumDecay, ...clip });
}
