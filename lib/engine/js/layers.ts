/**
 * One runtime object per layer of a plan: its preallocated buffers (for maxBatch rows) and its
 * forward and backward passes, built from the kernels of this folder. A layer reads its input
 * x (the previous layer's `out`, or the plan's input rows) and writes `out`; backward consumes
 * `dOut` (the gradient w.r.t. out, written by the next layer or the loss), writes its parameter
 * gradients when trainable, and the gradient w.r.t. x into dx when an earlier layer needs it.
 */
import type { ActivationLayerSpec, BatchNormSpec, DenseSpec, DropoutSpec, LayerNormSpec, LayerSpec } from '../engine.js';
import { activationBackward, activationForward, activationRBackward, activationRForward, needsPreActivation } from './activations.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import { gemmNN, gemmNT, gemmTN, type FloatArray } from './gemm.js';
import { addBias, columnSums, storeSums } from './kernels.js';
import {
  batchNormBackward, batchNormInferForward, batchNormRBackward, batchNormRForward, batchNormTrainForward,
  layerNormBackward, layerNormForward, layerNormRBackward, layerNormRForward, updateRunningStats, type NormParams,
} from './norms.js';

export type FloatArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** What one forward/backward pass is: training or inference, and the dropout masks it uses. */
export interface Pass {
  training: boolean;
  /** The step whose dropout masks apply. */
  step: number;
  /** Batch row of the chunk's first row (dropout element numbering). */
  rowBase: number;
}

/** What every layer shares: the arenas, the plan's seed and a float64 scratch of ≥ 4·widest values. */
export interface LayerContext {
  params: FloatArray;
  grads: FloatArray;
  scratch: Float64Array;
  seed: number;
  maxBatch: number;
  Float: FloatArrayCtor;
}

export interface LayerRun {
  /** Output, maxBatch × units. */
  readonly out: FloatArray;
  /** Gradient w.r.t. out, maxBatch × units; overwritten by backward. */
  readonly dOut: FloatArray;
  forward(x: FloatArray, rows: number, pass: Pass): void;
  /**
   * `accumulate`: add to the parameter gradients instead of overwriting them. `skipActivation`:
   * dOut already holds the gradient w.r.t. the pre-activation (a loss fused with sigmoid/softmax).
   */
  backward(x: FloatArray, dx: FloatArray | null, rows: number, pass: Pass, accumulate: boolean, skipActivation: boolean): void;
  /** The pre-activation a fused loss reads (dense: z; activation layer: its input). */
  logits(x: FloatArray): FloatArray;

  // The R-operator (Hessian-vector products, forward-over-reverse): R{·} is the derivative along
  // a direction v of the parameters. Buffers are allocated by prepareR, on the first use.
  /** R{out}. */
  readonly rOut: FloatArray;
  /** R{∂L/∂out}; overwritten by rBackward. */
  readonly rdOut: FloatArray;
  prepareR(): void;
  /** After forward on the same rows: rOut from R{x} and v (ignored by frozen layers). */
  rForward(x: FloatArray, rx: FloatArray, rows: number, pass: Pass, v: FloatArray): void;
  /**
   * From dOut and rdOut: adds R{∂L/∂θ} of a trainable layer into hv and writes dx, R{dx} (when
   * given). No parameter gradients are written.
   */
  rBackward(x: FloatArray, rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, pass: Pass, v: FloatArray, hv: FloatArray, skipActivation: boolean): void;
  /** R{pre-activation} for a fused loss (dense: R{z}; activation layer: R{x}). */
  rLogits(rx: FloatArray): FloatArray;
}

const NONE = new Float64Array(0);

/** out = act(x·W + b); z kept apart from out only when the backward pass or a fused loss needs it. */
export class DenseRun implements LayerRun {
  readonly z: FloatArray;
  readonly out: FloatArray;
  /** Gradient w.r.t. out; after backward, the gradient w.r.t. z. */
  readonly dOut: FloatArray;
  private readonly bOff: number;

  constructor(readonly spec: DenseSpec, private readonly wOff: number, private readonly ctx: LayerContext) {
    const size = ctx.maxBatch * spec.units;
    this.z = new ctx.Float(size);
    this.out = needsPreActivation(spec.activation) ? new ctx.Float(size) : this.z;
    this.dOut = new ctx.Float(size);
    this.bOff = wOff + spec.inputs * spec.units;
  }

