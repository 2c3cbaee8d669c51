/**
 * Layer factories: plain, validated, serialisable descriptions that a model turns into an
 * engine spec. Every layer takes `name` (used by getWeights: `<name>/kernel`, …).
 */
import { checkBoolean, checkInRange, checkInteger, checkKnownKeys, checkNumber, checkObject, checkOneOf, checkPositive } from './validate.js';
import { toInitializer, type Initializer, type InitializerSpec } from './init.js';
import { toRegularizer, type Regularizer } from './regularizers.js';
import { ACTIVATIONS, type Activation } from './engine/engine.js';

export type { Activation } from './engine/engine.js';

/** Activation names a layer accepts: the engine's, plus 'swish' (= 'silu'). */
export type ActivationName = Activation | 'swish';
export const activations: readonly ActivationName[] = [...ACTIVATIONS, 'swish'];

/** Widest layer accepted: beyond this, arenas or activations would not fit a typed array. */
export const MAX_UNITS = 1 << 24;

/** Default α: PyTorch's leaky_relu slope 0.01 and elu α 1. */
export function defaultAlpha(activation: Activation): number {
  return activation === 'elu' ? 1 : 0.01;
}

export interface DenseOptions {
  /** Applied after the affine map; default 'linear'. */
  activation?: ActivationName;
  /** leakyRelu's negative slope (default 0.01) or elu's α (default 1). */
  alpha?: number;
  /** Add a bias vector. Default true. */
  useBias?: boolean;
  /** Default: 'heUniform' after ReLU, 'glorotUniform' otherwise. */
  kernelInitializer?: Initializer;
  /** Default 'zeros'. */
  biasInitializer?: Initializer;
  /** l1(…), l2(…) or l1l2({ … }) on the kernel. */
  kernelRegularizer?: Regularizer | null;
  biasRegularizer?: Regularizer | null;
  /** false freezes the layer: its weights and optimizer state stay untouched. Default true. */
  trainable?: boolean;
  name?: string;
}

export interface DenseLayer {
  readonly kind: 'dense';
  readonly units: number;
  readonly activation: Activation;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly trainable: boolean;
  readonly name: string | undefined;
}

export interface ActivationLayer {
  readonly kind: 'activation';
  readonly activation: Activation;
  readonly alpha: number;
  readonly name: string | undefined;
}

export interface DropoutLayer {
  readonly kind: 'dropout';
  readonly rate: number;
  readonly name: string | undefined;
}

export interface BatchNormLayer {
  readonly kind: 'batchNorm';
  readonly momentum: number;
  readonly eps: number;
  readonly trainable: boolean;
  readonly name: string | undefined;
}

export interface LayerNormLayer {
  readonly kind: 'layerNorm';
  readonly eps: number;
  readonly trainable: boolean;
  readonly name: string | undefined;
}

export type Layer = DenseLayer | ActivationLayer | DropoutLayer | BatchNormLayer | LayerNormLayer;
export type LayerKind = Layer['kind'];
export const layerKinds: readonly LayerKind[] = ['dense', 'activation', 'dropout', 'batchNorm', 'layerNorm'];

function checkName(argument: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.includes('/')) {
    throw new TypeError(`${argument}: expected a non-empty string without '/', received ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`);
  }
  return value;
}

function checkActivation(argument: string, value: unknown): Activation {
  const name = checkOneOf(argument, value, activations);
  return name === 'swish' ? 'silu' : name;
}

function checkAlpha(argument: string, value: unknown, activation: Activation): number {
  if (value === undefined) return defaultAlpha(activation);
  if (activation !== 'leakyRelu' && activation !== 'elu') {
    throw new TypeError(`${argument}: alpha applies to 'leakyRelu' and 'elu', received it with '${activation}'`);
  }
  return checkNumber(argument, value);
}

/**
 * A fully connected layer: y = activation(x·W + b), W of shape [inputs, units].
 * @example dense(128, { activation: 'relu', kernelRegularizer: l2(1e-4) })
 */
