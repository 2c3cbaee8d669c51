/**
 * Second-order and natural-gradient optimizers: L-BFGS, nonlinear conjugate gradient,
 * Newton-CG (Hessian-free) and K-FAC. They plug into compile/fit like the others; fit runs
 * them on whole batches (L-BFGS, CG and Newton-CG need the full batch — batchSize = n, the
 * default for them — unless created with `miniBatch: true`). Each epoch is one optimizer
 * `step` per batch, of up to `maxIter` iterations (PyTorch's LBFGS.step semantics).
 */
import { rangeError, typeError } from '../errors.js';
import type { LayerSpec, OptimizerSpec } from '../engine/engine.js';
import { Kfac, type KfacSettings } from '../second-order/kfac.js';
import { checkBoolean, checkInteger, checkKnownKeys, checkObject, checkOneOf, checkPositive, checkNonNegative } from '../validate.js';
import type { Optimizer, OptimizerStateDict } from './optimizer.js';
import { Lbfgs, type LbfgsSettings } from '../second-order/lbfgs.js';
import { ConjugateGradient, type CgSettings, type CgVariant } from '../second-order/conjugate-gradient.js';
import { NewtonCg, type NewtonCgSettings } from '../second-order/newton-cg.js';
import type { StepReport } from '../second-order/lbfgs.js';
import type { Objective } from '../second-order/objective.js';
import type { Vectors } from '../second-order/vectors.js';
import type { MethodState } from '../second-order/state.js';

export type SecondOrderKind = 'lbfgs' | 'conjugateGradient' | 'newtonCg' | 'kfac';

/** What a method may need to know about the model it trains. */
export interface MethodContext {
  layers: readonly LayerSpec[];
}

/** One method instance: its state carries over between steps (and is saved with the model). */
export interface SecondOrderMethod {
  step(objective: Objective, vec: Vectors): Promise<StepReport>;
  /** Everything later steps depend on (saved with the model). */
  exportState(): MethodState;
  /** Restores exportState's result for a model of n parameters (TypeError when it does not fit). */
  importState(state: MethodState, n: number): void;
}

export interface SecondOrderOptimizer extends Optimizer {
  readonly kind: SecondOrderKind;
  /** The validated options, as saved with the model. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Whether mini-batches are allowed (K-FAC always; the others when created with miniBatch: true). */
  readonly miniBatch: boolean;
  /** Whether fit's batchSize defaults to the whole training set (all but K-FAC). */
  readonly fullBatch: boolean;
  /** Needs exact Hessian-vector products from the engine. */
  readonly needsHessian: boolean;
  /** @internal The method and its state (a fresh one after each compile). */
  method(context: MethodContext): SecondOrderMethod;
  /** @internal Starts over (compile). */
  reset(): void;
  /** @internal The method's state when it has run (for checkpoints), else null. */
  methodState(): MethodState | null;
}

/** The engine plan's update is never used by these optimizers: a plain SGD spec with no state. */
const PLAN_SPEC: OptimizerSpec = Object.freeze({ kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });

export function isSecondOrder(optimizer: unknown): optimizer is SecondOrderOptimizer {
  return typeof optimizer === 'object' && optimizer !== null && typeof (optimizer as SecondOrderOptimizer).method === 'function' && 'needsHessian' in optimizer;
}

class SecondOrderImpl implements SecondOrderOptimizer {
  readonly spec = PLAN_SPEC;
  private instance: SecondOrderMethod | undefined;
  constructor(
    readonly name: SecondOrderKind,
    readonly kind: SecondOrderKind,
    readonly lr: number,
    readonly settings: Readonly<Record<string, unknown>>,
    readonly miniBatch: boolean,
    readonly needsHessian: boolean,
    private readonly create: (context: MethodContext) => SecondOrderMethod,
    readonly fullBatch = true,
  ) {
    Object.freeze(settings);
  }
  method(context: MethodContext): SecondOrderMethod {
    return (this.instance ??= this.create(context));
  }
  reset(): void {
    this.instance = undefined;
  }
  methodState(): MethodState | null {
    return this.instance ? this.instance.exportState() : null;
  }
  stateDict(): OptimizerStateDict {
    return { name: this.name, lr: this.lr, spec: { ...this.spec }, step: 0, slots: {} };
  }
  loadStateDict(state: OptimizerStateDict): void {
    const o = checkObject(`${this.name}.loadStateDict(state)`, state);
    if (o.name !== this.name) throw rangeError(`${this.name}.loadStateDict(state).name`, `'${this.name}'`, o.name);
  }
}

