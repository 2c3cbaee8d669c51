/**
 * Targets as a loss needs them: class indices only for the losses that take them, target rows
 * for the others (one-hot from indices; a 1-D array of values for one output), with the
 * values the loss accepts; and per-row weights from sampleWeight × classWeight.
 */
import { LABEL_LOSSES, type LossSpec } from './engine/engine.js';
import { toTargets, type TargetData } from './data.js';
import { ShapeError, describe, rangeError, typeError } from './errors.js';

/** What each loss accepts as a target value (null: anything finite). */
function targetRule(loss: LossSpec): { test: (v: number) => boolean; expected: string } | null {
  switch (loss.kind) {
    case 'binaryCrossentropy':
      return { test: (v) => v >= 0 && v <= 1, expected: 'a target in [0, 1]' };
    case 'hinge':
    case 'squaredHinge':
      return { test: (v) => v === -1 || v === 0 || v === 1, expected: 'a label −1/1 or 0/1' };
    case 'poisson':
      return { test: (v) => v >= 0, expected: 'a count ≥ 0' };
    case 'kullbackLeiblerDivergence':
      return { test: (v) => v >= 0, expected: 'a probability ≥ 0' };
    default:
      return null;
  }
}

/** Checks and converts y for n rows of `outputs` under `loss`. */
export function lossTargets(argument: string, y: unknown, n: number, outputs: number, loss: LossSpec, checkFinite = true): TargetData {
  const labelLoss = LABEL_LOSSES.includes(loss.kind);
  let data: TargetData;
  if (outputs === 1 && !labelLoss && isFlatValues(y)) {
    const values = y as ArrayLike<number>;
    if (values.length !== n) throw new ShapeError(argument, `${n} target values (one per row of x)`, describe(y));
    const targets = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw typeError(`${argument}[${i}]`, 'a number', v);
      if (checkFinite && !Number.isFinite(v)) throw rangeError(`${argument}[${i}]`, 'a finite number', v);
      targets[i] = v;
    }
    data = { labels: null, targets };
  } else {
    data = toTargets(argument, y, n, outputs, checkFinite);
    if (data.labels && !labelLoss) {
      const rows = new Float32Array(n * outputs);
      for (let i = 0; i < n; i++) rows[i * outputs + data.labels[i]] = 1;
      data = { labels: null, targets: rows };
    }
  }
  const rule = targetRule(loss);
  if (rule && data.targets) {
    const t = data.targets;
    for (let i = 0; i < t.length; i++) {
      if (!rule.test(t[i])) {
        throw new RangeError(`${argument}: expected ${rule.expected} for the '${loss.kind}' loss, received ${describe(t[i])} at row ${Math.floor(i / outputs)}, column ${i % outputs}`);
      }
    }
  }
  return data;
}

/** A 1-D array of numbers (not rows): number[] of numbers, or any non-Float32 typed array, or a Float32Array. */
function isFlatValues(y: unknown): boolean {
  if (Array.isArray(y)) return y.length === 0 || !Array.isArray(y[0]);
  return ArrayBuffer.isView(y) && !(y instanceof DataView);
}

/** Checks fit's sampleWeight: n finite numbers ≥ 0. */
export function toSampleWeight(argument: string, value: unknown, n: number): Float32Array | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) && !(value instanceof Float32Array) && !(value instanceof Float64Array)) {
    throw typeError(argument, `a Float32Array or number[] of ${n} weights`, value);
  }
  if (value.length !== n) throw new ShapeError(argument, `${n} weights (one per row of x)`, describe(value));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = value[i];
    if (typeof v !== 'number') throw typeError(`${argument}[${i}]`, 'a number', v);
    if (!Number.isFinite(v) || v < 0) throw rangeError(`${argument}[${i}]`, 'a finite weight ≥ 0', v);
    out[i] = v;
  }
  return out;
}

/** Checks fit's classWeight ({ class: weight } or an array by class) for `classes` classes. */
export function toClassWeight(argument: string, value: unknown, classes: number): Float64Array | null {
  if (value === undefined || value === null) return null;
  const out = new Float64Array(classes).fill(1);
  if (Array.isArray(value)) {
    if (value.length !== classes) throw new ShapeError(argument, `${classes} weights (one per class)`, describe(value));
    value.forEach((v, c) => (out[c] = checkWeight(`${argument}[${c}]`, v)));
    return out;
  }
  if (typeof value !== 'object') throw typeError(argument, 'an object { class: weight } or an array of weights by class', value);
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw rangeError(`${argument}`, `class keys in [0, ${classes - 1}]`, key);
    out[c] = checkWeight(`${argument}[${key}]`, v);
  }
  return out;
}

function checkWeight(argument: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(argument, 'a number', v);
  if (!Number.isFinite(v) || v < 0) throw rangeError(argument, 'a finite weight ≥ 0', v);
  return v;
}

/** Number of classes classWeight is keyed by: the outputs, or 2 (0/1) for one output. */
export function classCount(outputs: number): number {
  return outputs === 1 ? 2 : outputs;
}

/**
 * Per-row weights: sampleWeight[i] × classWeight[class of row i] (the label; argmax of a target
 * row; t > 0.5 for one output), or null when neither is given.
 */
export function rowWeights(sample: Float32Array | null, classWeight: Float64Array | null, data: TargetData, n: number, outputs: number): Float32Array | null {
  if (!sample && !classWeight) return null;
  const out = sample ? Float32Array.from(sample) : new Float32Array(n).fill(1);
  if (classWeight) {
    for (let i = 0; i < n; i++) out[i] *= classWeight[rowClass(data, i, outputs)];
  }
  return out;
}

function rowClass(data: TargetData, i: number, outputs: number): number {
  if (data.labels) return data.labels[i];
  const t = data.targets!;
  if (outputs === 1) return t[i] > 0.5 ? 1 : 0;
  let best = 0;
  for (let j = 1; j < outputs; j++) if (t[i * outputs + j] > t[i * outputs + best]) best = j;
  return best;
}
