/**
 * The checks that protect the engine itself. The public API validates user input before it
 * gets here; these only reject what would otherwise make the engine read out of bounds or
 * compute garbage, with a TypeError/RangeError naming the argument (`trainSteps(y): …`).
 * Cheap: O(rows) at most, once per call, before any work.
 */
import { describe, formatMessage, rangeError, typeError } from '../../errors.js';
import { LABEL_LOSSES, layerParamCount, stateSlots, type PlanSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

function isFloatArray(v: unknown): v is FloatArray {
  return v instanceof Float32Array || v instanceof Float64Array;
}

/** The arenas fit the spec: params and grads of paramCount values, state of stateSlots·paramCount. */
export function checkArenas(spec: PlanSpec, arenas: { params: unknown; grads: unknown; state: unknown }): void {
  let count = 0;
  for (const layer of spec.layers) count += layerParamCount(layer);
  const slots = stateSlots(spec.optimizer);
  for (const [name, length] of [['params', count], ['grads', count], ['state', slots * count]] as const) {
    const v = arenas[name];
    if (!isFloatArray(v)) throw typeError(`createPlan(arenas.${name})`, 'a Float32Array', v);
    if (v.length !== length) throw rangeError(`createPlan(arenas.${name})`, `${length} values`, v);
  }
}

/** x holds whole rows of d values; returns the row count. */
export function checkInputs(where: string, x: unknown, d: number): number {
  if (!isFloatArray(x)) throw typeError(`${where}(x)`, 'a Float32Array', x);
  if (x.length % d !== 0) throw rangeError(`${where}(x)`, `a length that is a multiple of ${d} (inputSize)`, x);
  return x.length / d;
}

/** Targets of n rows: class indices in [0, k) for the label losses, else n·k target values. */
export function checkTargets(where: string, y: unknown, n: number, k: number, loss: PlanSpec['loss']['kind']): void {
  if (y instanceof Int32Array) {
    if (!LABEL_LOSSES.includes(loss)) {
      throw new TypeError(formatMessage(`${where}(y)`, `a Float32Array of n·${k} target values (class indices only go with categoricalCrossentropy and categoricalHinge, not ${loss})`, describe(y)));
    }
    if (y.length !== n) throw rangeError(`${where}(y)`, `${n} class indices (one per row of x)`, y);
    for (let i = 0; i < n; i++) {
      const c = y[i];
      if (c < 0 || c >= k) throw rangeError(`${where}(y)[${i}]`, `a class index in [0, ${k - 1}]`, c);
    }
    return;
  }
  if (!isFloatArray(y)) throw typeError(`${where}(y)`, 'an Int32Array of class indices or a Float32Array of target rows', y);
  if (y.length !== n * k) throw rangeError(`${where}(y)`, `${n}·${k} = ${n * k} target values`, y);
}

/** Per-row weights: null, or one value per row of x. */
export function checkWeights(where: string, w: unknown, n: number): void {
  if (w === null || w === undefined) return;
  if (!isFloatArray(w)) throw typeError(`${where}(weights)`, 'a Float32Array or null', w);
  if (w.length !== n) throw rangeError(`${where}(weights)`, `${n} values (one per row of x)`, w);
}

/** Row indices into n rows. */
export function checkIndices(where: string, indices: unknown, n: number): void {
  if (!(indices instanceof Int32Array)) throw typeError(`${where}(indices)`, 'an Int32Array', indices);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    if (row < 0 || row >= n) throw rangeError(`${where}(indices)[${i}]`, `a row index in [0, ${n - 1}]`, row);
  }
}

/** An integer in [min, max]. */
export function checkInteger(argument: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number') throw typeError(argument, 'an integer', v);
  if (!Number.isInteger(v) || v < min || v > max) throw rangeError(argument, `an integer in [${min}, ${max}]`, v);
}

/** An output buffer of exactly `length` values. */
export function checkOutput(argument: string, out: unknown, length: number): void {
  if (!isFloatArray(out)) throw typeError(argument, 'a Float32Array', out);
  if (out.length !== length) throw rangeError(argument, `${length} values`, out);
}

/** A per-step output buffer (lossOut, correctOut) with room for `steps` values. */
export function checkStepBuffer(argument: string, buf: unknown, steps: number, ints: boolean): void {
  const ok = ints ? buf instanceof Int32Array : isFloatArray(buf);
  if (!ok) throw typeError(argument, ints ? 'an Int32Array' : 'a Float32Array', buf);
  if ((buf as FloatArray | Int32Array).length < steps) throw rangeError(argument, `room for ${steps} steps`, buf);
}

/**
 * batchNorm trains on batch statistics, which need ≥ 2 rows (the unbiased running variance
 * divides by n − 1): rejects a batch of 1 row before any work.
 */
export function checkBatchNormRows(argument: string, rows: number, what: string): void {
  if (rows < 2) throw new RangeError(formatMessage(argument, `at least 2 rows per training batch with batchNorm (batch statistics)`, what));
}
