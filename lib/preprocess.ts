/**
 * Input preprocessing fitted on training data and applied to every later input (validation,
 * test, predict). A model built with `preprocess` applies it itself and saves it with itself.
 */
import { ShapeError, describe, typeError } from './errors.js';

export type PreprocessKind = 'standardize' | 'normalize';

/** Per-feature affine map x' = (x − shift) / scale, fitted on training rows. */
export interface Preprocess {
  readonly kind: PreprocessKind;
  readonly shift: Float32Array;
  readonly scale: Float32Array;
  /** A transformed copy of row-major rows of `shift.length` features. */
  apply(x: Float32Array): Float32Array;
}

class Affine implements Preprocess {
  constructor(readonly kind: PreprocessKind, readonly shift: Float32Array, readonly scale: Float32Array) {}

  apply(x: Float32Array): Float32Array {
    const d = this.shift.length;
    if (!(x instanceof Float32Array)) throw typeError('preprocess.apply(x)', 'a Float32Array', x);
    if (x.length % d !== 0) throw new ShapeError('preprocess.apply(x)', `a multiple of ${d} values`, describe(x));
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += d) {
      for (let j = 0; j < d; j++) out[i + j] = (x[i + j] - this.shift[j]) / this.scale[j];
    }
    return out;
  }
}

function checkRows(argument: string, x: unknown, width: unknown): [Float32Array, number] {
  if (!(x instanceof Float32Array)) throw typeError(argument, 'a Float32Array of rows', x);
  if (typeof width !== 'number' || !Number.isInteger(width) || width < 1) throw typeError(`${argument.replace('(x', '(width')}`, 'an integer ≥ 1', width);
  if (x.length === 0 || x.length % width !== 0) throw new ShapeError(argument, `a non-empty multiple of ${width} values`, describe(x));
  return [x, width];
}

/**
 * Fits per-feature standardisation (x − mean) / std on training rows (population std; a
 * constant feature gets std 1, so it maps to 0 instead of NaN).
 * @example const pre = standardize(train.x, 784); sequential({ inputSize: 784, preprocess: pre, layers })
 */
export function standardize(x: Float32Array, width: number): Preprocess {
  checkRows('standardize(x)', x, width);
  const n = x.length / width;
  const mean = new Float64Array(width);
  const m2 = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    // Welford: stable for large offsets.
    for (let j = 0; j < width; j++) {
      const v = x[r * width + j];
      const delta = v - mean[j];
      mean[j] += delta / (r + 1);
      m2[j] += delta * (v - mean[j]);
    }
  }
  const std = Float32Array.from(m2, (s) => Math.sqrt(s / n) || 1);
  return new Affine('standardize', Float32Array.from(mean), std);
}

/** Fits per-feature min–max scaling to [0, 1] on training rows (a constant feature maps to 0). */
export function normalize(x: Float32Array, width: number): Preprocess {
  checkRows('normalize(x)', x, width);
  const min = new Float32Array(width).fill(Infinity);
  const max = new Float32Array(width).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const j = i % width;
    if (x[i] < min[j]) min[j] = x[i];
    if (x[i] > max[j]) max[j] = x[i];
  }
  return new Affine('normalize', min, Float32Array.from(max, (hi, j) => hi - min[j] || 1));
}

/** Rebuilds a saved preprocessing step (checked: lengths, finite values, non-zero scales). */
export function restorePreprocess(kind: unknown, shift: Float32Array, scale: Float32Array): Preprocess {
  if (kind !== 'standardize' && kind !== 'normalize') throw new TypeError(`unknown preprocessing ${JSON.stringify(kind)}`);
  if (shift.length !== scale.length) throw new RangeError(`preprocessing shift has ${shift.length} values, scale ${scale.length}`);
  for (let j = 0; j < shift.length; j++) {
    if (!Number.isFinite(shift[j]) || !Number.isFinite(scale[j]) || scale[j] === 0) throw new RangeError(`preprocessing feature ${j} has shift ${shift[j]} and scale ${scale[j]}`);
  }
  return new Affine(kind, shift, scale);
}

/** True for objects made by standardize/normalize/restorePreprocess. */
export function isPreprocess(value: unknown): value is Preprocess {
  return value instanceof Affine;
}
