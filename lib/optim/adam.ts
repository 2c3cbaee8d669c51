import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface AdamOptions extends CommonOptions {
  /** Learning rate, > 0. Default 1e-3. */
  lr?: number;
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator, > 0. Default 1e-8. */
  eps?: number;
  /** L2 penalty (Adam) or decoupled decay (AdamW), ≥ 0. Default 0 (Adam), 0.01 (AdamW). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (Reddi et al. 2018). Default false. */
  amsgrad?: boolean;
}

function build(name: 'adam' | 'adamw', options: AdamOptions, decoupled: boolean): Optimizer {
  const r = new OptionReader(name, options, ['beta1', 'beta2', 'eps', 'amsgrad']);
  const { lr, weightDecay, clip } = r.common(1e-3, decoupled ? 0.01 : 0);
  const beta1 = r.unit('beta1', 0.9);
  const beta2 = r.unit('beta2', 0.999);
  const eps = r.positive('eps', 1e-8);
  const amsgrad = r.boolean('amsgrad', false);
  return makeOptimizer(name, lr, { kind: 'adam', beta1, beta2, eps, weightDecay, decoupled, ...(amsgrad && { amsgrad }), ...clip });
}

/**
 * Adam, PyTorch's formula (torch.optim.Adam, Kingma & Ba 2015), t from 1:
 * g ← g + wd·θ; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; amsgrad: v̂ ← max(v̂, v), used for v;
 * θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
 * @example adam({ lr: 1e-3, amsgrad: true })
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return build('adam', options, false);
}

/**
 * AdamW (torch.optim.AdamW, Loshchilov & Hutter 2019): Adam with decoupled weight decay,
 * θ ← θ·(1 − lr·wd) before the Adam step (no L2 term in g).
 * @example adamw({ lr: 1e-3, weightDecay: 0.01 })
 */
export function adamw(options: AdamOptions = {}): Optimizer {
  return build('adamw', options, true);
}
