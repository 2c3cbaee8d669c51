/**
 * Learning-rate schedules: pure TS that yields the learning rate of each optimizer step.
 * The fit loop asks `lrAt(step, epoch, baseLr)` for every step it hands the engine (one
 * Float32Array of rates per engine call), and tells stateful schedules each epoch's logs.
 * Formulas follow PyTorch's torch.optim.lr_scheduler (closed forms); `lr` options default
 * to the optimizer's learning rate. Times count from 0: optimizer steps by default, or
 * epochs with `unit: 'epoch'`.
 */
import { rangeError, typeError } from '../errors.js';
import { checkInRange, checkInteger, checkKnownKeys, checkNonNegative, checkObject, checkOneOf, checkPositive } from '../validate.js';

/** What `stateDict()` returns: enough to continue the same sequence of rates after a restart. */
export interface ScheduleState {
  name: string;
  /** Running state (reduceLrOnPlateau's current lr, best value, counters); {} for closed forms. */
  state: Record<string, number | null>;
  /** The inner schedule's state, for warmup(). */
  then?: ScheduleState;
}

export interface Schedule {
  readonly name: string;
  /** Learning rate of global optimizer step `step` (0-based) in epoch `epoch` (0-based). */
  lrAt(step: number, epoch: number, baseLr: number): number;
  /** Called by fit with each finished epoch's logs (reduceLrOnPlateau reads its metric). */
  onEpochEnd?(log: Readonly<Record<string, number | undefined>>): void;
  stateDict(): ScheduleState;
  loadStateDict(state: ScheduleState): void;
}

/** Options every closed-form schedule takes. */
export interface BaseOptions {
  /** Starting (peak) learning rate, > 0. Default: the optimizer's lr. */
  lr?: number;
  /** What the schedule counts: optimizer steps or epochs. Default 'step'. */
  unit?: 'step' | 'epoch';
}

type Reader = {
  o: Record<string, unknown>;
  arg: (k: string) => string;
  num: (k: string, fallback?: number) => number;
  pos: (k: string, fallback?: number) => number;
  nonNeg: (k: string, fallback?: number) => number;
  int: (k: string, min: number, fallback?: number) => number;
  unitRange: (k: string, fallback?: number, open?: boolean) => number;
  base: (baseLr: number) => number;
  time: (step: number, epoch: number) => number;
  unit: 'step' | 'epoch';
};

function reader(name: string, options: unknown, keys: string[]): Reader {
  const o = { ...checkObject(`schedules.${name}(options)`, options) };
  checkKnownKeys(`schedules.${name}(options)`, o, [...keys, 'lr', 'unit']);
  const arg = (k: string) => `schedules.${name}(options.${k})`;
  const need = (k: string, fallback: number | undefined): unknown => {
    if (o[k] === undefined && fallback === undefined) throw typeError(arg(k), 'a number', undefined);
    return o[k] ?? fallback;
  };
  const lr = o.lr === undefined ? undefined : checkPositive(arg('lr'), o.lr);
  const unit = o.unit === undefined ? 'step' : checkOneOf(arg('unit'), o.unit, ['step', 'epoch'] as const);
  return {
    o,
    arg,
    num: (k, f) => {
      const v = need(k, f);
      if (typeof v !== 'number') throw typeError(arg(k), 'a number', v);
      if (!Number.isFinite(v)) throw rangeError(arg(k), 'a finite number', v);
      return v;
    },
    pos: (k, f) => checkPositive(arg(k), need(k, f)),
    nonNeg: (k, f) => checkNonNegative(arg(k), need(k, f)),
    int: (k, min, f) => checkInteger(arg(k), need(k, f), min),
    unitRange: (k, f, open = false) => checkInRange(arg(k), need(k, f), 0, 1, open),
    base: (baseLr) => lr ?? baseLr,
    time: (step, epoch) => (unit === 'epoch' ? epoch : step),
    unit,
  };
}

/** A schedule whose rate is a pure function of time (no state). */
function closedForm(name: string, r: Reader, f: (t: number, base: number) => number): Schedule {
  return {
    name,
    lrAt: (step, epoch, baseLr) => f(r.time(step, epoch), r.base(baseLr)),
    stateDict: () => ({ name, state: {} }),
    loadStateDict: (s) => checkState(name, s),
  };
}

