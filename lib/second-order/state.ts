/** A second-order method's state as plain data: numbers, and vectors saved as tensors. */
import type { Vector } from './vectors.js';

export interface MethodState {
  scalars: Record<string, number>;
  vectors: Record<string, Vector>;
}

/** Reads a saved scalar, checking it is a finite number (or a boolean stored as 0/1). */
export function scalar(state: MethodState, key: string): number {
  const v = state.scalars[key];
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`optimizer state: '${key}' is missing or not a number`);
  return v;
}

/** A saved vector of the expected length, copied into `into` (or a fresh one like `template`). */
export function vector(state: MethodState, key: string, length: number): Vector {
  const v = state.vectors[key];
  if (!v || v.length !== length) throw new TypeError(`optimizer state: vector '${key}' is missing or has ${v ? v.length : 0} values, expected ${length}`);
  return v;
}
