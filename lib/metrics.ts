/** Classification metrics over row-major outputs. */

export type MetricName = 'accuracy';
export const metricNames: readonly MetricName[] = ['accuracy'];

/** Index of the first largest value of row r (width k). */
export function argmax(values: ArrayLike<number>, r: number, k: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = values[r * k + j];
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

/** Rows whose argmax equals the label (or the argmax of the target row). */
export function countCorrect(p: Float32Array, k: number, labels: Int32Array | null, targets: Float32Array | null): number {
  const n = p.length / k;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const truth = labels ? labels[r] : argmax(targets!, r, k);
    if (argmax(p, r, k) === truth) correct++;
  }
  return correct;
}