function reader(name: string, options: unknown, known: string[]) {
  const o = checkObject(`${name}(options)`, options);
  checkKnownKeys(`${name}(options)`, o, known);
  const arg = (k: string) => `${name}(options.${k})`;
  return {
    o,
    positive: (k: string, d: number) => (o[k] === undefined ? d : checkPositive(arg(k), o[k])),
    nonNegative: (k: string, d: number) => (o[k] === undefined ? d : checkNonNegative(arg(k), o[k])),
    integer: (k: string, d: number, min = 1) => (o[k] === undefined ? d : checkInteger(arg(k), o[k], min)),
    boolean: (k: string, d: boolean) => (o[k] === undefined ? d : checkBoolean(arg(k), o[k])),
    oneOf: <T extends string>(k: string, d: T, values: readonly T[]) => (o[k] === undefined ? d : checkOneOf(arg(k), o[k], values)),
  };
}

export interface LbfgsOptions {
  /** Step length multiplier. Default 1. */
  lr?: number;
  /** Iterations per step (per epoch and batch). Default 20. */
  maxIter?: number;
  /** Loss evaluations per step. Default maxIter·5/4. */
  maxEval?: number;
  /** Stop when max |g| ≤ this (PyTorch's tolerance_grad). Default 1e-7. */
  tolerance?: number;
  /** Stop when the step or the loss changes less than this. Default 1e-9. */
  toleranceChange?: number;
  /** Curvature pairs kept, ≥ 1. Default 100. */
  historySize?: number;
  /** 'strongWolfe' or 'none' (a fixed step lr, PyTorch's default). Default 'none'. */
  lineSearch?: 'strongWolfe' | 'none';
  /** Allow fit with batchSize < n (each batch a separate deterministic problem). Default false. */
  miniBatch?: boolean;
}

/**
 * L-BFGS with PyTorch's torch.optim.LBFGS semantics and defaults.
 * @example model.compile({ loss: 'binaryCrossentropy', optimizer: lbfgs({ lineSearch: 'strongWolfe' }) })
 */
export function lbfgs(options: LbfgsOptions = {}): SecondOrderOptimizer {
  const r = reader('lbfgs', options, ['lr', 'maxIter', 'maxEval', 'tolerance', 'toleranceChange', 'historySize', 'lineSearch', 'miniBatch']);
  const lr = r.positive('lr', 1);
  const maxIter = r.integer('maxIter', 20);
  const settings: LbfgsSettings = {
    lr,
    maxIter,
    maxEval: r.integer('maxEval', Math.floor((maxIter * 5) / 4)),
    toleranceGrad: r.nonNegative('tolerance', 1e-7),
    toleranceChange: r.nonNegative('toleranceChange', 1e-9),
    historySize: r.integer('historySize', 100),
    lineSearch: r.oneOf('lineSearch', 'none', ['strongWolfe', 'none'] as const),
  };
  const miniBatch = r.boolean('miniBatch', false);
  const saved = { lr, maxIter, maxEval: settings.maxEval, tolerance: settings.toleranceGrad, toleranceChange: settings.toleranceChange, historySize: settings.historySize, lineSearch: settings.lineSearch, miniBatch };
  return new SecondOrderImpl('lbfgs', 'lbfgs', lr, saved, miniBatch, false, () => new Lbfgs(settings));
}

export interface ConjugateGradientOptions {
  lr?: number;
  /** β rule. Default 'polakRibiere' (PR+). */
  variant?: CgVariant;
  /** Restart to steepest descent every this many iterations; 0: only when needed. Default 0. */
  restart?: number;
  maxIter?: number;
  tolerance?: number;
  toleranceChange?: number;
  /** Only 'strongWolfe' (CG needs an accurate line search). */
  lineSearch?: 'strongWolfe';
  miniBatch?: boolean;
}

/**
 * Nonlinear conjugate gradient with a strong-Wolfe line search.
 * @example conjugateGradient({ variant: 'fletcherReeves', restart: 50 })
 */
export function conjugateGradient(options: ConjugateGradientOptions = {}): SecondOrderOptimizer {
  const r = reader('conjugateGradient', options, ['lr', 'variant', 'restart', 'maxIter', 'tolerance', 'toleranceChange', 'lineSearch', 'miniBatch']);
  const settings: CgSettings = {
    lr: r.positive('lr', 1),
    variant: r.oneOf('variant', 'polakRibiere', ['polakRibiere', 'fletcherReeves', 'hestenesStiefel'] as const),
    restart: r.integer('restart', 0, 0),
    maxIter: r.integer('maxIter', 20),
    toleranceGrad: r.nonNegative('tolerance', 1e-7),
    toleranceChange: r.nonNegative('toleranceChange', 1e-9),
    lineSearch: r.oneOf('lineSearch', 'strongWolfe', ['strongWolfe'] as const),
  };
  const miniBatch = r.boolean('miniBatch', false);
  const saved = { lr: settings.lr, variant: settings.variant, restart: settings.restart, maxIter: settings.maxIter, tolerance: settings.toleranceGrad, toleranceChange: settings.toleranceChange, lineSearch: settings.lineSearch, miniBatch };
  return new SecondOrderImpl('conjugateGradient', 'conjugateGradient', settings.lr, saved, miniBatch, false, () => new ConjugateGradient(settings));
}

