/**
 * Losses: names or specs with settings, checked against the network's output layer. The
 * engines compute them (formulas in lib/engine/engine.ts, 'mean' reduction as PyTorch).
 */
import type { LossName, LossSpec } from './engine/engine.js';
import { checkBoolean, checkInRange, checkKnownKeys, checkObject, checkOneOf, checkPositive } from './validate.js';
import { typeError } from './errors.js';

export type { LossName, LossSpec } from './engine/engine.js';

export const lossNames: readonly LossName[] = [
  'meanSquaredError', 'meanAbsoluteError', 'huber', 'binaryCrossentropy', 'categoricalCrossentropy',
  'hinge', 'squaredHinge', 'categoricalHinge', 'kullbackLeiblerDivergence', 'logCosh', 'poisson',
];

/** Short names accepted for the long ones (Keras's). */
export const lossAliases: Readonly<Record<string, LossName>> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  kld: 'kullbackLeiblerDivergence',
  klDivergence: 'kullbackLeiblerDivergence',
  sparseCategoricalCrossentropy: 'categoricalCrossentropy',
};

/** A loss name, an alias, or a spec made by `losses.*`. */
export type Loss = LossName | keyof typeof lossAliases | LossSpec;

const make = (kind: LossName, o: Partial<LossSpec> = {}): LossSpec =>
  Object.freeze({ kind, fromLogits: o.fromLogits ?? false, labelSmoothing: o.labelSmoothing ?? 0, delta: o.delta ?? 1 });

function options(name: string, value: unknown, keys: string[]): Record<string, unknown> {
  const o = checkObject(`losses.${name}(options)`, value);
  checkKnownKeys(`losses.${name}(options)`, o, keys);
  return o;
}

const fromLogits = (name: string, o: Record<string, unknown>) => (o.fromLogits === undefined ? false : checkBoolean(`losses.${name}(options.fromLogits)`, o.fromLogits));

/** Loss factories, for losses with settings. @example compile({ loss: losses.huber({ delta: 2 }), … }) */
export const losses = {
  meanSquaredError: () => make('meanSquaredError'),
  meanAbsoluteError: () => make('meanAbsoluteError'),
  /** δ > 0, default 1. */
  huber: (o: { delta?: number } = {}) => {
    const opts = options('huber', o, ['delta']);
    return make('huber', { delta: opts.delta === undefined ? 1 : checkPositive('losses.huber(options.delta)', opts.delta) });
  },
  /** Targets in [0, 1]; `fromLogits` for a linear output layer (fused, stable). */
  binaryCrossentropy: (o: { fromLogits?: boolean } = {}) => make('binaryCrossentropy', { fromLogits: fromLogits('binaryCrossentropy', options('binaryCrossentropy', o, ['fromLogits'])) }),
  /** Class indices or target rows; `labelSmoothing` ε in [0, 1]; `fromLogits` for a linear output layer. */
  categoricalCrossentropy: (o: { fromLogits?: boolean; labelSmoothing?: number } = {}) => {
    const opts = options('categoricalCrossentropy', o, ['fromLogits', 'labelSmoothing']);
    return make('categoricalCrossentropy', {
      fromLogits: fromLogits('categoricalCrossentropy', opts),
      labelSmoothing: opts.labelSmoothing === undefined ? 0 : checkInRange('losses.categoricalCrossentropy(options.labelSmoothing)', opts.labelSmoothing, 0, 1),
    });
  },
  /** Targets −1/1 or 0/1. */
  hinge: () => make('hinge'),
  squaredHinge: () => make('squaredHinge'),
  /** Multi-class hinge: class indices or one-hot rows. */
  categoricalHinge: () => make('categoricalHinge'),
  kullbackLeiblerDivergence: () => make('kullbackLeiblerDivergence'),
  logCosh: () => make('logCosh'),
  /** Targets ≥ 0; `fromLogits` when the output is the log of the rate (PyTorch's log_input). */
  poisson: (o: { fromLogits?: boolean } = {}) => make('poisson', { fromLogits: fromLogits('poisson', options('poisson', o, ['fromLogits'])) }),
};

/** Checks a loss option (name, alias or spec; specs also come from saved files). */
export function toLoss(argument: string, value: unknown): LossSpec {
  if (typeof value === 'string') {
    const name = lossAliases[value] ?? value;
    return make(checkOneOf(argument, name, lossNames));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(argument, `a loss name (${lossNames.join(', ')}) or losses.*(…)`, value);
  }
  const o = value as Record<string, unknown>;
  checkKnownKeys(argument, o, ['kind', 'fromLogits', 'labelSmoothing', 'delta']);
  const kind = checkOneOf(`${argument}.kind`, o.kind, lossNames);
  const spec = make(kind, {
    fromLogits: o.fromLogits === undefined ? false : checkBoolean(`${argument}.fromLogits`, o.fromLogits),
    labelSmoothing: o.labelSmoothing === undefined ? 0 : checkInRange(`${argument}.labelSmoothing`, o.labelSmoothing, 0, 1),
    delta: o.delta === undefined ? 1 : checkPositive(`${argument}.delta`, o.delta),
  });
  if (spec.fromLogits && kind !== 'binaryCrossentropy' && kind !== 'categoricalCrossentropy' && kind !== 'poisson') {
    throw new TypeError(`${argument}.fromLogits: applies to binaryCrossentropy, categoricalCrossentropy and poisson, received it with '${kind}'`);
  }
  if (spec.labelSmoothing !== 0 && kind !== 'categoricalCrossentropy') throw new TypeError(`${argument}.labelSmoothing: applies to categoricalCrossentropy, received it with '${kind}'`);
  if (spec.delta !== 1 && kind !== 'huber') throw new TypeError(`${argument}.delta: applies to huber, received it with '${kind}'`);
  return spec;
}
