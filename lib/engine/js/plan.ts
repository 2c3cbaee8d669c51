/**
 * The pure-TS Plan: the readable specification of a training step. Same interface and
 * semantics as the native plan; every buffer is allocated here, once, for maxBatch rows.
 */
import { DownhillError } from '../../errors.js';
import { outputSize, type PlanSpec, type Plan, type TrainRequest, type Targets } from '../engine.js';
import { gemmNN, gemmNT, gemmTN, type FloatArray } from './gemm.js';
import { biasActivate, columnSums, reluBackward, softmaxCrossEntropy } from './kernels.js';
import { applyUpdate } from './optimizers.js';

type FloatArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Arenas of the engine's float type (Float64Array for the float64 reference used by gradient checks). */
export interface JsArenas {
  params: FloatArray;
  grads: FloatArray;
  state: FloatArray;
}

interface LayerBuffers {
  inputs: number;
  units: number;
  wOff: number;
  bOff: number;
  relu: boolean;
  /** Post-activation output, maxBatch × units. */
  out: FloatArray;
  /** Gradient w.r.t. the pre-activation, maxBatch × units. */
  dz: FloatArray;
}

/** Time slice after which trainSteps lets the event loop run. */
const YIELD_MS = 4;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class JsPlan implements Plan {
  private readonly layers: LayerBuffers[] = [];
  private readonly input: FloatArray;
  private readonly labels: Int32Array;
  private readonly targets: FloatArray;
  private readonly scratch: Float64Array;
  private readonly outputs: number;
  private busy = false;
  private disposed = false;
  private cancelled = false;

  constructor(
    private readonly spec: PlanSpec,
    private readonly arenas: JsArenas,
    Float: FloatArrayCtor = Float32Array,
  ) {
    const maxBatch = spec.maxBatch;
    let offset = 0;
    let widest = spec.inputSize;
    for (const layer of spec.layers) {
      const wOff = offset;
      const bOff = wOff + layer.inputs * layer.units;
      offset = bOff + layer.units;
      widest = Math.max(widest, layer.units);
      this.layers.push({
        inputs: layer.inputs,
        units: layer.units,
        wOff,
        bOff,
        relu: layer.activation === 'relu',
        out: new Float(maxBatch * layer.units),
        dz: new Float(maxBatch * layer.units),
      });
    }
    this.outputs = outputSize(spec);
    this.input = new Float(maxBatch * spec.inputSize);
    this.labels = new Int32Array(maxBatch);
    this.targets = new Float(maxBatch * this.outputs);
    this.scratch = new Float64Array(4 * widest);
  }

  async trainSteps(req: TrainRequest): Promise<number> {
    this.begin();
    try {
      const { x, y, indices, batchSize, lrs, stepStart, lossOut, correctOut } = req;
      const { params, grads, state } = this.arenas;
      let sliceStart = performance.now();
      for (let step = 0; step < lrs.length; step++) {
        if (this.cancelled) return step;
        const start = step * batchSize;
        const rows = Math.min(batchSize, indices.length - start);
        this.gather(x, y, indices, start, rows);
        this.forward(this.input, rows, true);
        const { sum, correct } = this.lossHead(rows, rows);
        const loss = sum / rows;
        lossOut[step] = loss;
        correctOut[step] = correct;
        if (!Number.isFinite(lossOut[step])) return step;
        this.backward(rows, false);
        applyUpdate(this.spec.optimizer, lrs[step], stepStart + step + 1, params, grads, state);
        if (performance.now() - sliceStart > YIELD_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      return lrs.length;
    } finally {
      this.busy = false;
    }
  }

  async predict(x: Float32Array, out: Float32Array): Promise<void> {
    this.begin();
    try {
      let sliceStart = performance.now();
      const n = x.length / this.spec.inputSize;
      for (let start = 0; start < n; start += this.spec.maxBatch) {
        this.predictChunk(x, out, start, Math.min(this.spec.maxBatch, n - start));
        if (performance.now() - sliceStart > YIELD_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
    } finally {
      this.busy = false;
    }
  }

  predictSync(x: Float32Array, out: Float32Array): void {
    this.begin();
    try {
      const n = x.length / this.spec.inputSize;
      for (let start = 0; start < n; start += this.spec.maxBatch) {
        this.predictChunk(x, out, start, Math.min(this.spec.maxBatch, n - start));
      }
    } finally {
      this.busy = false;
    }
  }

  lossAndGrad(x: FloatArray, y: Targets | Float64Array, indices: Int32Array): number {
    this.begin();
    try {
      const total = indices.length;
      let sum = 0;
      for (let start = 0; start < total; start += this.spec.maxBatch) {
        const rows = Math.min(this.spec.maxBatch, total - start);
        this.gather(x, y, indices, start, rows);
        this.forward(this.input, rows, true);
        sum += this.lossHead(rows, total).sum;
        this.backward(rows, start > 0);
      }
      return sum / total;
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

  private gather(x: FloatArray, y: Targets | Float64Array, indices: Int32Array, start: number, rows: number): void {
    const d = this.spec.inputSize;
    const k = this.outputs;
    const labels = y instanceof Int32Array;
    for (let r = 0; r < rows; r++) {
      const row = indices[start + r];
      this.input.set(x.subarray(row * d, row * d + d), r * d);
      if (labels) this.labels[r] = y[row];
      else this.targets.set(y.subarray(row * k, row * k + k), r * k);
    }
    this.targetsAreLabels = labels;
  }

  private targetsAreLabels = true;

  /** With `lossFollows`, a softmax last layer stays as logits: the loss head fuses it with the cross-entropy. */
  private forward(input: FloatArray, rows: number, lossFollows: boolean): void {
    const { params } = this.arenas;
    let a: FloatArray = input;
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      const activation = this.spec.layers[l].activation;
      gemmNN(rows, L.units, L.inputs, a, 0, L.inputs, params, L.wOff, L.units, L.out, 0, L.units, false, this.scratch);
      const fusedIntoLoss = lossFollows && l === this.layers.length - 1 && activation === 'softmax';
      biasActivate(L.out, rows, L.units, params, L.bOff, fusedIntoLoss ? 'linear' : activation);
      a = L.out;
    }
  }

  /** Softmax-CE on the last layer's logits; leaves probabilities there and dZ in its dz. */
  private lossHead(rows: number, divisor: number) {
    const last = this.layers[this.layers.length - 1];
    return softmaxCrossEntropy(
      last.out, last.dz, rows, last.units,
      this.targetsAreLabels ? this.labels : null,
      this.targetsAreLabels ? null : this.targets,
      divisor,
    );
  }

  private backward(rows: number, accumulate: boolean): void {
    const { params, grads } = this.arenas;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l];
      const prevOut = l > 0 ? this.layers[l - 1].out : this.input;
      gemmTN(L.inputs, L.units, rows, prevOut, 0, L.inputs, L.dz, 0, L.units, grads, L.wOff, L.units, accumulate, this.scratch);
      columnSums(L.dz, rows, L.units, grads, L.bOff, accumulate, this.scratch);
      if (l === 0) break;
      const P = this.layers[l - 1];
      gemmNT(rows, L.inputs, L.units, L.dz, 0, L.units, params, L.wOff, L.units, P.dz, 0, L.inputs);
      if (P.relu) reluBackward(P.dz, P.out, rows * P.units);
    }
  }

  private predictChunk(x: Float32Array, out: Float32Array, start: number, rows: number): void {
    const d = this.spec.inputSize;
    const k = this.outputs;
    this.input.set(x.subarray(start * d, (start + rows) * d));
    this.forward(this.input, rows, false);
    const last = this.layers[this.layers.length - 1];
    out.set(last.out.subarray(0, rows * k), start * k);
  }
}
