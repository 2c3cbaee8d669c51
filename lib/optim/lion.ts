import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface LionOptions extends CommonOptions {
  /** Learning rate, > 0 (typically 3–10× smaller than Adam's). Default 1e-4. */
  lr?: number;
  /** Interpolation of the update direction, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the momentum, in [0, 1). Default 0.99. */
  beta2?: number;
  /** Decoupled weight decay λ, ≥ 0. Default 0. */
  weightDecay?: number;
}

/**
 * Lion, the paper's Algorithm 2 (Chen et al. 2023, "Symbolic Discovery of Optimization
 * Algorithms"; PyTorch has no Lion): c = β1·m + (1 − β1)·g; θ ← θ·(1 − lr·λ) − lr·sign(c);
 * m ← β2·m + (1 − β2)·g. sign(0) = 0.
 * @example lion({ lr: 1e-4, weightDecay: 1e-2 })
 */
export function lion(options: LionOptions = {}): Optimizer {
  const r = new OptionReader('lion', options, ['beta1', 'beta2']);
  const { lr, weightDecay, clip } = r.common(1e-4);
  const beta1 = r.unit('beta1', 0.9);
  const beta2 = r.unit('beta2', 0.99);
  return makeOptimizer('lion', lr, { kind: 'lion', beta1, beta2, weightDecay, ...clip });
}
