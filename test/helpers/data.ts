/** Small seeded datasets for tests. */
import { Rng } from '../../lib/random.js';

/** n rows of `width` values in [-1, 1). */
export function randomInputs(n: number, width: number, seed: number): Float32Array {
  const rng = new Rng(seed, 99);
  const x = new Float32Array(n * width);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.nextFloat() - 1;
  return x;
}

export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const rng = new Rng(seed, 98);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.nextInt(classes);
  return y;
}

/** A learnable problem: label = argmax of a random linear map of x (the same map for every `seed`, per `mapSeed`). */
export function blobs(n: number, width: number, classes: number, seed: number, mapSeed = 0): { x: Float32Array; y: Int32Array } {
  const x = randomInputs(n, width, seed);
  const rng = new Rng(mapSeed, 97);
  const w = Array.from({ length: width * classes }, () => rng.nextNormal());
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < width; j++) s += x[r * width + j] * w[j * classes + c];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    y[r] = best;
  }
  return { x, y };
}

export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

/** Largest |a − e| / (atol + rtol·|e|); ≤ 1 means "close". */
export function worstCloseness(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const ratio = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(ratio <= worst)) worst = Number.isNaN(ratio) ? Infinity : ratio;
  }
  return worst;
}