function checkState(name: string, s: unknown): Record<string, number | null> {
  const o = checkObject(`schedules.${name}.loadStateDict(state)`, s);
  if (o.name !== name) throw rangeError(`schedules.${name}.loadStateDict(state.name)`, `'${name}'`, o.name);
  return checkObject(`schedules.${name}.loadStateDict(state.state)`, o.state) as Record<string, number | null>;
}

/**
 * The optimizer's learning rate (or `lr`) at every step.
 * @example schedules.constant({ lr: 0.01 })
 */
export function constant(options: BaseOptions = {}): Schedule {
  const r = reader('constant', options, []);
  return closedForm('constant', r, (_t, base) => base);
}

/**
 * lr·γ^⌊t / stepSize⌋ (PyTorch StepLR).
 * @example schedules.stepDecay({ stepSize: 10, gamma: 0.5, unit: 'epoch' })
 */
export function stepDecay(options: BaseOptions & { stepSize: number; gamma?: number }): Schedule {
  const r = reader('stepDecay', options, ['stepSize', 'gamma']);
  const stepSize = r.int('stepSize', 1);
  const gamma = r.pos('gamma', 0.1);
  return closedForm('stepDecay', r, (t, base) => base * gamma ** Math.floor(t / stepSize));
}

/**
 * lr·γ^(number of milestones ≤ t) (PyTorch MultiStepLR).
 * @example schedules.multiStep({ milestones: [30, 80], gamma: 0.1, unit: 'epoch' })
 */
export function multiStep(options: BaseOptions & { milestones: number[]; gamma?: number }): Schedule {
  const r = reader('multiStep', options, ['milestones', 'gamma']);
  const m = r.o.milestones;
  if (!Array.isArray(m) || m.length === 0) throw typeError(r.arg('milestones'), 'a non-empty array of increasing integers ≥ 1', m);
  const milestones = m.map((v, i) => checkInteger(`${r.arg('milestones')}[${i}]`, v, i === 0 ? 1 : (m[i - 1] as number) + 1));
  const gamma = r.pos('gamma', 0.1);
  return closedForm('multiStep', r, (t, base) => base * gamma ** milestones.filter((v) => v <= t).length);
}

/**
 * lr·γᵗ (PyTorch ExponentialLR).
 * @example schedules.exponential({ gamma: 0.999 })
 */
export function exponential(options: BaseOptions & { gamma: number }): Schedule {
  const r = reader('exponential', options, ['gamma']);
  const gamma = r.pos('gamma');
  return closedForm('exponential', r, (t, base) => base * gamma ** t);
}

/**
 * (lr − endLr)·(1 − min(t, T)/T)^power + endLr (PyTorch PolynomialLR for endLr 0; Keras PolynomialDecay).
 * @example schedules.polynomial({ totalSteps: 10000, power: 2 })
 */
export function polynomial(options: BaseOptions & { totalSteps: number; power?: number; endLr?: number }): Schedule {
  const r = reader('polynomial', options, ['totalSteps', 'power', 'endLr']);
  const T = r.int('totalSteps', 1);
  const power = r.pos('power', 1);
  const endLr = r.nonNeg('endLr', 0);
  return closedForm('polynomial', r, (t, base) => (base - endLr) * (1 - Math.min(t, T) / T) ** power + endLr);
}

/**
 * minLr + (lr − minLr)·(1 + cos(π·min(t, T)/T))/2, then minLr (PyTorch CosineAnnealingLR's closed form, SGDR without restarts).
 * @example schedules.cosine({ totalSteps: 10000, minLr: 1e-5 })
 */
export function cosine(options: BaseOptions & { totalSteps: number; minLr?: number }): Schedule {
  const r = reader('cosine', options, ['totalSteps', 'minLr']);
  const T = r.int('totalSteps', 1);
  const minLr = r.nonNeg('minLr', 0);
  return closedForm('cosine', r, (t, base) => minLr + ((base - minLr) * (1 + Math.cos((Math.PI * Math.min(t, T)) / T))) / 2);
}

/**
 * Cosine annealing with warm restarts (SGDR, PyTorch CosineAnnealingWarmRestarts): cycles of
 * t0, t0·tMult, t0·tMult², … steps; within a cycle of length Tᵢ at position T꜀ᵤᵣ,
 * minLr + (lr − minLr)·(1 + cos(π·T꜀ᵤᵣ/Tᵢ))/2.
 * @example schedules.cosineWarmRestarts({ t0: 1000, tMult: 2 })
 */
