/**
 * What every optimizer factory returns: a base learning rate, the engine's update spec
 * (formulas in lib/engine/engine.ts) and, once compiled into a model, access to its state.
 */
import { ShapeError, describe, rangeError, typeError } from '../errors.js';
import { stateSlots, type OptimizerSpec } from '../engine/engine.js';
import { checkInRange, checkKnownKeys, checkNonNegative, checkObject, checkPositive } from '../validate.js';

/** Everything needed to resume an optimizer: hyper-parameters, step count, state slots (arena layout). */
export interface OptimizerStateDict {
  name: string;
  lr: number;
  spec: OptimizerSpec;
  /** Optimizer steps taken (t of the last step). */
  step: number;
  /** Arena-sized state, by PyTorch's state names in camelCase (e.g. expAvg, expAvgSq). */
  slots: Record<string, Float32Array>;
  /** State of the learning-rate schedule the last fit used, when it was a schedule object. */
  schedule?: unknown;
}

/** A schedule as the optimizer sees it (lib/schedules): only its state matters here. */
export interface StatefulSchedule {
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

/** @internal What a model hands its optimizer at compile time. */
export interface OptimizerBinding {
  state: Float32Array;
  paramCount: number;
  counters: { steps: number };
  schedule?: StatefulSchedule;
}

/** @internal */
export const BIND = Symbol('downhill.optimizer.bind');

export interface Optimizer {
  readonly name: string;
  /** Base learning rate; a schedule may replace it per step. */
  readonly lr: number;
  /** The fused update the engine runs (formula in engine.ts). */
  readonly spec: OptimizerSpec;
  /** Hyper-parameters, step and state (copies); empty slots before compile. */
  stateDict(): OptimizerStateDict;
  /** Restores what stateDict returned (same optimizer kind and model size). */
  loadStateDict(state: OptimizerStateDict): void;
}

/** Names of the state slots of a spec, in arena order. */
export function slotNames(spec: OptimizerSpec): string[] {
  switch (spec.kind) {
    case 'sgd':
      return spec.momentum !== 0 ? ['momentumBuffer'] : [];
    case 'adam':
      return spec.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
    case 'adagrad':
      return ['sum'];
    case 'adadelta':
      return ['squareAvg', 'accDelta'];
    case 'rmsprop':
      return ['squareAvg', ...(spec.momentum !== 0 ? ['momentumBuffer'] : []), ...(spec.centered ? ['gradAvg'] : [])];
    case 'adamax':
      return ['expAvg', 'expInf'];
    case 'nadam':
    case 'radam':
      return ['expAvg', 'expAvgSq'];
    case 'lion':
      return ['expAvg'];
  }
}

class OptimizerImpl implements Optimizer {
  private binding: OptimizerBinding | undefined;
  private pendingSchedule: unknown;

  constructor(
    readonly name: string,
    readonly lr: number,
    readonly spec: OptimizerSpec,
  ) {
    Object.freeze(spec);
  }

  /** @internal */
  [BIND](binding: OptimizerBinding): void {
    this.binding = binding;
    if (binding.schedule && this.pendingSchedule !== undefined) {
      binding.schedule.loadStateDict(this.pendingSchedule);
      this.pendingSchedule = undefined;
    }
  }

  stateDict(): OptimizerStateDict {
    const b = this.binding;
    const n = b?.paramCount ?? 0;
    const slots: Record<string, Float32Array> = {};
    slotNames(this.spec).forEach((name, k) => (slots[name] = b ? b.state.slice(k * n, (k + 1) * n) : new Float32Array(0)));
    const dict: OptimizerStateDict = { name: this.name, lr: this.lr, spec: { ...this.spec }, step: b?.counters.steps ?? 0, slots };
    const schedule = b?.schedule?.stateDict() ?? this.pendingSchedule;
    if (schedule !== undefined) dict.schedule = schedule;
    return dict;
  }

