/** Shared pieces of the catalog tests (issue 4): arenas, the float64 reference, closeness reports. */
import { expect } from 'vitest';
import { JsPlan } from '../../lib/engine/js/plan.js';
import { initOptimizerState, layerOffsets, paramCount, stateSlots, type Arenas, type Engine, type PlanSpec } from '../../lib/engine/engine.js';

/** Float32 arenas for a spec (optimizer state initialised), with `params` copied in when given. */
export function arenas32(spec: PlanSpec, params?: ArrayLike<number>): Arenas {
  const n = paramCount(spec);
  const arenas = { params: new Float32Array(n), grads: new Float32Array(n), state: new Float32Array(stateSlots(spec.optimizer) * n) };
  if (params) arenas.params.set(params);
  initOptimizerState(spec.optimizer, arenas.state);
  return arenas;
}

export interface Reference {
  plan: JsPlan;
  arenas: { params: Float64Array; grads: Float64Array; state: Float64Array };
}

/** The float64 reference: the TS engine's plan over Float64Array arenas (params copied). */
export function reference(spec: PlanSpec, params: ArrayLike<number>): Reference {
  const n = paramCount(spec);
  const arenas = { params: Float64Array.from(params), grads: new Float64Array(n), state: new Float64Array(stateSlots(spec.optimizer) * n) };
  initOptimizerState(spec.optimizer, arenas.state);
  return { plan: new JsPlan(spec, arenas, Float64Array), arenas };
}

/** An engine's plan over fresh float32 arenas holding `params`. */
export function enginePlan(engine: Engine, spec: PlanSpec, params: ArrayLike<number>) {
  const arenas = arenas32(spec, params);
  return { plan: engine.createPlan(spec, arenas), arenas };
}

/** Row-major n × n identity: fed to a dense layer, z = x·W + b = W + b exactly, in any float type. */
export function identityRows(n: number): Float32Array {
  const x = new Float32Array(n * n);
  for (let i = 0; i < n; i++) x[i * n + i] = 1;
  return x;
}

export function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Arena offset of layer `layer`'s first parameter. */
export function offsetOf(spec: PlanSpec, layer: number): number {
  return layerOffsets(spec)[layer];
}

export interface Closeness {
  /** Largest |a − e| / (atol + rtol·|e|) (Infinity for NaN or a missing value); ≤ 1 means close. */
  worst: number;
  index: number;
  actual: number;
  expected: number;
}

/**
 * `|a − e| ≤ atol(i) + rtol·|e|` elementwise (TESTING's "close"); ±∞ equals only itself, NaN
 * never matches. Returns the worst element, for a message naming it.
 */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number | ((i: number) => number), rtol: number): Closeness {
  let result: Closeness = { worst: 0, index: -1, actual: NaN, expected: NaN };
  if (actual.length !== expected.length) return { worst: Infinity, index: -1, actual: actual.length, expected: expected.length };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ratio: number;
    if (a === e) ratio = 0;
    else if (!Number.isFinite(a) || !Number.isFinite(e)) ratio = Infinity;
    else ratio = Math.abs(a - e) / ((typeof atol === 'number' ? atol : atol(i)) + rtol * Math.abs(e));
    if (!(ratio <= result.worst)) result = { worst: Number.isNaN(ratio) ? Infinity : ratio, index: i, actual: a, expected: e };
  }
  return result;
}

/** A failure message naming the worst element. */
export function describeCloseness(what: string, c: Closeness): string {
  return `${what}: worst element ${c.index}: got ${c.actual}, expected ${c.expected} (${c.worst.toFixed(2)}× the tolerance)`;
}

/** Nested number arrays flattened row-major. */
export function flat(rows: number[][] | number[]): number[] {
  return (rows as unknown[]).flat() as number[];
}

/** Asserts `closeness(...) ≤ 1`, naming the worst element on failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number | ((i: number) => number), rtol: number, what: string): void {
  const c = closeness(actual, expected, atol, rtol);
  expect(c.worst, describeCloseness(what, c)).toBeLessThanOrEqual(1);
}
