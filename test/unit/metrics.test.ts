// TESTING O9: metrics against hand-computed cases (scikit-learn definitions, zero-division
// cases stated), and streamed per-batch accumulation equal to the whole-set computation.
import { describe, expect, it } from 'vitest';
import { computeMetrics, confusionMatrix, MetricAccumulator, precisionRecallF1, rocAuc, toMetric, type Metric } from '../../lib/metrics.js';
import { Rng } from '../../lib/random.js';

/** Probability rows (width k) whose argmax is each of `preds`. */
function rows(preds: number[], k: number): Float32Array {
  const p = new Float32Array(preds.length * k).fill(0.1 / (k - 1));
  preds.forEach((c, r) => (p[r * k + c] = 0.9));
  return p;
}
const m = (spec: Parameters<typeof toMetric>[1]) => toMetric('test', spec);

describe('classification metrics, hand-computed', () => {
  const truth = Int32Array.of(0, 0, 1, 1, 2, 2, 2, 1);
  const preds = [0, 1, 1, 1, 2, 0, 2, 2];

  it('confusion matrix: rows are the truth, columns the prediction', () => {
    expect(Array.from(confusionMatrix(truth, preds, 3))).toEqual([1, 1, 0, 0, 2, 1, 1, 0, 2]);
    expect(() => confusionMatrix(truth, [0], 3)).toThrow(RangeError);
  });

  it('precision / recall / F1: macro, micro (= accuracy), weighted', () => {
    const c = confusionMatrix(truth, preds, 3);
    const macro = precisionRecallF1(c, 3, 'macro');
    expect(macro.precision).toBeCloseTo(11 / 18, 12);
    expect(macro.recall).toBeCloseTo(11 / 18, 12);
    expect(macro.f1).toBeCloseTo(11 / 18, 12);
    const micro = precisionRecallF1(c, 3, 'micro');
    expect([micro.precision, micro.recall, micro.f1]).toEqual([5 / 8, 5 / 8, 5 / 8]);
    expect(precisionRecallF1(c, 3, 'weighted').f1).toBeCloseTo(5 / 8, 12);
    const all = computeMetrics([m('accuracy'), m('precision'), m({ name: 'recall', average: 'micro' }), m({ name: 'f1', average: 'weighted' })], rows(preds, 3), 3, truth, null);
    expect(Object.keys(all)).toEqual(['accuracy', 'precision', 'recallMicro', 'f1Weighted']);
    expect(all.accuracy).toBe(5 / 8);
  });

  it('binary reports class 1; zero denominators give 0 (sklearn zero_division=0); absent classes leave the macro mean', () => {
    const b = precisionRecallF1(confusionMatrix([1, 0, 1, 1], [1, 1, 0, 1], 2), 2, 'binary');
    expect([b.precision, b.recall, b.f1].map((v) => v.toFixed(12))).toEqual(Array(3).fill((2 / 3).toFixed(12)));
    // Class 1 is predicted but never true: its recall is 0/0 → 0, precision 0/1 → 0.
    const z = precisionRecallF1(confusionMatrix([0, 0], [0, 1], 2), 2, 'macro');
    expect(z).toEqual({ precision: (1 + 0) / 2, recall: (0.5 + 0) / 2, f1: (2 / 3 + 0) / 2 });
    // Class 2 of 3 appears nowhere: the macro mean runs over classes 0 and 1 only.
    expect(precisionRecallF1(confusionMatrix([0, 1], [0, 1], 3), 3, 'macro').f1).toBe(1);
    expect(() => precisionRecallF1(confusionMatrix([0, 1], [0, 1], 3), 3, 'binary')).toThrow(/'binary' only with 2 classes/);
  });

  it('topKAccuracy and binaryAccuracy', () => {
    const p = Float32Array.of(0.5, 0.3, 0.2, 0.1, 0.2, 0.7);
    const r = computeMetrics([m({ name: 'topKAccuracy', k: 1 }), m({ name: 'topKAccuracy', k: 2 }), m('binaryAccuracy')], p, 3, Int32Array.of(1, 2), null);
    expect(r).toEqual({ top1Accuracy: 0.5, top2Accuracy: 1, binaryAccuracy: 5 / 6 });
  });

  it('ROC AUC: ranks with ties counting one half; one-vs-rest macro; NaN without both classes', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(rocAuc([0.5, 0.2], [1, 1])).toBeNaN();
    const p = Float32Array.of(0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8);
    expect(computeMetrics([m('auc')], p, 2, Int32Array.of(0, 1, 1, 1), null).auc).toBe(rocAuc([0.1, 0.4, 0.7, 0.8], [0, 1, 1, 1]));
  });
});

describe('regression metrics against one-hot targets, hand-computed', () => {
  it('mae, mse, rmse, r2 (uniform average; constant target: 1 if exact else 0)', () => {
    const p = Float32Array.of(0.7, 0.2, 0.1, 0.1, 0.6, 0.3);
    const r = computeMetrics([m('mae'), m('mse'), m('rmse'), m('r2')], p, 3, Int32Array.of(0, 2), null);
    expect(r.mae).toBeCloseTo(2 / 6, 7);
    expect(r.mse).toBeCloseTo(1 / 6, 7);
    expect(r.rmse).toBeCloseTo(Math.sqrt(1 / 6), 7);
    expect(r.r2).toBeCloseTo(0.8 / 3, 7);
  });
});

describe('streamed accumulation equals the whole-set computation', () => {
  it('counts exact, ratios within rtol 1e-12', () => {
    const rng = new Rng(9);
    const k = 4, n = 257;
    const p = Float32Array.from({ length: n * k }, () => rng.nextFloat());
    const y = Int32Array.from({ length: n }, () => rng.nextInt(k));
    const metrics: Metric[] = ['accuracy', 'binaryAccuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'rmse', 'r2'].map((x) => m(x as never));
    metrics.push(m({ name: 'f1', average: 'weighted' }), m({ name: 'topKAccuracy', k: 2 }));
    const whole = computeMetrics(metrics, p, k, y, null);
    const acc = new MetricAccumulator(k, metrics);
    for (let start = 0; start < n; start += 50) acc.update(p.subarray(start * k, Math.min(n, start + 50) * k), y.subarray(start, Math.min(n, start + 50)), null);
    expect(Array.from(acc.confusion())).toEqual(Array.from(confusionMatrix(y, Array.from({ length: n }, (_, r) => { let b = 0; for (let j = 1; j < k; j++) if (p[r * k + j] > p[r * k + b]) b = j; return b; }), k)));
    for (const metric of metrics) expect(Math.abs(acc.value(metric) - whole[metric.key])).toBeLessThanOrEqual(1e-12 * Math.abs(whole[metric.key]));
  });

  it('bad metric specs fail with their messages', () => {
    expect(() => toMetric('compile(options.metrics[0])', 'recal')).toThrow(/^compile\(options\.metrics\[0\]\): expected one of 'accuracy', .*, received string "recal"$/);
    expect(() => toMetric('compile(options.metrics[0])', { name: 'f1', average: 'samples' })).toThrow(/^compile\(options\.metrics\[0\]\)\.average: expected one of 'binary', 'macro', 'micro', 'weighted', received string "samples"$/);
    expect(() => toMetric('compile(options.metrics[0])', { name: 'topKAccuracy', k: 0 })).toThrow(RangeError);
  });
});