export function cosineWarmRestarts(options: BaseOptions & { t0: number; tMult?: number; minLr?: number }): Schedule {
  const r = reader('cosineWarmRestarts', options, ['t0', 'tMult', 'minLr']);
  const t0 = r.int('t0', 1);
  const tMult = r.int('tMult', 1, 1);
  const minLr = r.nonNeg('minLr', 0);
  return closedForm('cosineWarmRestarts', r, (t, base) => {
    let cur = t;
    let len = t0;
    while (cur >= len) {
      cur -= len;
      len *= tMult;
    }
    return minLr + ((base - minLr) * (1 + Math.cos((Math.PI * cur) / len))) / 2;
  });
}

/**
 * Linear warmup in front of any schedule (PyTorch LinearLR + SequentialLR): for t < warmupSteps,
 * target·(startFactor + (1 − startFactor)·t/warmupSteps) with target = the inner schedule's
 * first rate (or the base lr); afterwards the inner schedule, started at t − warmupSteps.
 * @example schedules.warmup({ warmupSteps: 500, then: schedules.cosine({ totalSteps: 9500 }) })
 */
export function warmup(options: { warmupSteps: number; startFactor?: number; then?: Schedule; lr?: number; unit?: 'step' | 'epoch' }): Schedule {
  const r = reader('warmup', options, ['warmupSteps', 'startFactor', 'then']);
  const W = r.int('warmupSteps', 1);
  const startFactor = r.unitRange('startFactor', 0);
  const then = r.o.then as Schedule | undefined;
  if (then !== undefined && (then === null || typeof then !== 'object' || typeof then.lrAt !== 'function')) {
    throw typeError(r.arg('then'), 'a schedule such as schedules.cosine({ totalSteps })', then);
  }
  return {
    name: 'warmup',
    lrAt(step, epoch, baseLr) {
      const base = r.base(baseLr);
      const t = r.time(step, epoch);
      if (t >= W) {
        if (!then) return base;
        return r.unit === 'step' ? then.lrAt(step - W, epoch, base) : then.lrAt(step, epoch - W, base);
      }
      const target = then ? then.lrAt(0, 0, base) : base;
      return target * (startFactor + ((1 - startFactor) * t) / W);
    },
    onEpochEnd: (log) => then?.onEpochEnd?.(log),
    stateDict: () => ({ name: 'warmup', state: {}, ...(then && { then: then.stateDict() }) }),
    loadStateDict(s) {
      checkState('warmup', s);
      if (then && s.then) then.loadStateDict(s.then);
    },
  };
}

/**
 * The 1cycle policy (Smith & Topin 2018, PyTorch OneCycleLR): from maxLr/divFactor up to maxLr
 * over pctStart·totalSteps steps, then down to maxLr/(divFactor·finalDivFactor) (threePhase:
 * back to the start first); cosine or linear annealing. Holds the final rate after totalSteps.
 * @example schedules.oneCycle({ maxLr: 0.1, totalSteps: 10000 })
 */
export function oneCycle(options: {
  maxLr?: number; totalSteps: number; pctStart?: number; annealStrategy?: 'cos' | 'linear';
  divFactor?: number; finalDivFactor?: number; threePhase?: boolean; unit?: 'step' | 'epoch';
}): Schedule {
  const r = reader('oneCycle', options, ['maxLr', 'totalSteps', 'pctStart', 'annealStrategy', 'divFactor', 'finalDivFactor', 'threePhase']);
  const T = r.int('totalSteps', 2);
  const maxLrOpt = r.o.maxLr === undefined ? undefined : r.pos('maxLr');
  const pct = r.unitRange('pctStart', 0.3, true);
  const strategy = r.o.annealStrategy === undefined ? 'cos' : checkOneOf(r.arg('annealStrategy'), r.o.annealStrategy, ['cos', 'linear'] as const);
  const div = r.pos('divFactor', 25);
  const finalDiv = r.pos('finalDivFactor', 1e4);
  const threePhase = r.o.threePhase === undefined ? false : r.o.threePhase === true;
  if (r.o.threePhase !== undefined && typeof r.o.threePhase !== 'boolean') throw typeError(r.arg('threePhase'), 'a boolean', r.o.threePhase);
  const anneal = strategy === 'cos'
    ? (start: number, end: number, p: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * p) + 1)
    : (start: number, end: number, p: number) => (end - start) * p + start;
  return closedForm('oneCycle', r, (t, base) => {
    const maxLr = maxLrOpt ?? base;
    const initial = maxLr / div;
    const min = initial / finalDiv;
    const phases = threePhase
      ? [[pct * T - 1, initial, maxLr], [2 * pct * T - 2, maxLr, initial], [T - 1, initial, min]]
      : [[pct * T - 1, initial, maxLr], [T - 1, maxLr, min]];
    const step = Math.min(t, T - 1);
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, from, to] = phases[i];
      if (step <= end || i === phases.length - 1) return anneal(from, to, (step - start) / (end - start));
      start = end;
    }
    return min;
  });
}

