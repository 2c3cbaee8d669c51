/**
 * Turns what users pass (typed arrays, nested arrays) into what engines take, checking every
 * value once. Float32Array inputs are used as they are (no copy); other forms are converted.
 */
import { ShapeError, describe, rangeError, typeError } from './errors.js';
import { isDetached } from './validate.js';

export interface Inputs {
  x: Float32Array;
  n: number;
}

export interface TargetData {
  /** Class indices, or null when targets are rows. */
  labels: Int32Array | null;
  /** Target rows (n × outputs), or null when targets are class indices. */
  targets: Float32Array | null;
}

function checkNotDetached(argument: string, view: ArrayBufferView): void {
  if (isDetached(view)) throw new TypeError(`${argument}: expected a readable typed array, received a detached ${view.constructor.name}`);
}

/** Index of the first non-finite value, or -1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/** max |v| of a Float32Array: NaN or Infinity when a value is not finite (an engine's vectorised scan). */
export type MaxAbs = (values: Float32Array) => number;

/** Below this many values the loop above is as fast as a call into an engine. */
const FAST_SCAN_MIN = 4096;

function checkFiniteValues(argument: string, values: ArrayLike<number>, width: number, maxAbs?: MaxAbs): void {
  if (maxAbs && values instanceof Float32Array && values.length >= FAST_SCAN_MIN && Number.isFinite(maxAbs(values))) return;
  const bad = firstNonFinite(values);
  if (bad >= 0) {
    throw new RangeError(
      `${argument}: expected finite values, received ${describe(values[bad])} at row ${Math.floor(bad / width)}, column ${bad % width}`,
    );
  }
}

/** Flattens number[][] (all rows `width` long) into a Float32Array. */
function fromRows(argument: string, rows: unknown[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row) && !(row instanceof Float32Array) && !(row instanceof Float64Array)) {
      throw typeError(`${argument}[${r}]`, `an array of ${width} numbers`, row);
    }
    if (row.length !== width) throw new ShapeError(`${argument}[${r}]`, `${width} values`, `${row.length}`);
    for (let j = 0; j < width; j++) {
      const v = row[j];
      if (typeof v !== 'number') throw typeError(`${argument}[${r}][${j}]`, 'a number', v);
      out[r * width + j] = v;
    }
  }
  return out;
}

/**
 * Checks and converts inputs: a row-major Float32Array of n × width values (Float64Array is
 * converted), or an array of n rows of `width` numbers. Rejects empty data and NaN/Inf;
 * `maxAbs`, when given, speeds up that check on large inputs.
 */
export function toInputs(argument: string, x: unknown, width: number, checkFinite = true, maxAbs?: MaxAbs): Inputs {
  let flat: Float32Array;
  if (x instanceof Float32Array) {
    checkNotDetached(argument, x);
    flat = x;
  } else if (x instanceof Float64Array) {
    checkNotDetached(argument, x);
    flat = Float32Array.from(x);
  } else if (Array.isArray(x)) {
    flat = fromRows(argument, x, width);
  } else {
    throw typeError(argument, `a Float32Array of n·${width} values or an array of rows`, x);
  }
  if (flat.length === 0) throw new ShapeError(argument, `at least one row of ${width} values`, 'an empty dataset');
  if (flat.length % width !== 0) {
    throw new ShapeError(argument, `a length that is a multiple of ${width} (n·inputSize)`, `${describe(x)} (length ${flat.length})`);
  }
  if (checkFinite) checkFiniteValues(argument, flat, width, maxAbs);
  return { x: flat, n: flat.length / width };
}

const LABEL_ARRAYS = [Int32Array, Uint8Array, Uint16Array, Int8Array, Int16Array, Uint32Array] as const;

function checkLabels(argument: string, labels: ArrayLike<number>, classes: number): Int32Array {
  const out = labels instanceof Int32Array ? labels : new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (typeof v !== 'number') throw typeError(`${argument}[${i}]`, 'a class index', v);
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw rangeError(`${argument}[${i}]`, `a class index, an integer in [0, ${classes - 1}]`, v);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Checks and converts targets for n rows and `outputs` classes: class indices (Int32Array,
 * Uint8Array, … or number[]) or a row-major Float32Array of n × outputs target values
 * (one-hot rows; also number[][]).
 */
export function toTargets(argument: string, y: unknown, n: number, outputs: number, checkFinite = true): TargetData {
  if (LABEL_ARRAYS.some((C) => y instanceof C)) {
    const view = y as ArrayLike<number> & ArrayBufferView;
    checkNotDetached(argument, view);
    if (view.length !== n) throw new ShapeError(argument, `${n} class indices (one per row of x)`, describe(y));
    return { labels: checkLabels(argument, view, outputs), targets: null };
  }
  if (y instanceof Float32Array || y instanceof Float64Array) {
    checkNotDetached(argument, y);
    if (y.length !== n * outputs) {
      throw new ShapeError(
        argument,
        `a ${y.constructor.name} of ${n}·${outputs} = ${n * outputs} target values (class indices go in an Int32Array or number[])`,
        describe(y),
      );
    }
    const targets = y instanceof Float32Array ? y : Float32Array.from(y);
    if (checkFinite) checkFiniteValues(argument, targets, outputs);
    return { labels: null, targets };
  }
  if (Array.isArray(y)) {
    if (y.length !== n) throw new ShapeError(argument, `${n} entries (one per row of x)`, describe(y));
    if (y.length > 0 && Array.isArray(y[0])) {
      const targets = fromRows(argument, y, outputs);
      if (checkFinite) checkFiniteValues(argument, targets, outputs);
      return { labels: null, targets };
    }
    return { labels: checkLabels(argument, y as number[], outputs), targets: null };
  }
  throw typeError(argument, 'class indices (Int32Array, Uint8Array or number[]) or a Float32Array of target rows', y);
}
