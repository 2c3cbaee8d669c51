/**
 * Fit options that are plain data work: the learning-rate source (a number, a function or a
 * schedule object), the seeded validation split, and the verbose logger. The model layer
 * validates the user's values with these and passes the results to runFit.
 */
import { rangeError, typeError } from '../errors.js';
import { isSchedule, type Schedule } from '../schedules/index.js';
import { Rng, shuffleInPlace } from '../random.js';
import type { Callback, EpochLog } from './callbacks.js';
import type { LrFunction } from './fit.js';

export interface LrSource {
  lrAt: LrFunction;
  /** Fed each epoch's log (schedules driven by a metric). */
  observe?: (log: EpochLog) => void;
  /** The schedule object, when one was given (its state is saved with the optimizer). */
  schedule?: Schedule;
}

/** fit({ schedule }): a function (step, epoch) => lr, a schedule object, or absent (the optimizer's lr, or its own schedule). */
export function lrSource(value: unknown, baseLr: number): LrSource {
  if (value === undefined) return { lrAt: () => baseLr };
  if (typeof value === 'function') return { lrAt: (step, epoch) => (value as LrFunction)(step, epoch) };
  if (isSchedule(value)) {
    const schedule = value;
    return {
      lrAt: (step, epoch) => schedule.lrAt(step, epoch, baseLr),
      observe: schedule.onEpochEnd ? (log) => schedule.onEpochEnd!(log) : undefined,
      schedule,
    };
  }
  throw typeError('fit(options.schedule)', 'a schedule such as schedules.cosine({ totalSteps }) or a function (step, epoch) => lr', value);
}

/** Stream of the seeded permutation used by validationSplit (independent of the epoch shuffles). */
const SPLIT_STREAM = 0x7a11d;

export interface SplitRows {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * fit({ validationSplit }): a fraction in (0, 1) of the n rows, chosen by a seeded shuffle
 * (not "the last rows"), held out for validation; both parts keep at least one row.
 */
export function validationRows(value: unknown, n: number, seed: number): SplitRows {
  if (typeof value !== 'number') throw typeError('fit(options.validationSplit)', 'a number in (0, 1)', value);
  if (!(value > 0 && value < 1)) throw rangeError('fit(options.validationSplit)', 'a number in (0, 1)', value);
  const count = Math.round(n * value);
  if (count < 1 || count > n - 1) throw rangeError('fit(options.validationSplit)', `a fraction leaving at least one row on each side of ${n} rows`, value);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, new Rng(seed, SPLIT_STREAM));
  const validation = order.slice(0, count).sort();
  const train = order.slice(count).sort();
  return { train, validation };
}

/** Copies rows `rows` of a row-major array of `width` values per row. */
export function takeRows<T extends Float32Array | Int32Array>(values: T, width: number, rows: Int32Array): T {
  const out = new (values.constructor as { new (n: number): T })(rows.length * width);
  for (let r = 0; r < rows.length; r++) out.set(values.subarray(rows[r] * width, rows[r] * width + width), r * width);
  return out;
}

/** fit({ verbose }): 0 silent, 1 a progress line while an epoch runs (on a TTY) and a line per epoch, 2 a line per epoch. */
export function verboseCallback(value: unknown, out: NodeJS.WritableStream = process.stdout): Callback | undefined {
  if (value === undefined || value === 0 || value === false) return undefined;
  if (value !== 1 && value !== 2 && value !== true) throw rangeError('fit(options.verbose)', 'one of 0, 1, 2', value);
  const level = value === true ? 1 : value;
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));
  return {
    onBatchEnd(p) {
      if (level === 1 && tty) out.write(`\repoch ${p.epoch}: ${p.step}${p.stepsPerEpoch ? `/${p.stepsPerEpoch}` : ''} steps, loss ${fmt(p.loss)}`);
    },
    onEpochEnd(log) {
      const parts = Object.entries(log)
        .filter(([k, v]) => k !== 'epoch' && k !== 'seconds' && typeof v === 'number')
        .map(([k, v]) => `${k} ${fmt(v as number)}`);
      out.write(`${level === 1 && tty ? '\r\x1b[K' : ''}epoch ${log.epoch}: ${parts.join(', ')} (${log.seconds.toFixed(2)} s)\n`);
    },
  };
}