  forward(x: FloatArray, rows: number): void {
    const { inputs, units, useBias, activation, alpha } = this.spec;
    const { params, scratch } = this.ctx;
    gemmNN(rows, units, inputs, x, 0, inputs, params, this.wOff, units, this.z, 0, units, false, scratch);
    if (useBias) addBias(this.z, rows, units, params, this.bOff);
    activationForward(activation, alpha, this.z, this.out, rows, units);
  }

  backward(x: FloatArray, dx: FloatArray | null, rows: number, _pass: Pass, accumulate: boolean, skipActivation: boolean): void {
    const { inputs, units, useBias, activation, alpha, trainable } = this.spec;
    const { params, grads, scratch } = this.ctx;
    const d = this.dOut;
    if (!skipActivation) activationBackward(activation, alpha, this.z, this.out, d, d, rows, units);
    if (trainable) {
      gemmTN(inputs, units, rows, x, 0, inputs, d, 0, units, grads, this.wOff, units, accumulate, scratch);
      if (useBias) columnSums(d, rows, units, grads, this.bOff, accumulate, scratch);
    }
    if (dx) gemmNT(rows, inputs, units, d, 0, units, params, this.wOff, units, dx, 0, inputs);
  }

  logits(): FloatArray {
    return this.z;
  }

  rz: FloatArray = NONE;
  rOut: FloatArray = NONE;
  rdOut: FloatArray = NONE;

  prepareR(): void {
    if (this.rOut !== NONE) return;
    const size = this.ctx.maxBatch * this.spec.units;
    this.rz = new this.ctx.Float(size);
    this.rOut = new this.ctx.Float(size);
    this.rdOut = new this.ctx.Float(size);
  }

  rForward(x: FloatArray, rx: FloatArray, rows: number, _pass: Pass, v: FloatArray): void {
    const { inputs, units, useBias, activation, alpha, trainable } = this.spec;
    const scratch = this.ctx.scratch;
    // R{z} = R{x}·W + x·V_W + V_b.
    gemmNN(rows, units, inputs, rx, 0, inputs, this.ctx.params, this.wOff, units, this.rz, 0, units, false, scratch);
    if (trainable) {
      gemmNN(rows, units, inputs, x, 0, inputs, v, this.wOff, units, this.rz, 0, units, true, scratch);
      if (useBias) addBias(this.rz, rows, units, v, this.bOff);
    }
    activationRForward(activation, alpha, this.z, this.out, this.rz, this.rOut, rows, units);
  }

  rBackward(x: FloatArray, rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, _pass: Pass, v: FloatArray, hv: FloatArray, skipActivation: boolean): void {
    const { inputs, units, useBias, activation, alpha, trainable } = this.spec;
    const { params, scratch } = this.ctx;
    const d = this.dOut;
    const rd = this.rdOut;
    if (!skipActivation) {
      activationRBackward(activation, alpha, this.z, this.out, this.rz, this.rOut, d, rd, rd, rows, units);
      activationBackward(activation, alpha, this.z, this.out, d, d, rows, units);
    }
    if (trainable) {
      // R{∂L/∂W} = R{x}ᵀ·dz + xᵀ·R{dz}; R{∂L/∂b} = Σ R{dz}.
      gemmTN(inputs, units, rows, rx, 0, inputs, d, 0, units, hv, this.wOff, units, true, scratch);
      gemmTN(inputs, units, rows, x, 0, inputs, rd, 0, units, hv, this.wOff, units, true, scratch);
      if (useBias) columnSums(rd, rows, units, hv, this.bOff, true, scratch);
    }
    if (dx && rdx) {
      gemmNT(rows, inputs, units, d, 0, units, params, this.wOff, units, dx, 0, inputs);
      gemmNT(rows, inputs, units, rd, 0, units, params, this.wOff, units, rdx, 0, inputs);
      if (trainable) gemmNT(rows, inputs, units, d, 0, units, v, this.wOff, units, rdx, 0, inputs, true);
    }
  }

  rLogits(): FloatArray {
    return this.rz;
  }
}

