import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface AdadeltaOptions extends CommonOptions {
  /** Scale of the update, > 0. Default 1. */
  lr?: number;
  /** Decay of the running averages, in [0, 1). Default 0.9. */
  rho?: number;
  /** Added inside the square roots, > 0. Default 1e-6. */
  eps?: number;
}

/**
 * Adadelta, PyTorch's formula (torch.optim.Adadelta, Zeiler 2012):
 * g ← g + wd·θ; v ← ρ·v + (1 − ρ)·g²; Δ ← √(u + eps) / √(v + eps) · g;
 * u ← ρ·u + (1 − ρ)·Δ²; θ ← θ − lr·Δ.
 * @example adadelta({ rho: 0.9 })
 */
export function adadelta(options: AdadeltaOptions = {}): Optimizer {
  const r = new OptionReader('adadelta', options, ['rho', 'eps']);
  const { lr, weightDecay, clip } = r.common(1);
  const rho = r.unit('rho', 0.9);
  const eps = r.positive('eps', 1e-6);
  return makeOptimizer('adadelta', lr, { kind: 'adadelta', rho, eps, weightDecay, ...clip });
}