export function dense(units: number, options: DenseOptions = {}): DenseLayer {
  checkInteger('dense(units)', units, 1, MAX_UNITS);
  const o = checkObject('dense(options)', options);
  checkKnownKeys('dense(options)', o, ['activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'trainable', 'name']);
  const activation = o.activation === undefined ? 'linear' : checkActivation('dense(options.activation)', o.activation);
  const alpha = checkAlpha('dense(options.alpha)', o.alpha, activation);
  const useBias = o.useBias === undefined ? true : checkBoolean('dense(options.useBias)', o.useBias);
  const kernelInitializer = toInitializer('dense(options.kernelInitializer)', o.kernelInitializer ?? (activation === 'relu' ? 'heUniform' : 'glorotUniform'));
  const biasInitializer = toInitializer('dense(options.biasInitializer)', o.biasInitializer ?? 'zeros');
  if (biasInitializer.kind === 'orthogonal') throw new RangeError("dense(options.biasInitializer): expected an initializer for a vector, received 'orthogonal' (kernels only)");
  const kernelRegularizer = toRegularizer('dense(options.kernelRegularizer)', o.kernelRegularizer);
  const biasRegularizer = toRegularizer('dense(options.biasRegularizer)', o.biasRegularizer);
  if (biasRegularizer && !useBias) throw new TypeError('dense(options.biasRegularizer): the layer has no bias (useBias: false)');
  const trainable = o.trainable === undefined ? true : checkBoolean('dense(options.trainable)', o.trainable);
  const name = checkName('dense(options.name)', o.name);
  return Object.freeze({ kind: 'dense', units, activation, alpha, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, trainable, name });
}

/**
 * An activation as a layer of its own (same width in and out).
 * @example activation('leakyRelu', { alpha: 0.2 })
 */
export function activation(name: ActivationName, options: { alpha?: number; name?: string } = {}): ActivationLayer {
  const fn = checkActivation('activation(name)', name);
  const o = checkObject('activation(options)', options);
  checkKnownKeys('activation(options)', o, ['alpha', 'name']);
  return Object.freeze({ kind: 'activation', activation: fn, alpha: checkAlpha('activation(options.alpha)', o.alpha, fn), name: checkName('activation(options.name)', o.name) });
}

/**
 * Inverted dropout: in training, zeroes each value with probability `rate` and scales the
 * rest by 1/(1 − rate); the identity in predict/evaluate. Masks follow the model's seed.
 * @example dropout(0.2)
 */
export function dropout(rate: number, options: { name?: string } = {}): DropoutLayer {
  const r = checkInRange('dropout(rate)', rate, 0, 1, true);
  const o = checkObject('dropout(options)', options);
  checkKnownKeys('dropout(options)', o, ['name']);
  return Object.freeze({ kind: 'dropout', rate: r, name: checkName('dropout(options.name)', o.name) });
}

/**
 * Batch normalization with PyTorch's semantics (momentum 0.1 for the running statistics,
 * eps 1e-5, affine). Training normalises with the batch's statistics (batches need ≥ 2 rows);
 * predict/evaluate with the running ones.
 * @example batchNorm()
 */
export function batchNorm(options: { momentum?: number; eps?: number; trainable?: boolean; name?: string } = {}): BatchNormLayer {
  const o = checkObject('batchNorm(options)', options);
  checkKnownKeys('batchNorm(options)', o, ['momentum', 'eps', 'trainable', 'name']);
  return Object.freeze({
    kind: 'batchNorm',
    momentum: o.momentum === undefined ? 0.1 : checkInRange('batchNorm(options.momentum)', o.momentum, 0, 1),
    eps: o.eps === undefined ? 1e-5 : checkPositive('batchNorm(options.eps)', o.eps),
    trainable: o.trainable === undefined ? true : checkBoolean('batchNorm(options.trainable)', o.trainable),
    name: checkName('batchNorm(options.name)', o.name),
  });
}

/**
 * Layer normalization over each row (eps 1e-5, affine).
 * @example layerNorm()
 */
export function layerNorm(options: { eps?: number; trainable?: boolean; name?: string } = {}): LayerNormLayer {
  const o = checkObject('layerNorm(options)', options);
  checkKnownKeys('layerNorm(options)', o, ['eps', 'trainable', 'name']);
  return Object.freeze({
    kind: 'layerNorm',
    eps: o.eps === undefined ? 1e-5 : checkPositive('layerNorm(options.eps)', o.eps),
    trainable: o.trainable === undefined ? true : checkBoolean('layerNorm(options.trainable)', o.trainable),
    name: checkName('layerNorm(options.name)', o.name),
  });
}

/** Rebuilds a layer from its saved description (every field re-validated). */
export function layerFromConfig(argument: string, value: unknown): Layer {
  const o = checkObject(argument, value);
  const kind = checkOneOf(`${argument}.kind`, o.kind, layerKinds);
  const { kind: _kind, ...rest } = o;
  switch (kind) {
    case 'dense': {
      const { units, ...options } = rest;
      if (options.activation !== 'leakyRelu' && options.activation !== 'elu') delete options.alpha;
      return dense(units as number, stripUndefined(options) as DenseOptions);
    }
    case 'activation': {
      const { activation: fn, ...options } = rest;
      if (fn !== 'leakyRelu' && fn !== 'elu') delete options.alpha;
      return activation(fn as ActivationName, stripUndefined(options));
    }
    case 'dropout': {
      const { rate, ...options } = rest;
      return dropout(rate as number, stripUndefined(options));
    }
    case 'batchNorm':
      return batchNorm(stripUndefined(rest));
    case 'layerNorm':
      return layerNorm(stripUndefined(rest));
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** Whether the layer has weights the optimizer may train. */
export function isTrainable(layer: Layer): boolean {
  return layer.kind === 'dense' || layer.kind === 'batchNorm' || layer.kind === 'layerNorm' ? layer.trainable : false;
}
