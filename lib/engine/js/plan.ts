/**
 * The pure-TS Plan: the readable specification of a training step. Same interface and
 * semantics as the native plan; every buffer is allocated here, once, for maxBatch rows.
 *
 * One step: gather the batch rows (class labels become one-hot target rows) → forward through
 * the layers → loss Σ w·l / Σ w (+ regularization) and its gradient w.r.t. the output (or the
 * last pre-activation, for the fused sigmoid/softmax losses) → backward → gradients of frozen
 * ranges zeroed, regularization gradient added → optimizer update over trainableRanges only.
 * lossAndGrad runs the same passes without the update (and fills K-FAC's factors on request,
 * factors.ts); hessianVector adds the R-operator passes (the r* methods of layers.ts).
 *
 * Numerical choices engine.ts leaves open (the native engine mirrors them up to float32 rounding):
 * - row losses, Σ w·l and Σ w are float64, summed in row order (across chunks too); the reported
 *   loss is (Σw > 0 ? Σ w·l / Σw : 0) + the regularization term, rounded once at the store;
 * - each row's gradient is scaled by c = wᵣ/Σw (float64; 0 when Σw = 0);
 * - lossAndGrad over more than maxBatch rows runs chunks of maxBatch rows whose gradients add up
 *   in the arena (rounded per chunk in float32); dropout numbers rows by their position in
 *   `indices`, so the masks do not depend on the chunking; an empty `indices` gives the
 *   regularization term and its gradient only;
 * - batchNorm running statistics move only for steps whose loss is finite (with the update), and
 *   also for a frozen batchNorm (PyTorch: requires_grad off does not change train-mode behaviour).
 */
import { DownhillError, formatMessage, typeError } from '../../errors.js';
import {
  lossFusedWithActivation, outputSize, trainableRanges, layerOffsets,
  type EvalResult, type LossAndGradOptions, type Plan, type PlanSpec, type Targets, type TrainRequest,
} from '../engine.js';
import type { FloatArray } from './gemm.js';
import {
  checkArenas, checkBatchNormRows, checkIndices, checkInputs, checkInteger, checkOutput, checkStepBuffer,
  checkTargets, checkWeights,
} from './checks.js';
import { accumulateOuter, storeSymmetric } from './factors.js';
import { BatchNormRun, DenseRun, hasTrainableParams, layerRun, type FloatArrayCtor, type LayerRun, type Pass } from './layers.js';
import { correctThreshold, countCorrect, rowCurvatureFor, rowLossFor, type RowCurvature, type RowLoss } from './losses.js';
import { applyUpdate } from './optimizers.js';
import { addRegularizationCurvature, addRegularizationGrad, hasRegularization, regularizationLoss, type Regularized } from './regularizers.js';

/** Arenas of the engine's float type (Float64Array for the float64 reference used by gradient checks). */
export interface JsArenas {
  params: FloatArray;
  grads: FloatArray;
  state: FloatArray;
}

/** Targets as the float64 reference also accepts them. */
type AnyTargets = Targets | Float64Array;

/** Time slice after which trainSteps and predict let the event loop run. */
const YIELD_MS = 4;

/**
 * When this thread last let the event loop run. Shared by every call (not reset when a call
 * starts): fit makes one trainSteps call per epoch, and epochs shorter than the slice would
 * otherwise run back to back through promise continuations alone, starving timers and I/O
 * (an AbortSignal fired from a timer never landed).
 */
let lastYield = performance.now();

