/**
 * Inverted dropout with the counter-based masks of engine.ts: element e = r·n + c of batch row r
 * is kept when dropoutBits(key, e) ≥ dropoutThreshold(rate), key = dropoutKey(seed, step, layer),
 * and then scaled by fround(1/(1 − rate)) (that constant in both float types). r counts from the
 * first row of the whole batch, so a batch split into chunks gets the same masks.
 */
import { dropoutBits, dropoutKey, dropoutThreshold } from '../engine.js';
import type { FloatArray } from './gemm.js';

/** The keep scale of a rate. */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

/**
 * out = mask ⊙ x·scale for `rows` rows of width n starting at batch row `rowBase`; the mask
 * (1 kept, 0 dropped) is stored for the backward pass.
 */
export function dropoutForward(
  x: FloatArray, out: FloatArray, mask: Uint8Array, rows: number, n: number, rowBase: number,
  seed: number, step: number, layer: number, rate: number,
): void {
  const key = dropoutKey(seed, step, layer);
  const threshold = dropoutThreshold(rate);
  const scale = dropoutScale(rate);
  const len = rows * n;
  const e0 = rowBase * n;
  for (let i = 0; i < len; i++) {
    const keep = dropoutBits(key, e0 + i) >= threshold;
    mask[i] = keep ? 1 : 0;
    out[i] = keep ? x[i] * scale : 0;
  }
}

/** dx = mask ⊙ g·scale. */
export function dropoutBackward(g: FloatArray, dx: FloatArray, mask: Uint8Array, len: number, rate: number): void {
  const scale = dropoutScale(rate);
  for (let i = 0; i < len; i++) dx[i] = mask[i] !== 0 ? g[i] * scale : 0;
}
