import { makeOptimizer, OptionReader, type CommonOptions, type Optimizer } from './optimizer.js';

export interface SgdOptions extends CommonOptions {
  /** Learning rate, > 0. Default 0.01. */
  lr?: number;
  /** Momentum factor μ ≥ 0. Default 0. */
  momentum?: number;
  /** Dampening of the momentum buffer, in [0, 1]. Default 0. */
  dampening?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, ≥ 0. Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, PyTorch's formula (torch.optim.SGD):
 * g ← g + wd·θ; b ← g at the first step, else μ·b + (1 − dampening)·g;
 * g ← nesterov ? g + μ·b : b (when μ ≠ 0); θ ← θ − lr·g.
 *
 * Batch, mini-batch and stochastic gradient descent are this optimizer with `fit`'s
 * `batchSize` set to n (all rows), k (1 < k < n) or 1 respectively:
 * @example
 * model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1 }) });
 * await model.fit(x, y, { batchSize: n });   // batch gradient descent: one step per epoch
 * await model.fit(x, y, { batchSize: 32 });  // mini-batch gradient descent
 * await model.fit(x, y, { batchSize: 1 });   // stochastic gradient descent: one row per step
 * sgd({ lr: 0.01, momentum: 0.9, nesterov: true })
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  const r = new OptionReader('sgd', options, ['momentum', 'dampening', 'nesterov']);
  const { lr, weightDecay, clip } = r.common(0.01);
  const momentum = r.nonNegative('momentum', 0);
  const dampening = r.unitClosed('dampening', 0);
  const nesterov = r.boolean('nesterov', false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `sgd(options.nesterov): expected momentum > 0 and dampening 0 with Nesterov momentum, received momentum ${momentum} and dampening ${dampening}`,
    );
  }
  return makeOptimizer('sgd', lr, { kind: 'sgd', momentum, dampening, nesterov, weightDecay, ...clip });
}