export interface NewtonCgOptions {
  /** First trial step of the line search. Default 1. */
  lr?: number;
  /** Newton iterations per step. Default 10. */
  maxIter?: number;
  /** CG iterations per Newton iteration. Default 50. */
  cgMaxIter?: number;
  /** Initial Tikhonov damping λ > 0 added to the Hessian. Default 1e-3. */
  damping?: number;
  /** Adapt λ by the Levenberg–Marquardt rule. Default true. */
  adaptDamping?: boolean;
  tolerance?: number;
  toleranceChange?: number;
  miniBatch?: boolean;
}

/**
 * Truncated Newton (Hessian-free): CG on exact Hessian-vector products, damped.
 * @example newtonCg({ damping: 1e-4, maxIter: 20 })
 */
export function newtonCg(options: NewtonCgOptions = {}): SecondOrderOptimizer {
  const r = reader('newtonCg', options, ['lr', 'maxIter', 'cgMaxIter', 'damping', 'adaptDamping', 'tolerance', 'toleranceChange', 'miniBatch']);
  const settings: NewtonCgSettings = {
    lr: r.positive('lr', 1),
    maxIter: r.integer('maxIter', 10),
    cgMaxIter: r.integer('cgMaxIter', 50),
    damping: r.positive('damping', 1e-3),
    adaptDamping: r.boolean('adaptDamping', true),
    toleranceGrad: r.nonNegative('tolerance', 1e-7),
    toleranceChange: r.nonNegative('toleranceChange', 1e-12),
  };
  const miniBatch = r.boolean('miniBatch', false);
  const saved = { lr: settings.lr, maxIter: settings.maxIter, cgMaxIter: settings.cgMaxIter, damping: settings.damping, adaptDamping: settings.adaptDamping, tolerance: settings.toleranceGrad, toleranceChange: settings.toleranceChange, miniBatch };
  return new SecondOrderImpl('newtonCg', 'newtonCg', settings.lr, saved, miniBatch, true, () => new NewtonCg(settings));
}

/** Checks that a value is a second-order optimizer made by these factories. */
export function checkSecondOrder(argument: string, value: unknown): SecondOrderOptimizer {
  if (!isSecondOrder(value)) throw typeError(argument, 'an optimizer made by lbfgs(), conjugateGradient(), newtonCg() or kfac()', value);
  return value;
}

export interface KfacOptions {
  /** Default 0.05. */
  lr?: number;
  /** Heavy-ball momentum in [0, 1). Default 0.9. */
  momentum?: number;
  /** Tikhonov damping λ > 0. Default 1e-3. */
  damping?: number;
  /** Refresh the Kronecker factors every this many steps. Default 1. */
  updateFreq?: number;
  /** Recompute their damped inverses every this many steps. Default 10. */
  invFreq?: number;
  /** Moving-average decay of the factors, in [0, 1). Default 0.95. */
  statDecay?: number;
  /** κ of the KL clipping (0: off). Default 1e-3. */
  klClip?: number;
  /** L2 term added to the gradient. Default 0. */
  weightDecay?: number;
}

/**
 * K-FAC natural gradient for dense layers, on mini-batches like Adam.
 * @example model.compile({ loss: 'categoricalCrossentropy', optimizer: kfac({ lr: 0.05, damping: 1e-3 }) })
 */
export function kfac(options: KfacOptions = {}): SecondOrderOptimizer {
  const r = reader('kfac', options, ['lr', 'momentum', 'damping', 'updateFreq', 'invFreq', 'statDecay', 'klClip', 'weightDecay']);
  const unit = (k: string, d: number) => {
    const v = r.nonNegative(k, d);
    if (v >= 1) throw rangeError(`kfac(options.${k})`, 'a number in [0, 1)', v);
    return v;
  };
  const settings: KfacSettings = {
    lr: r.positive('lr', 0.05),
    momentum: unit('momentum', 0.9),
    damping: r.positive('damping', 1e-3),
    updateFreq: r.integer('updateFreq', 1),
    invFreq: r.integer('invFreq', 10),
    statDecay: unit('statDecay', 0.95),
    klClip: r.nonNegative('klClip', 1e-3),
    weightDecay: r.nonNegative('weightDecay', 0),
  };
  return new SecondOrderImpl('kfac', 'kfac', settings.lr, { ...settings }, true, false, (context) => new Kfac(settings, context.layers), false);
}
