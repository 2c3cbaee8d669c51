/** Every optimizer factory by name (the CLI and loadModel look them up here). */
import { adadelta } from './adadelta.js';
import { adagrad } from './adagrad.js';
import { adam, adamw } from './adam.js';
import { adamax } from './adamax.js';
import { lion } from './lion.js';
import { nadam } from './nadam.js';
import type { Optimizer } from './optimizer.js';
import { radam } from './radam.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';
import { conjugateGradient, kfac, lbfgs, newtonCg } from './second-order.js';

export const optimizers = { sgd, adam, adamw, adagrad, adadelta, rmsprop, adamax, nadam, radam, lion, lbfgs, conjugateGradient, newtonCg, kfac } as const;
export type OptimizerName = keyof typeof optimizers;
export const optimizerNames = Object.keys(optimizers) as OptimizerName[];

/** Builds the optimizer `name` from its options (validated as the factory does). */
export function createOptimizer(name: string, options: Record<string, unknown>): Optimizer {
  if (!(optimizerNames as string[]).includes(name)) {
    throw new RangeError(`optimizer name: expected one of ${optimizerNames.map((n) => `'${n}'`).join(', ')}, received ${JSON.stringify(name)}`);
  }
  return (optimizers[name as OptimizerName] as (o: Record<string, unknown>) => Optimizer)(options);
}