/** An activation on its own; its pre-activation is its input. */
class ActivationRun implements LayerRun {
  readonly out: FloatArray;
  readonly dOut: FloatArray;

  constructor(private readonly spec: ActivationLayerSpec, private readonly ctx: LayerContext) {
    this.out = new ctx.Float(ctx.maxBatch * spec.units);
    this.dOut = new ctx.Float(ctx.maxBatch * spec.units);
  }

  forward(x: FloatArray, rows: number): void {
    activationForward(this.spec.activation, this.spec.alpha, x, this.out, rows, this.spec.units);
  }

  backward(x: FloatArray, dx: FloatArray | null, rows: number, _pass: Pass, _accumulate: boolean, skipActivation: boolean): void {
    if (!dx) return;
    activationBackward(skipActivation ? 'linear' : this.spec.activation, this.spec.alpha, x, this.out, this.dOut, dx, rows, this.spec.units);
  }

  logits(x: FloatArray): FloatArray {
    return x;
  }

  rOut: FloatArray = NONE;
  rdOut: FloatArray = NONE;

  prepareR(): void {
    if (this.rOut !== NONE) return;
    this.rOut = new this.ctx.Float(this.ctx.maxBatch * this.spec.units);
    this.rdOut = new this.ctx.Float(this.ctx.maxBatch * this.spec.units);
  }

  rForward(x: FloatArray, rx: FloatArray, rows: number): void {
    activationRForward(this.spec.activation, this.spec.alpha, x, this.out, rx, this.rOut, rows, this.spec.units);
  }

  rBackward(x: FloatArray, rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, _pass: Pass, _v: FloatArray, _hv: FloatArray, skipActivation: boolean): void {
    if (!dx || !rdx) return;
    const { activation, alpha, units } = this.spec;
    if (skipActivation) {
      copy(this.dOut, dx, rows * units);
      copy(this.rdOut, rdx, rows * units);
      return;
    }
    activationRBackward(activation, alpha, x, this.out, rx, this.rOut, this.dOut, this.rdOut, rdx, rows, units);
    activationBackward(activation, alpha, x, this.out, this.dOut, dx, rows, units);
  }

  rLogits(rx: FloatArray): FloatArray {
    return rx;
  }
}

/** Inverted dropout in training passes, the identity otherwise. */
class DropoutRun implements LayerRun {
  readonly out: FloatArray;
  readonly dOut: FloatArray;
  private readonly mask: Uint8Array;

  constructor(private readonly spec: DropoutSpec, private readonly index: number, private readonly ctx: LayerContext) {
    const size = ctx.maxBatch * spec.units;
    this.out = new ctx.Float(size);
    this.dOut = new ctx.Float(size);
    this.mask = new Uint8Array(size);
  }

  private active(pass: Pass): boolean {
    return pass.training && this.spec.rate > 0;
  }

  forward(x: FloatArray, rows: number, pass: Pass): void {
    const { units, rate } = this.spec;
    if (this.active(pass)) dropoutForward(x, this.out, this.mask, rows, units, pass.rowBase, this.ctx.seed, pass.step, this.index, rate);
    else copy(x, this.out, rows * units);
  }

  backward(_x: FloatArray, dx: FloatArray | null, rows: number, pass: Pass): void {
    if (!dx) return;
    const len = rows * this.spec.units;
    if (this.active(pass)) dropoutBackward(this.dOut, dx, this.mask, len, this.spec.rate);
    else copy(this.dOut, dx, len);
  }

  logits(x: FloatArray): FloatArray {
    return x;
  }

  rOut: FloatArray = NONE;
  rdOut: FloatArray = NONE;

  prepareR(): void {
    if (this.rOut !== NONE) return;
    this.rOut = new this.ctx.Float(this.ctx.maxBatch * this.spec.units);
    this.rdOut = new this.ctx.Float(this.ctx.maxBatch * this.spec.units);
  }

  rForward(_x: FloatArray, rx: FloatArray, rows: number, pass: Pass): void {
    const len = rows * this.spec.units;
    if (this.active(pass)) dropoutBackward(rx, this.rOut, this.mask, len, this.spec.rate);
    else copy(rx, this.rOut, len);
  }

