/**
 * Metrics over a model's outputs (row-major n × k, softmax probabilities) and the truth
 * (class indices, or target rows such as one-hot). Computed in TS from the same outputs
 * whatever the engine. Definitions follow scikit-learn: precision/recall/F1 count a class
 * as positive one-vs-rest; a ratio whose denominator is 0 is 0 (sklearn's zero_division=0);
 * macro/weighted averages run over the classes present in the truth or the predictions;
 * micro averages pool the counts (for single-label classification micro P = R = F1 =
 * accuracy); 'binary' reports class 1. AUC is the ROC area (ties count ½), one-vs-rest and
 * macro-averaged over classes that have both positives and negatives (NaN when none has).
 * Regression metrics compare every output value with its target (one-hot for labels); r2
 * averages per-output R² (sklearn's uniform_average; a constant target gives 1 when predicted
 * exactly, else 0).
 */
import { rangeError, typeError } from './errors.js';
import { checkInteger, checkKnownKeys, checkObject, checkOneOf } from './validate.js';

export type MetricName =
  | 'accuracy' | 'binaryAccuracy' | 'topKAccuracy' | 'precision' | 'recall' | 'f1' | 'auc' | 'mae' | 'mse' | 'rmse' | 'r2';
export const metricNames: readonly MetricName[] = ['accuracy', 'binaryAccuracy', 'topKAccuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'rmse', 'r2'];
export type Average = 'binary' | 'macro' | 'micro' | 'weighted';
const averages: readonly Average[] = ['binary', 'macro', 'micro', 'weighted'];

/** A metric in compile({ metrics }): a name, or { name, average, k, key } for options. */
export type MetricSpec = MetricName | { name: MetricName; average?: Average; k?: number; key?: string };

/** A validated metric: its log key (e.g. 'f1', 'f1Weighted', 'top3Accuracy') and options. */
export interface Metric {
  name: MetricName;
  key: string;
  average: Average;
  k: number;
}

/** Validates one compile({ metrics }) entry. */
export function toMetric(argument: string, spec: unknown): Metric {
  if (typeof spec === 'string') {
    const name = checkOneOf(argument, spec, metricNames);
    return { name, key: name, average: 'macro', k: 5 };
  }
  const o = checkObject(argument, spec);
  checkKnownKeys(argument, o, ['name', 'average', 'k', 'key']);
  const name = checkOneOf(`${argument}.name`, o.name, metricNames);
  const average = o.average === undefined ? 'macro' : checkOneOf(`${argument}.average`, o.average, averages);
  const k = o.k === undefined ? 5 : checkInteger(`${argument}.k`, o.k, 1);
  if (o.key !== undefined && (typeof o.key !== 'string' || o.key === '')) throw typeError(`${argument}.key`, 'a non-empty string', o.key);
  const suffix = average === 'macro' ? '' : average[0].toUpperCase() + average.slice(1);
  const derived = name === 'topKAccuracy' ? `top${k}Accuracy` : ['precision', 'recall', 'f1'].includes(name) ? name + suffix : name;
  return { name, key: (o.key as string | undefined) ?? derived, average, k };
}

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

/**
 * k × k confusion counts, row = true class, column = predicted class (argmax), as sklearn.
 * @example confusionMatrix(Int32Array.of(0, 1, 1), Int32Array.of(0, 0, 1), 2) // [1, 0, 1, 1]
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): Int32Array {
  if (truth.length !== predicted.length) throw rangeError('confusionMatrix(predicted)', `${truth.length} values (as many as truth)`, predicted.length);
  const m = new Int32Array(classes * classes);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i], p = predicted[i];
    if (!(t >= 0 && t < classes && Number.isInteger(t))) throw rangeError(`confusionMatrix(truth)[${i}]`, `a class index in [0, ${classes - 1}]`, t);
    if (!(p >= 0 && p < classes && Number.isInteger(p))) throw rangeError(`confusionMatrix(predicted)[${i}]`, `a class index in [0, ${classes - 1}]`, p);
    m[t * classes + p]++;
  }
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Precision, recall and F1 from a confusion matrix with the given averaging. */
export function precisionRecallF1(matrix: ArrayLike<number>, classes: number, average: Average = 'macro'): ClassScores {
  const tp = new Float64Array(classes), fp = new Float64Array(classes), fn = new Float64Array(classes), support = new Float64Array(classes);
  const predictedAny = new Uint8Array(classes);
  for (let t = 0; t < classes; t++) {
    for (let p = 0; p < classes; p++) {
      const c = matrix[t * classes + p];
      if (t === p) tp[t] += c;
      else {
        fn[t] += c;
        fp[p] += c;
      }
      support[t] += c;
      if (c > 0) predictedAny[p] = 1;
    }
  }
  const per = (c: number): ClassScores => {
    const precision = ratio(tp[c], tp[c] + fp[c]);
    const recall = ratio(tp[c], tp[c] + fn[c]);
    return { precision, recall, f1: ratio(2 * tp[c], 2 * tp[c] + fp[c] + fn[c]) };
  };
  if (average === 'binary') {
    if (classes !== 2) throw rangeError('precisionRecallF1(average)', "'binary' only with 2 classes (use 'macro', 'micro' or 'weighted')", `'binary' with ${classes} classes`);
    return per(1);
  }
  if (average === 'micro') {
    let T = 0, P = 0, N = 0;
    for (let c = 0; c < classes; c++) {
      T += tp[c];
      P += fp[c];
      N += fn[c];
    }
    return { precision: ratio(T, T + P), recall: ratio(T, T + N), f1: ratio(2 * T, 2 * T + P + N) };
  }
  const out = { precision: 0, recall: 0, f1: 0 };
  let weight = 0;
  for (let c = 0; c < classes; c++) {
    if (support[c] === 0 && !predictedAny[c]) continue; // sklearn: labels present in truth or predictions
    const w = average === 'weighted' ? support[c] : 1;
    const s = per(c);
    out.precision += w * s.precision;
    out.recall += w * s.recall;
    out.f1 += w * s.f1;
    weight += w;
  }
  return weight === 0 ? { precision: 0, recall: 0, f1: 0 } : { precision: out.precision / weight, recall: out.recall / weight, f1: out.f1 / weight };
}

/** ROC AUC of scores against binary truth (Mann–Whitney with average ranks for ties); NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let q = i; q <= j; q++) if (positive[order[q]]) {
      pos++;
      rankSum += rank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Streams outputs batch by batch and gives the same results as one pass over the whole set
 * (counts exact; sums in float64).
 */
export class MetricAccumulator {
  private readonly matrix: Int32Array;
  private n = 0;
  private correctTopK = new Map<number, number>();
  private binaryHits = 0;
  private absSum = 0;
  private sqSum = 0;
  private readonly tSum: Float64Array;
  private readonly tSq: Float64Array;
  private readonly resSq: Float64Array;
  private readonly scores: number[][];
  private readonly truth: number[] = [];

  constructor(readonly classes: number, private readonly metrics: Metric[] = []) {
    this.matrix = new Int32Array(classes * classes);
    this.tSum = new Float64Array(classes);
    this.tSq = new Float64Array(classes);
    this.resSq = new Float64Array(classes);
    this.scores = Array.from({ length: metrics.some((m) => m.name === 'auc') ? classes : 0 }, () => []);
  }

  /** Adds rows: outputs p (rows × k) with class labels or target rows. */
  update(p: ArrayLike<number>, labels: ArrayLike<number> | null, targets: ArrayLike<number> | null): void {
    const k = this.classes;
    const rows = p.length / k;
    const ks = [...new Set(this.metrics.filter((m) => m.name === 'topKAccuracy').map((m) => m.k))];
    for (let r = 0; r < rows; r++) {
      const truth = labels ? labels[r] : argmax(targets!, r, k);
      const pred = argmax(p, r, k);
      this.matrix[truth * k + pred]++;
      this.truth.push(truth);
      for (const topk of ks) {
        const pt = p[r * k + truth];
        let above = 0;
        for (let j = 0; j < k; j++) if (p[r * k + j] > pt) above++;
        if (above < topk) this.correctTopK.set(topk, (this.correctTopK.get(topk) ?? 0) + 1);
      }
      for (let j = 0; j < k; j++) {
        const t = labels ? (j === truth ? 1 : 0) : targets![r * k + j];
        const v = p[r * k + j];
        if (v > 0.5 === t > 0.5) this.binaryHits++;
        const d = v - t;
        this.absSum += Math.abs(d);
        this.sqSum += d * d;
        this.tSum[j] += t;
        this.tSq[j] += t * t;
        this.resSq[j] += d * d;
        if (this.scores.length) this.scores[j].push(v);
      }
    }
    this.n += rows;
  }

  /** The confusion counts so far (row = truth, column = prediction). */
  confusion(): Int32Array {
    return this.matrix.slice();
  }

  /** Value of one metric over everything added. */
  value(m: Metric): number {
    const k = this.classes, n = this.n;
    switch (m.name) {
      case 'accuracy': {
        let ok = 0;
        for (let c = 0; c < k; c++) ok += this.matrix[c * k + c];
        return ok / n;
      }
      case 'topKAccuracy':
        return (this.correctTopK.get(m.k) ?? 0) / n;
      case 'binaryAccuracy':
        return this.binaryHits / (n * k);
      case 'precision':
      case 'recall':
      case 'f1':
        return precisionRecallF1(this.matrix, k, m.average)[m.name];
      case 'mae':
        return this.absSum / (n * k);
      case 'mse':
        return this.sqSum / (n * k);
      case 'rmse':
        return Math.sqrt(this.sqSum / (n * k));
      case 'r2': {
        let sum = 0;
        for (let j = 0; j < k; j++) {
          const ssTot = this.tSq[j] - (this.tSum[j] * this.tSum[j]) / n;
          sum += ssTot > 0 ? 1 - this.resSq[j] / ssTot : this.resSq[j] === 0 ? 1 : 0;
        }
        return sum / k;
      }
      case 'auc': {
        if (k === 2) return rocAuc(this.scores[1], this.truth.map((t) => t === 1));
        let sum = 0, count = 0;
        for (let c = 0; c < k; c++) {
          const a = rocAuc(this.scores[c], this.truth.map((t) => t === c));
          if (!Number.isNaN(a)) {
            sum += a;
            count++;
          }
        }
        return count === 0 ? NaN : sum / count;
      }
    }
  }
}

/**
 * Every metric over a whole set of outputs: { [metric.key]: value }.
 * @example computeMetrics([toMetric('m', 'f1')], probs, 10, labels, null) // { f1: 0.93 }
 */
export function computeMetrics(metrics: Metric[], p: Float32Array, k: number, labels: Int32Array | null, targets: Float32Array | null): Record<string, number> {
  const acc = new MetricAccumulator(k, metrics);
  acc.update(p, labels, targets);
  const out: Record<string, number> = {};
  for (const m of metrics) out[m.key] = acc.value(m);
  return out;
}