  loadStateDict(state: OptimizerStateDict): void {
    const arg = `${this.name}.loadStateDict(state)`;
    const o = checkObject(arg, state);
    if (o.name !== this.name) throw rangeError(`${arg}.name`, `'${this.name}'`, o.name);
    const step = o.step;
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) throw rangeError(`${arg}.step`, 'an integer ≥ 0', step);
    const b = this.binding;
    if (!b) throw new TypeError(`${arg}: expected an optimizer compiled into a model (model.compile({ optimizer })), received one that is not`);
    const slots = checkObject(`${arg}.slots`, o.slots);
    const names = slotNames(this.spec);
    const n = b.paramCount;
    names.forEach((name) => {
      const v = slots[name];
      if (!(v instanceof Float32Array)) throw typeError(`${arg}.slots.${name}`, `a Float32Array(${n})`, v);
      if (v.length !== n) throw new ShapeError(`${arg}.slots.${name}`, `${n} values`, describe(v));
    });
    names.forEach((name, k) => b.state.set(slots[name] as Float32Array, k * n));
    b.counters.steps = step;
    if (o.schedule !== undefined) {
      if (b.schedule) b.schedule.loadStateDict(o.schedule);
      else this.pendingSchedule = o.schedule;
    }
  }
}

/** Builds an optimizer object (factories validate first). */
export function makeOptimizer(name: string, lr: number, spec: OptimizerSpec): Optimizer {
  return new OptimizerImpl(name, lr, spec);
}

/** @internal Connects a compiled model's state to its optimizer (a no-op for foreign objects). */
export function bindOptimizer(optimizer: Optimizer, binding: OptimizerBinding): void {
  const impl = optimizer as Partial<OptimizerImpl>;
  if (typeof impl[BIND] === 'function') impl[BIND](binding);
}

/** Options every optimizer takes. */
export interface CommonOptions {
  /** Learning rate, > 0 (the optimizer's default when omitted). */
  lr?: number;
  /** Weight decay, ≥ 0: an L2 term added to the gradient, or decoupled (AdamW, Lion). */
  weightDecay?: number;
  /** Scale all gradients so their global L2 norm is at most this (> 0), fused into the update. */
  clipNorm?: number;
  /** Clamp every gradient to [−clipValue, clipValue] (> 0), fused into the update. */
  clipValue?: number;
}

/** Reads the options of factory `name` once: known keys, then each value with its check. */
export class OptionReader {
  readonly o: Record<string, unknown>;
  constructor(
    readonly name: string,
    options: unknown,
    known: readonly string[],
  ) {
    this.o = { ...checkObject(`${name}(options)`, options) };
    checkKnownKeys(`${name}(options)`, this.o, [...known, 'lr', 'weightDecay', 'clipNorm', 'clipValue']);
  }
  private arg(key: string): string {
    return `${this.name}(options.${key})`;
  }
  positive(key: string, fallback: number): number {
    const v = this.o[key];
    return v === undefined ? fallback : checkPositive(this.arg(key), v);
  }
  nonNegative(key: string, fallback: number): number {
    const v = this.o[key];
    return v === undefined ? fallback : checkNonNegative(this.arg(key), v);
  }
  /** In [0, 1). */
  unit(key: string, fallback: number): number {
    const v = this.o[key];
    return v === undefined ? fallback : checkInRange(this.arg(key), v, 0, 1, true);
  }
  /** In [0, 1]. */
  unitClosed(key: string, fallback: number): number {
    const v = this.o[key];
    return v === undefined ? fallback : checkInRange(this.arg(key), v, 0, 1);
  }
  boolean(key: string, fallback: boolean): boolean {
    const v = this.o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw typeError(this.arg(key), 'a boolean', v);
    return v;
  }
  /** lr, weightDecay and the clip options; clip keys appear in the spec only when set. */
  common(lrDefault: number, wdDefault = 0): { lr: number; weightDecay: number; clip: { clipNorm?: number; clipValue?: number } } {
    const clip: { clipNorm?: number; clipValue?: number } = {};
    if (this.o.clipNorm !== undefined) clip.clipNorm = checkPositive(this.arg('clipNorm'), this.o.clipNorm);
    if (this.o.clipValue !== undefined) clip.clipValue = checkPositive(this.arg('clipValue'), this.o.clipValue);
    return { lr: this.positive('lr', lrDefault), weightDecay: this.nonNegative('weightDecay', wdDefault), clip };
  }
}

/** State slots for a spec (re-exported for the model layer). */
export { stateSlots };