/**
 * Cyclical learning rates (Smith 2017, PyTorch CyclicLR): between baseLr and maxLr, up over
 * stepSizeUp steps and down over stepSizeDown; 'triangular2' halves the amplitude each cycle,
 * 'exp_range' scales it by γᵗ.
 * @example schedules.cyclic({ baseLr: 1e-3, maxLr: 0.1, stepSizeUp: 2000 })
 */
export function cyclic(options: {
  baseLr?: number; maxLr: number; stepSizeUp?: number; stepSizeDown?: number;
  mode?: 'triangular' | 'triangular2' | 'exp_range'; gamma?: number; unit?: 'step' | 'epoch';
}): Schedule {
  const r = reader('cyclic', options, ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma']);
  const baseOpt = r.o.baseLr === undefined ? undefined : r.pos('baseLr');
  const maxLr = r.pos('maxLr');
  const up = r.int('stepSizeUp', 1, 2000);
  const down = r.o.stepSizeDown === undefined ? up : r.int('stepSizeDown', 1);
  const mode = r.o.mode === undefined ? 'triangular' : checkOneOf(r.arg('mode'), r.o.mode, ['triangular', 'triangular2', 'exp_range'] as const);
  const gamma = r.pos('gamma', 1);
  const total = up + down;
  const ratio = up / total;
  return closedForm('cyclic', r, (t, base) => {
    const baseLr = baseOpt ?? base;
    const cycle = Math.floor(1 + t / total);
    const x = 1 + t / total - cycle;
    const scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const height = (maxLr - baseLr) * scale;
    const factor = mode === 'triangular' ? 1 : mode === 'triangular2' ? 1 / 2 ** (cycle - 1) : gamma ** t;
    return baseLr + height * factor;
  });
}

export interface PlateauOptions {
  /** Starting lr, > 0. Default: the optimizer's lr. */
  lr?: number;
  /** Epoch-log key to watch. Default 'valLoss'. */
  monitor?: string;
  /** 'min' (lower is better) or 'max'. Default 'min'. */
  mode?: 'min' | 'max';
  /** Multiplier of the lr on a plateau, in (0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing, ≥ 0. Default 10. */
  patience?: number;
  /** Improvement needed to count, ≥ 0. Default 1e-4. */
  threshold?: number;
  /** 'rel' (best·(1 ∓ threshold)) or 'abs' (best ∓ threshold). Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again, ≥ 0. Default 0. */
  cooldown?: number;
  /** Lower bound of the lr, ≥ 0. Default 0. */
  minLr?: number;
  /** Reductions smaller than this are skipped, ≥ 0. Default 1e-8. */
  eps?: number;
}

/** PyTorch ReduceLROnPlateau's decision logic, on one monitored value per epoch. */
export class PlateauTracker {
  best: number;
  badEpochs = 0;
  cooldownLeft = 0;
  constructor(private readonly o: Required<Omit<PlateauOptions, 'lr' | 'monitor'>>) {
    this.best = o.mode === 'min' ? Infinity : -Infinity;
  }
  private better(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: th } = this.o;
    if (mode === 'min') return tm === 'rel' ? a < this.best * (1 - th) : a < this.best - th;
    return tm === 'rel' ? a > this.best * (th + 1) : a > this.best + th;
  }
  /** Feeds one value; returns the new lr for the current `lr`. */
  step(value: number, lr: number): number {
    if (this.better(value)) {
      this.best = value;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.o.patience) {
      const reduced = Math.max(lr * this.o.factor, this.o.minLr);
      if (lr - reduced > this.o.eps) lr = reduced;
      this.cooldownLeft = this.o.cooldown;
      this.badEpochs = 0;
    }
    return lr;
  }
}

