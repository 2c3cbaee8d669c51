/** Loss functions. Training computes them inside the engine; these float64 versions serve evaluation. */
import type { LossName } from './engine/engine.js';

export type { LossName } from './engine/engine.js';
export const losses: readonly LossName[] = ['categoricalCrossentropy'];

/** Smallest positive normal float32: probabilities are clamped to it before the log. */
const TINY = 1.1754943508222875e-38;

/**
 * Σ over rows of the categorical cross-entropy −Σⱼ tⱼ·log pⱼ, from probabilities p (n × k);
 * targets are class labels or target rows. Divide by n for PyTorch's 'mean' reduction.
 */
export function crossEntropySum(p: Float32Array, k: number, labels: Int32Array | null, targets: Float32Array | null): number {
  const n = p.length / k;
  let sum = 0;
  for (let r = 0; r < n; r++) {
    if (labels) {
      sum -= Math.log(Math.max(p[r * k + labels[r]], TINY));
    } else {
      for (let j = 0; j < k; j++) {
        const t = targets![r * k + j];
        if (t !== 0) sum -= t * Math.log(Math.max(p[r * k + j], TINY));
      }
    }
  }
  return sum;
}
