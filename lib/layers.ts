/** Layer factories: plain, validated descriptions that a model turns into a plan. */
import { checkInteger, checkKnownKeys, checkObject, checkOneOf } from './validate.js';
import { initializers, type Initializer } from './init.js';
import type { Activation } from './engine/engine.js';

export type { Activation } from './engine/engine.js';
export const activations: readonly Activation[] = ['linear', 'relu', 'softmax'];

/** Widest layer accepted: beyond this, arenas or activations would not fit a typed array. */
export const MAX_UNITS = 1 << 24;

export interface DenseOptions {
  /** Applied after the affine map; default 'linear'. */
  activation?: Activation;
  /** Default: 'heUniform' after ReLU, 'glorotUniform' otherwise. The bias starts at zero. */
  kernelInitializer?: Initializer;
  /** Name used by getWeights (`<name>/kernel`, `<name>/bias`); default `dense_<index>`. */
  name?: string;
}

export interface DenseLayer {
  readonly kind: 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly kernelInitializer: Initializer;
  readonly name: string | undefined;
}

export type Layer = DenseLayer;

/**
 * A fully connected layer: y = activation(x·W + b), W of shape [inputs, units].
 * @example dense(128, { activation: 'relu' })
 */
export function dense(units: number, options: DenseOptions = {}): DenseLayer {
  checkInteger('dense(units)', units, 1, MAX_UNITS);
  const o = checkObject('dense(options)', options);
  checkKnownKeys('dense(options)', o, ['activation', 'kernelInitializer', 'name']);
  const activationValue = o.activation;
  const initValue = o.kernelInitializer;
  const nameValue = o.name;
  const activation = activationValue === undefined ? 'linear' : checkOneOf('dense(options.activation)', activationValue, activations);
  const kernelInitializer =
    initValue === undefined
      ? activation === 'relu' ? 'heUniform' : 'glorotUniform'
      : checkOneOf('dense(options.kernelInitializer)', initValue, initializers);
  if (nameValue !== undefined && (typeof nameValue !== 'string' || nameValue === '' || nameValue.includes('/'))) {
    throw new TypeError(`dense(options.name): expected a non-empty string without '/', received ${typeof nameValue === 'string' ? JSON.stringify(nameValue) : typeof nameValue}`);
  }
  return Object.freeze({ kind: 'dense', units, activation, kernelInitializer, name: nameValue as string | undefined });
}