/** Lets the event loop run (timers, I/O) when the current slice is over. */
async function yieldIfDue(): Promise<void> {
  if (performance.now() - lastYield <= YIELD_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastYield = performance.now();
}

/** Largest stepStart / options.step accepted: steps are exact integers (the masks use them mod 2³²). */
const MAX_STEP = Number.MAX_SAFE_INTEGER;

export class JsPlan implements Plan {
  private readonly runs: LayerRun[] = [];
  private readonly batchNorms: BatchNormRun[] = [];
  /** Per layer: whether an earlier layer has trainable parameters (so dx is needed). */
  private readonly needsDx: boolean[] = [];
  private readonly input: FloatArray;
  /** Target rows of the current chunk (labels expanded to one-hot). */
  private readonly targets: FloatArray;
  /** Loss weight of each row of the current chunk. */
  private readonly rowWeights: Float64Array;
  private readonly outputs: number;
  private readonly rowLoss: RowLoss;
  private readonly fused: boolean;
  private readonly theta: number;
  private readonly ranges: Array<[number, number]>;
  /** Complement of `ranges`: gradients there are always 0. */
  private readonly frozen: Array<[number, number]> = [];
  private readonly regularized: Regularized[] = [];
  private readonly pass: Pass = { training: false, step: 0, rowBase: 0 };
  /** Rows judged right by the last lossHead call. */
  private correct = 0;
  /** The loss's R-operator and R{input} (zeros), set up on the first hessianVector call. */
  private rowCurvature: RowCurvature | null = null;
  private rInput: FloatArray | null = null;
  /** Float64 sums of K-FAC's factors (A then G per dense layer), allocated on first use. */
  private factorSums: Float64Array[] | null = null;
  private busy = false;
  private disposed = false;
  private cancelled = false;

  constructor(
    private readonly spec: PlanSpec,
    private readonly arenas: JsArenas,
    Float: FloatArrayCtor = Float32Array,
  ) {
    checkArenas(spec, arenas);
    const { maxBatch } = spec;
    let widest = spec.inputSize;
    for (const layer of spec.layers) widest = Math.max(widest, layer.units);
    const ctx = { params: arenas.params, grads: arenas.grads, scratch: new Float64Array(4 * widest), seed: spec.seed >>> 0, maxBatch, Float };
    const offsets = layerOffsets(spec);
    let trainableBefore = false;
    spec.layers.forEach((layer, l) => {
      const run = layerRun(layer, l, offsets[l], ctx);
      this.runs.push(run);
      if (run instanceof BatchNormRun) this.batchNorms.push(run);
      this.needsDx.push(trainableBefore);
      if (hasTrainableParams(layer)) trainableBefore = true;
      if (layer.kind === 'dense' && hasRegularization(layer)) {
        this.regularized.push({ spec: layer, wOff: offsets[l], bOff: offsets[l] + layer.inputs * layer.units });
      }
    });
    this.outputs = outputSize(spec);
    this.input = new Float(maxBatch * spec.inputSize);
    this.targets = new Float(maxBatch * this.outputs);
    this.rowWeights = new Float64Array(maxBatch);
    this.fused = lossFusedWithActivation(spec);
    this.rowLoss = rowLossFor(spec.loss, this.fused);
    this.theta = correctThreshold(spec.loss);
    this.ranges = trainableRanges(spec);
    let at = 0;
    for (const [start, end] of this.ranges) {
      if (start > at) this.frozen.push([at, start]);
      at = end;
    }
    if (arenas.params.length > at) this.frozen.push([at, arenas.params.length]);
  }

  async trainSteps(req: TrainRequest): Promise<number> {
    this.begin();
    try {
      const { x, y, indices, batchSize, lrs, stepStart, lossOut, correctOut } = req;
      const weights = req.weights ?? null;
      const n = checkInputs('trainSteps', x, this.spec.inputSize);
      checkTargets('trainSteps', y, n, this.outputs, this.spec.loss.kind);
      checkWeights('trainSteps', weights, n);
      checkIndices('trainSteps', indices, n);
      checkInteger('trainSteps(batchSize)', batchSize, 1, this.spec.maxBatch);
      checkInteger('trainSteps(stepStart)', stepStart, 0, MAX_STEP);
      const steps = lrs.length;
      const batches = Math.ceil(indices.length / batchSize);
      if (steps > batches) {
        throw new RangeError(formatMessage('trainSteps(lrs)', `at most ${batches} learning rates (one per batch of ${batchSize} of the ${indices.length} indices)`, `${steps}`));
      }
      checkStepBuffer('trainSteps(lossOut)', lossOut, steps, false);
      checkStepBuffer('trainSteps(correctOut)', correctOut, steps, true);
      if (this.batchNorms.length > 0 && steps > 0) {
        if (batchSize < 2) checkBatchNormRows('trainSteps(batchSize)', batchSize, String(batchSize));
        const lastRows = Math.min(batchSize, indices.length - (steps - 1) * batchSize);
        checkBatchNormRows('trainSteps(indices)', lastRows, `a last batch of ${lastRows} row (${indices.length} indices in batches of ${batchSize})`);
      }

      const { params, grads, state } = this.arenas;
      const pass = this.pass;
      for (let s = 0; s < steps; s++) {
        if (this.cancelled) return s;
        const start = s * batchSize;
        const rows = Math.min(batchSize, indices.length - start);
        const t = stepStart + s + 1;
        const weightSum = this.gather(x, y, weights, indices, start, rows);
        pass.training = true;
        pass.step = t;
        pass.rowBase = 0;
        this.forward(rows);
        const sum = this.lossHead(rows, weightSum, true);
        lossOut[s] = (weightSum > 0 ? sum / weightSum : 0) + this.regularizationLoss();
        correctOut[s] = this.correct;
        if (!Number.isFinite(lossOut[s])) return s;
        // Only now, with a finite loss, do the running statistics move (with the update).
        for (const bn of this.batchNorms) bn.updateRunningStats();
        this.backward(rows, false);
        this.finishGrads();
        applyUpdate(this.spec.optimizer, lrs[s], t, params, grads, state, this.ranges);
        await yieldIfDue();
      }
      return steps;
    } finally {
      this.busy = false;
    }
  }

  async predict(x: Float32Array, out: Float32Array): Promise<void> {
    this.begin();
    try {
      const n = this.checkPredict('predict', x, out);
      for (let start = 0; start < n; start += this.spec.maxBatch) {
        this.predictChunk(x, out, start, Math.min(this.spec.maxBatch, n - start));
        await yieldIfDue();
      }
    } finally {
      this.busy = false;
    }
  }

  predictSync(x: Float32Array, out: Float32Array): void {
    this.begin();
    try {
      const n = this.checkPredict('predictSync', x, out);
      for (let start = 0; start < n; start += this.spec.maxBatch) {
        this.predictChunk(x, out, start, Math.min(this.spec.maxBatch, n - start));
      }
    } finally {
      this.busy = false;
    }
  }

  async evaluate(x: Float32Array, y: Targets, weights: Float32Array | null, out: Float32Array | null): Promise<EvalResult> {
    this.begin();
    try {
      const n = checkInputs('evaluate', x, this.spec.inputSize);
      checkTargets('evaluate', y, n, this.outputs, this.spec.loss.kind);
      checkWeights('evaluate', weights, n);
      if (out !== null && out !== undefined) checkOutput('evaluate(out)', out, n * this.outputs);
      const k = this.outputs;
      const weightSum = weights ? sumOf(weights, 0, n) : n;
      this.setInference();
      let sum = 0;
      let correct = 0;
      for (let start = 0; start < n; start += this.spec.maxBatch) {
        const rows = Math.min(this.spec.maxBatch, n - start);
        this.gather(x, y, weights ?? null, null, start, rows);
        const o = this.forward(rows);
        sum += this.lossHead(rows, weightSum, false);
        correct += this.correct;
        if (out) for (let i = 0, len = rows * k, at = start * k; i < len; i++) out[at + i] = o[i];
        await yieldIfDue();
      }
      return { loss: (weightSum > 0 ? sum / weightSum : 0) + this.regularizationLoss(), correct };
    } finally {
      this.busy = false;
    }
  }

  lossAndGrad(x: FloatArray, y: AnyTargets, indices: Int32Array, options?: LossAndGradOptions | null): number {
    this.begin();
    try {
      options ??= {};
      const weights = (options.weights ?? null) as FloatArray | null;
      const { total, weightSum } = this.checkBatchCall('lossAndGrad', x, y, indices, weights, options);
      const factors = options.factors;
      if (factors) this.checkFactors(factors);
      const pass = this.pass;
      if (total === 0) this.arenas.grads.fill(0);
      let sum = 0;
      for (let start = 0; start < total; start += this.spec.maxBatch) {
        const rows = Math.min(this.spec.maxBatch, total - start);
        this.gather(x, y, weights, indices, start, rows);
        pass.rowBase = start;
        this.forward(rows);
        sum += this.lossHead(rows, weightSum, true);
        this.backward(rows, start > 0, factors !== undefined);
        if (factors) this.accumulateFactors(rows, total, start === 0);
      }
      if (factors) this.storeFactors(factors, total);
      this.finishGrads();
      return (weightSum > 0 ? sum / weightSum : 0) + this.regularizationLoss();
    } finally {
      this.busy = false;
    }
  }

  /**
   * H·v of the loss over `indices` (as lossAndGrad computes it, same options) by the R-operator
   * (forward-over-reverse), into out. Only trainable ranges count: v elsewhere is ignored and out
   * there is 0. The L2 regularization adds 2·l2·v (L1 has no curvature away from 0). The
   * gradient arena is not touched.
   */
  hessianVector(x: FloatArray, y: AnyTargets, indices: Int32Array, v: FloatArray, out: FloatArray, options?: LossAndGradOptions | null): void {
    this.begin();
    try {
      options ??= {};
      const weights = (options.weights ?? null) as FloatArray | null;
      const { total, weightSum } = this.checkBatchCall('hessianVector', x, y, indices, weights, options);
      const count = this.arenas.params.length;
      checkOutput('hessianVector(v)', v, count);
      checkOutput('hessianVector(out)', out, count);
      if (out === v) throw new RangeError(formatMessage('hessianVector(out)', 'a buffer other than v', 'v itself'));
      if (!this.rowCurvature) {
        this.rowCurvature = rowCurvatureFor(this.spec.loss, this.fused);
        this.rInput = new (this.input.constructor as FloatArrayCtor)(this.input.length);
        for (const run of this.runs) run.prepareR();
      }
      out.fill(0);
      const pass = this.pass;
      for (let start = 0; start < total; start += this.spec.maxBatch) {
        const rows = Math.min(this.spec.maxBatch, total - start);
        this.gather(x, y, weights, indices, start, rows);
        pass.rowBase = start;
        this.forward(rows);
        this.rForward(rows, v);
        this.lossHead(rows, weightSum, true);
        this.lossCurvature(rows, weightSum);
        this.rBackward(rows, v, out);
      }
      for (const [start, end] of this.frozen) out.fill(0, start, end);
      if (this.regularized.length > 0) addRegularizationCurvature(this.regularized, v, out);
    } finally {
      this.busy = false;
    }
  }

  cancel(): void {
    this.cancelled = true;
  }

  dispose(): void {
    if (this.busy) throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', 'dispose: the plan is running a job; wait for it or cancel it first');
    this.disposed = true;
  }

  private begin(): void {
    if (this.disposed) throw new DownhillError('ERR_DOWNHILL_DISPOSED', 'the plan was disposed');
    if (this.busy) throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', 'the plan is already running a job (one at a time)');
    this.busy = true;
    this.cancelled = false;
  }

  /**
   * The checks of lossAndGrad and hessianVector; sets the pass (training, step) and returns the
   * row count and Σ w over `indices` (float64, in order).
   */
  private checkBatchCall(
    where: string, x: FloatArray, y: AnyTargets, indices: Int32Array, weights: FloatArray | null, options: LossAndGradOptions,
  ): { total: number; weightSum: number } {
    const n = checkInputs(where, x, this.spec.inputSize);
    checkTargets(where, y, n, this.outputs, this.spec.loss.kind);
    checkWeights(where, weights, n);
    checkIndices(where, indices, n);
    const training = options.training ?? true;
    if (typeof training !== 'boolean') throw typeError(`${where}(options.training)`, 'a boolean', training);
    const step = options.step ?? 0;
    checkInteger(`${where}(options.step)`, step, 0, MAX_STEP);
    const total = indices.length;
    if (training && this.batchNorms.length > 0) {
      checkBatchNormRows(`${where}(indices)`, total, `${total} row${total === 1 ? '' : 's'}`);
      if (total > this.spec.maxBatch) {
        throw new RangeError(formatMessage(`${where}(indices)`, `at most maxBatch = ${this.spec.maxBatch} rows with batchNorm in training mode (one batch of statistics)`, `${total} rows`));
      }
    }
    let weightSum = total;
    if (weights) {
      weightSum = 0;
      for (let i = 0; i < total; i++) weightSum += weights[indices[i]];
    }
    this.pass.training = training;
    this.pass.step = step;
    return { total, weightSum };
  }

  private setInference(): void {
    this.pass.training = false;
    this.pass.step = 0;
    this.pass.rowBase = 0;
  }

  private checkPredict(where: string, x: Float32Array, out: Float32Array): number {
    const n = checkInputs(where, x, this.spec.inputSize);
    checkOutput(`${where}(out)`, out, n * this.outputs);
    return n;
  }

  /**
   * Copies `rows` rows (indices[start …], or start … without indices) of x, y and the weights
   * into the chunk buffers; returns their Σ w (float64, row order).
   */
  private gather(x: FloatArray, y: AnyTargets, weights: FloatArray | null, indices: Int32Array | null, start: number, rows: number): number {
    const d = this.spec.inputSize;
    const k = this.outputs;
    const { input, targets, rowWeights } = this;
    const labels = y instanceof Int32Array;
    let weightSum = 0;
    for (let r = 0; r < rows; r++) {
      const row = indices ? indices[start + r] : start + r;
      // A view per row (no buffer): set() copies it as one memcpy, 6× faster than a JS loop here.
      input.set(x.subarray(row * d, row * d + d), r * d);
      const to = r * k;
      if (labels) {
        for (let j = 0; j < k; j++) targets[to + j] = 0;
        targets[to + y[row]] = 1;
      } else {
        for (let j = 0, from = row * k; j < k; j++) targets[to + j] = y[from + j];
      }
      const w = weights ? weights[row] : 1;
      rowWeights[r] = w;
      weightSum += w;
    }
    return weightSum;
  }

  /** Runs the layers over the chunk in `input`; returns the output rows. */
  private forward(rows: number): FloatArray {
    let a = this.input;
    for (const run of this.runs) {
      run.forward(a, rows, this.pass);
      a = run.out;
    }
    return a;
  }

  private output(): FloatArray {
    return this.runs.length > 0 ? this.runs[this.runs.length - 1].out : this.input;
  }

  /**
   * Σ w·l over the chunk (float64, row order); with `grad`, the loss gradient of each row, scaled
   * by wᵣ/Σw (0 when Σw = 0), into the last layer's dOut. Sets `correct`.
   */
  private lossHead(rows: number, weightSum: number, grad: boolean): number {
    const k = this.outputs;
    const last = this.runs.length - 1;
    const o = this.output();
    const u = this.fused ? this.runs[last].logits(last > 0 ? this.runs[last - 1].out : this.input) : o;
    const g = grad && last >= 0 ? this.runs[last].dOut : null;
    const { targets, rowWeights, rowLoss } = this;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const w = rowWeights[r];
      sum += w * rowLoss(u, targets, r * k, k, weightSum > 0 ? w / weightSum : 0, g);
    }
    this.correct = countCorrect(o, targets, rows, k, this.theta);
    return sum;
  }

  /** `everyDx`: propagate to every layer (K-FAC needs δ of frozen layers too). */
  private backward(rows: number, accumulate: boolean, everyDx = false): void {
    const runs = this.runs;
    for (let l = runs.length - 1; l >= 0; l--) {
      const x = l > 0 ? runs[l - 1].out : this.input;
      const dx = l > 0 && (everyDx || this.needsDx[l]) ? runs[l - 1].dOut : null;
      runs[l].backward(x, dx, rows, this.pass, accumulate, this.fused && l === runs.length - 1);
    }
  }

  /** R-operator forward through the layers (after forward on the same rows). */
  private rForward(rows: number, v: FloatArray): void {
    let a = this.input;
    let ra = this.rInput!;
    for (const run of this.runs) {
      run.rForward(a, ra, rows, this.pass, v);
      a = run.out;
      ra = run.rOut;
    }
  }

  /** R{loss gradient} = c·H·R{u} of each row into the last layer's rdOut. */
  private lossCurvature(rows: number, weightSum: number): void {
    const last = this.runs.length - 1;
    if (last < 0) return;
    const k = this.outputs;
    const run = this.runs[last];
    const prevOut = last > 0 ? this.runs[last - 1].out : this.input;
    const prevR = last > 0 ? this.runs[last - 1].rOut : this.rInput!;
    const u = this.fused ? run.logits(prevOut) : run.out;
    const ru = this.fused ? run.rLogits(prevR) : run.rOut;
    const curvature = this.rowCurvature!;
    for (let r = 0; r < rows; r++) {
      const w = this.rowWeights[r];
      curvature(u, this.targets, r * k, k, weightSum > 0 ? w / weightSum : 0, ru, run.rdOut);
    }
  }

  private rBackward(rows: number, v: FloatArray, hv: FloatArray): void {
    const runs = this.runs;
    for (let l = runs.length - 1; l >= 0; l--) {
      const x = l > 0 ? runs[l - 1].out : this.input;
      const rx = l > 0 ? runs[l - 1].rOut : this.rInput!;
      const needed = this.needsDx[l];
      runs[l].rBackward(x, rx, needed ? runs[l - 1].dOut : null, needed ? runs[l - 1].rdOut : null, rows, this.pass, v, hv, this.fused && l === runs.length - 1);
    }
  }

  /** Zeroes the gradients outside trainableRanges and adds the regularization gradient. */
  private finishGrads(): void {
    const grads = this.arenas.grads;
    for (const [start, end] of this.frozen) grads.fill(0, start, end);
    if (this.regularized.length > 0) addRegularizationGrad(this.regularized, this.arenas.params, grads);
  }

  private denseRuns(): DenseRun[] {
    return this.runs.filter((run): run is DenseRun => run instanceof DenseRun);
  }

  private checkFactors(factors: { a: Float32Array[]; g: Float32Array[] }): void {
    const dense = this.denseRuns();
    for (const [name, list] of [['a', factors.a], ['g', factors.g]] as const) {
      if (!Array.isArray(list) || list.length !== dense.length) {
        throw typeError(`lossAndGrad(options.factors.${name})`, `an array of ${dense.length} Float32Arrays (one per dense layer)`, list);
      }
      dense.forEach(({ spec }, i) => {
        const d = name === 'a' ? spec.inputs + (spec.useBias ? 1 : 0) : spec.units;
        const m = list[i];
        if (!(m instanceof Float32Array)) throw typeError(`lossAndGrad(options.factors.${name}[${i}])`, 'a Float32Array', m);
        if (m.length !== d * d) throw new RangeError(formatMessage(`lossAndGrad(options.factors.${name}[${i}])`, `${d}·${d} = ${d * d} values`, `Float32Array(${m.length})`));
      });
    }
  }

  /** Adds this chunk's rows to the factor sums (A with 1/n, G with n: see factors.ts). */
  private accumulateFactors(rows: number, n: number, first: boolean): void {
    const dense = this.denseRuns();
    this.factorSums ??= dense.flatMap(({ spec }) => [new Float64Array((spec.inputs + 1) ** 2), new Float64Array(spec.units ** 2)]);
    const sums = this.factorSums;
    dense.forEach((run, i) => {
      const l = this.runs.indexOf(run);
      const x = l > 0 ? this.runs[l - 1].out : this.input;
      const { inputs, units, useBias } = run.spec;
      if (first) {
        sums[2 * i].fill(0);
        sums[2 * i + 1].fill(0);
      }
      accumulateOuter(x, rows, inputs, useBias, 1 / n, sums[2 * i]);
      accumulateOuter(run.dOut, rows, units, false, n, sums[2 * i + 1]);
    });
  }

  private storeFactors(factors: { a: Float32Array[]; g: Float32Array[] }, rows: number): void {
    const dense = this.denseRuns();
    const sums = this.factorSums;
    dense.forEach(({ spec }, i) => {
      const d = spec.inputs + (spec.useBias ? 1 : 0);
      if (sums && rows > 0) {
        storeSymmetric(sums[2 * i], d, factors.a[i]);
        storeSymmetric(sums[2 * i + 1], spec.units, factors.g[i]);
      } else {
        factors.a[i].fill(0);
        factors.g[i].fill(0);
      }
    });
  }

  private regularizationLoss(): number {
    return this.regularized.length > 0 ? regularizationLoss(this.regularized, this.arenas.params) : 0;
  }

  private predictChunk(x: Float32Array, out: Float32Array, start: number, rows: number): void {
    const d = this.spec.inputSize;
    const k = this.outputs;
    const input = this.input;
    for (let i = 0, len = rows * d, from = start * d; i < len; i++) input[i] = x[from + i];
    this.setInference();
    const o = this.forward(rows);
    for (let i = 0, len = rows * k, to = start * k; i < len; i++) out[to + i] = o[i];
  }
}

function sumOf(v: FloatArray, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += v[i];
  return s;
}