  rBackward(x: FloatArray, _rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, pass: Pass): void {
    if (!dx || !rdx) return;
    this.backward(x, dx, rows, pass);
    const len = rows * this.spec.units;
    if (this.active(pass)) dropoutBackward(this.rdOut, rdx, this.mask, len, this.spec.rate);
    else copy(this.rdOut, rdx, len);
  }

  rLogits(rx: FloatArray): FloatArray {
    return rx;
  }
}

/** Batch normalization: batch statistics in training passes, running statistics otherwise. */
export class BatchNormRun implements LayerRun {
  readonly out: FloatArray;
  readonly dOut: FloatArray;
  private readonly xhat: FloatArray;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  private readonly invStd: Float64Array;
  private readonly p: NormParams;
  private readonly runningMean: number;
  private readonly runningVar: number;
  /** Rows of the last training forward pass (for the unbiased running variance). */
  private statRows = 0;

  constructor(private readonly spec: BatchNormSpec, offset: number, private readonly ctx: LayerContext) {
    const size = ctx.maxBatch * spec.units;
    this.out = new ctx.Float(size);
    this.dOut = new ctx.Float(size);
    this.xhat = new ctx.Float(size);
    this.mean = new Float64Array(spec.units);
    this.variance = new Float64Array(spec.units);
    this.invStd = new Float64Array(spec.units);
    this.p = { gamma: offset, beta: offset + spec.units };
    this.runningMean = offset + 2 * spec.units;
    this.runningVar = offset + 3 * spec.units;
  }

  forward(x: FloatArray, rows: number, pass: Pass): void {
    const { units, eps } = this.spec;
    const { params } = this.ctx;
    if (pass.training) {
      batchNormTrainForward(x, this.out, this.xhat, rows, units, params, this.p, eps, this.mean, this.variance, this.invStd);
      this.statRows = rows;
    } else {
      batchNormInferForward(x, this.out, this.xhat, rows, units, params, this.p, this.runningMean, this.runningVar, eps, this.mean, this.invStd);
    }
  }

  /** Folds the statistics of the last training forward pass into the running ones. */
  updateRunningStats(): void {
    updateRunningStats(this.ctx.params, this.runningMean, this.runningVar, this.spec.units, this.statRows, this.spec.momentum, this.mean, this.variance);
  }

  backward(_x: FloatArray, dx: FloatArray | null, rows: number, pass: Pass, accumulate: boolean): void {
    const { units, trainable } = this.spec;
    const { params, grads, scratch } = this.ctx;
    if (!trainable && !dx) return;
    batchNormBackward(this.dOut, this.xhat, dx, rows, units, params, this.p, this.invStd, pass.training, scratch);
    if (trainable) {
      storeSums(scratch, 0, units, grads, this.p.gamma, accumulate);
      storeSums(scratch, units, units, grads, this.p.beta, accumulate);
    }
  }

  logits(x: FloatArray): FloatArray {
    return x;
  }

  rOut: FloatArray = NONE;
  rdOut: FloatArray = NONE;
  private rxhat: FloatArray = NONE;
  private rs: Float64Array = NONE;

  prepareR(): void {
    if (this.rOut !== NONE) return;
    const size = this.ctx.maxBatch * this.spec.units;
    this.rOut = new this.ctx.Float(size);
    this.rdOut = new this.ctx.Float(size);
    this.rxhat = new this.ctx.Float(size);
    this.rs = new Float64Array(this.spec.units);
  }

  rForward(_x: FloatArray, rx: FloatArray, rows: number, pass: Pass, v: FloatArray): void {
    const { units, trainable } = this.spec;
    batchNormRForward(this.xhat, rx, this.rxhat, this.rOut, rows, units, this.ctx.params, trainable ? v : null, this.p, this.invStd, pass.training, this.rs, this.ctx.scratch);
  }

  rBackward(_x: FloatArray, _rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, pass: Pass, v: FloatArray, hv: FloatArray): void {
    const { units, trainable } = this.spec;
    const scratch = this.ctx.scratch;
    batchNormRBackward(this.dOut, this.rdOut, this.xhat, this.rxhat, dx, rdx, rows, units, this.ctx.params, trainable ? v : null, this.p, this.invStd, this.rs, pass.training, scratch);
    if (trainable) {
      storeSums(scratch, 0, units, hv, this.p.gamma, true);
      storeSums(scratch, units, units, hv, this.p.beta, true);
    }
  }