/** Reads plateau options (shared with the reduceLrOnPlateau callback). */
export function plateauOptions(where: string, options: unknown): { monitor: string; lr?: number; tracker: Required<Omit<PlateauOptions, 'lr' | 'monitor'>> } {
  const o = { ...checkObject(`${where}(options)`, options) };
  checkKnownKeys(`${where}(options)`, o, ['lr', 'monitor', 'mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
  const arg = (k: string) => `${where}(options.${k})`;
  if (o.monitor !== undefined && typeof o.monitor !== 'string') throw typeError(arg('monitor'), 'a key of the epoch logs such as \'valLoss\'', o.monitor);
  const factor = o.factor === undefined ? 0.1 : checkInRange(arg('factor'), o.factor, 0, 1, true);
  if (factor === 0) throw rangeError(arg('factor'), 'a number in (0, 1)', factor);
  return {
    monitor: (o.monitor as string | undefined) ?? 'valLoss',
    lr: o.lr === undefined ? undefined : checkPositive(arg('lr'), o.lr),
    tracker: {
      mode: o.mode === undefined ? 'min' : checkOneOf(arg('mode'), o.mode, ['min', 'max'] as const),
      factor,
      patience: o.patience === undefined ? 10 : checkInteger(arg('patience'), o.patience, 0),
      threshold: o.threshold === undefined ? 1e-4 : checkNonNegative(arg('threshold'), o.threshold),
      thresholdMode: o.thresholdMode === undefined ? 'rel' : checkOneOf(arg('thresholdMode'), o.thresholdMode, ['rel', 'abs'] as const),
      cooldown: o.cooldown === undefined ? 0 : checkInteger(arg('cooldown'), o.cooldown, 0),
      minLr: o.minLr === undefined ? 0 : checkNonNegative(arg('minLr'), o.minLr),
      eps: o.eps === undefined ? 1e-8 : checkNonNegative(arg('eps'), o.eps),
    },
  };
}

/**
 * Divides the lr by 1/factor when the monitored epoch metric stops improving for `patience`
 * epochs (PyTorch ReduceLROnPlateau). fit feeds it each epoch's logs.
 * @example schedules.reduceLrOnPlateau({ monitor: 'valLoss', factor: 0.5, patience: 3 })
 */
export function reduceLrOnPlateau(options: PlateauOptions = {}): Schedule {
  const { monitor, lr: lrOpt, tracker: t } = plateauOptions('schedules.reduceLrOnPlateau', options);
  const tracker = new PlateauTracker(t);
  let lr: number | null = lrOpt ?? null;
  return {
    name: 'reduceLrOnPlateau',
    lrAt(_step, _epoch, baseLr) {
      if (lr === null) lr = baseLr;
      return lr;
    },
    onEpochEnd(log) {
      const value = log[monitor];
      if (typeof value !== 'number') {
        throw rangeError('schedules.reduceLrOnPlateau(options.monitor)', `a key of the epoch logs (${Object.keys(log).join(', ')})`, monitor);
      }
      if (lr !== null) lr = tracker.step(value, lr);
    },
    stateDict: () => ({ name: 'reduceLrOnPlateau', state: { lr, best: Number.isFinite(tracker.best) ? tracker.best : null, badEpochs: tracker.badEpochs, cooldownLeft: tracker.cooldownLeft } }),
    loadStateDict(s) {
      const st = checkState('reduceLrOnPlateau', s);
      lr = typeof st.lr === 'number' ? st.lr : null;
      tracker.best = typeof st.best === 'number' ? st.best : t.mode === 'min' ? Infinity : -Infinity;
      tracker.badEpochs = Number(st.badEpochs) || 0;
      tracker.cooldownLeft = Number(st.cooldownLeft) || 0;
    },
  };
}

const factories = { constant, stepDecay, multiStep, exponential, polynomial, cosine, cosineWarmRestarts, warmup, oneCycle, cyclic, reduceLrOnPlateau };
export type ScheduleName = keyof typeof factories;
export const scheduleNames = Object.keys(factories) as ScheduleName[];

/**
 * A schedule by name (what the CLI and saved configurations use).
 * @example schedules.byName('cosine', { totalSteps: 1000 })
 */
export function byName(name: string, options: Record<string, unknown> = {}): Schedule {
  if (!(scheduleNames as string[]).includes(name)) {
    throw rangeError('schedules.byName(name)', `one of ${scheduleNames.map((n) => `'${n}'`).join(', ')}`, name);
  }
  return (factories[name as ScheduleName] as (o: Record<string, unknown>) => Schedule)(options);
}

/** True for a schedule object (as opposed to a plain (step, epoch) => lr function). */
export function isSchedule(value: unknown): value is Schedule {
  return value !== null && typeof value === 'object' && typeof (value as Schedule).lrAt === 'function';
}

/** The namespace exported as `schedules`. */
export const schedules = { ...factories, byName };