  rLogits(rx: FloatArray): FloatArray {
    return rx;
  }
}

/** Layer normalization over each row's units. */
class LayerNormRun implements LayerRun {
  readonly out: FloatArray;
  readonly dOut: FloatArray;
  private readonly xhat: FloatArray;
  private readonly invStd: Float64Array;
  private readonly p: NormParams;

  constructor(private readonly spec: LayerNormSpec, offset: number, private readonly ctx: LayerContext) {
    const size = ctx.maxBatch * spec.units;
    this.out = new ctx.Float(size);
    this.dOut = new ctx.Float(size);
    this.xhat = new ctx.Float(size);
    this.invStd = new Float64Array(ctx.maxBatch);
    this.p = { gamma: offset, beta: offset + spec.units };
  }

  forward(x: FloatArray, rows: number): void {
    layerNormForward(x, this.out, this.xhat, rows, this.spec.units, this.ctx.params, this.p, this.spec.eps, this.invStd);
  }

  backward(_x: FloatArray, dx: FloatArray | null, rows: number, _pass: Pass, accumulate: boolean): void {
    const { units, trainable } = this.spec;
    const { params, grads, scratch } = this.ctx;
    if (!trainable && !dx) return;
    layerNormBackward(this.dOut, this.xhat, dx, rows, units, params, this.p, this.invStd, scratch);
    if (trainable) {
      storeSums(scratch, 0, units, grads, this.p.gamma, accumulate);
      storeSums(scratch, units, units, grads, this.p.beta, accumulate);
    }
  }

  logits(x: FloatArray): FloatArray {
    return x;
  }

  rOut: FloatArray = NONE;
  rdOut: FloatArray = NONE;
  private rxhat: FloatArray = NONE;
  private rs: Float64Array = NONE;

  prepareR(): void {
    if (this.rOut !== NONE) return;
    const size = this.ctx.maxBatch * this.spec.units;
    this.rOut = new this.ctx.Float(size);
    this.rdOut = new this.ctx.Float(size);
    this.rxhat = new this.ctx.Float(size);
    this.rs = new Float64Array(this.ctx.maxBatch);
  }

  rForward(_x: FloatArray, rx: FloatArray, rows: number, _pass: Pass, v: FloatArray): void {
    const { units, trainable } = this.spec;
    layerNormRForward(this.xhat, rx, this.rxhat, this.rOut, rows, units, this.ctx.params, trainable ? v : null, this.p, this.invStd, this.rs);
  }

  rBackward(_x: FloatArray, _rx: FloatArray, dx: FloatArray | null, rdx: FloatArray | null, rows: number, _pass: Pass, v: FloatArray, hv: FloatArray): void {
    const { units, trainable } = this.spec;
    const scratch = this.ctx.scratch;
    layerNormRBackward(this.dOut, this.rdOut, this.xhat, this.rxhat, dx, rdx, rows, units, this.ctx.params, trainable ? v : null, this.p, this.invStd, this.rs, scratch);
    if (trainable) {
      storeSums(scratch, 0, units, hv, this.p.gamma, true);
      storeSums(scratch, units, units, hv, this.p.beta, true);
    }
  }

  rLogits(rx: FloatArray): FloatArray {
    return rx;
  }
}

function copy(from: FloatArray, to: FloatArray, len: number): void {
  for (let i = 0; i < len; i++) to[i] = from[i];
}

/** The runtime object of layer `index`, whose parameters start at arena offset `offset`. */
export function layerRun(spec: LayerSpec, index: number, offset: number, ctx: LayerContext): LayerRun {
  switch (spec.kind) {
    case 'dense':
      return new DenseRun(spec, offset, ctx);
    case 'activation':
      return new ActivationRun(spec, ctx);
    case 'dropout':
      return new DropoutRun(spec, index, ctx);
    case 'batchNorm':
      return new BatchNormRun(spec, offset, ctx);
    case 'layerNorm':
      return new LayerNormRun(spec, offset, ctx);
  }
}

/** Whether a layer writes parameter gradients. */
export function hasTrainableParams(spec: LayerSpec): boolean {
  return (spec.kind === 'dense' || spec.kind === 'batchNorm' || spec.kind === 'layerNorm') && spec.trainable;
}
