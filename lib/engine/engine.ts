/**
 * THE seam between the public API and the engines. Everything above this file speaks in
 * plain data (a PlanSpec, flat arenas, typed arrays); both engines implement `Engine`.
 *
 * Parameter arena layout: for each dense layer in order, its kernel W (shape [in, out],
 * row-major) then its bias b (shape [out]). Gradients use the same layout; optimizer
 * state holds `stateSlots(optimizer)` arena-sized slots back to back, in the order each
 * spec documents (Adam: m, v, then v̂ with amsgrad; SGD with momentum: the momentum buffer).
 */

export type Activation = 'linear' | 'relu' | 'softmax';
export type LossName = 'categoricalCrossentropy';

export interface DenseSpec {
  kind: 'dense';
  inputs: number;
  units: number;
  activation: Activation;
}

export type LayerSpec = DenseSpec;

/**
 * Gradient clipping, fused into every optimizer's update (first, before weight decay):
 * `clipNorm` > 0 scales the whole gradient arena by clipNorm / (‖g‖₂ + 1e-6) when that is
 * below 1 (PyTorch's clip_grad_norm_, the norm over all parameters); `clipValue` > 0 then
 * clamps each gradient to [−clipValue, clipValue] (clip_grad_value_). 0 or absent: off.
 */
export interface ClipSpec {
  clipNorm?: number;
  clipValue?: number;
}

/**
 * SGD, PyTorch semantics: g += wd·θ; buf = g at the first step, else μ·buf + (1 − dampening)·g;
 * g = nesterov ? g + μ·buf : buf (when μ ≠ 0); θ −= lr·g.
 */
export interface SgdSpec extends ClipSpec {
  kind: 'sgd';
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * Adam/AdamW, PyTorch semantics (t counts from 1):
 * decoupled ? θ ·= 1 − lr·wd : g += wd·θ; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * amsgrad: v̂ = max(v̂, v) replaces v below; θ −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
 */
export interface AdamSpec extends ClipSpec {
  kind: 'adam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  /** Keep the running maximum of v (a third state slot). Default false. */
  amsgrad?: boolean;
}

/** Adagrad: g += wd·θ; s += g²; θ −= lr / (1 + (t − 1)·lrDecay) · g / (√s + eps); s starts at initialAccumulatorValue. */
export interface AdagradSpec extends ClipSpec {
  kind: 'adagrad';
  lrDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  weightDecay: number;
}

/** Adadelta: g += wd·θ; v = ρv + (1 − ρ)g²; Δ = √(u + eps) / √(v + eps) · g; u = ρu + (1 − ρ)Δ²; θ −= lr·Δ. */
export interface AdadeltaSpec extends ClipSpec {
  kind: 'adadelta';
  rho: number;
  eps: number;
  weightDecay: number;
}

/**
 * RMSprop: g += wd·θ; v = αv + (1 − α)g²; centered: ḡ = αḡ + (1 − α)g, d = √(v − ḡ²) + eps, else d = √v + eps;
 * momentum μ > 0: b = μb + g/d, θ −= lr·b; else θ −= lr·g/d. Slots: v, then b (μ > 0), then ḡ (centered).
 */
export interface RmspropSpec extends ClipSpec {
  kind: 'rmsprop';
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/** Adamax: g += wd·θ; m = β1m + (1 − β1)g; u = max(β2·u, |g| + eps); θ −= lr / (1 − β1ᵗ) · m / u. */
export interface AdamaxSpec extends ClipSpec {
  kind: 'adamax';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * NAdam (PyTorch's documented rule): g += wd·θ; μₜ = β1(1 − ½·0.96^(tψ)); m, v as Adam;
 * θ −= lr(1 − μₜ)/(1 − Πᵢ≤ₜ μᵢ) · g/d + lr·μₜ₊₁/(1 − Πᵢ≤ₜ₊₁ μᵢ) · m/d, d = √(v / (1 − β2ᵗ)) + eps.
 */
export interface NadamSpec extends ClipSpec {
  kind: 'nadam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** ψ. */
  momentumDecay: number;
}

/**
 * RAdam: g += wd·θ; m, v as Adam; ρ∞ = 2/(1 − β2) − 1; ρₜ = ρ∞ − 2tβ2ᵗ/(1 − β2ᵗ);
 * ρₜ > 5: θ −= lr·r·m/(1 − β1ᵗ) · √(1 − β2ᵗ)/(√v + eps), r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ));
 * else θ −= lr·m/(1 − β1ᵗ).
 */
export interface RadamSpec extends ClipSpec {
  kind: 'radam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Lion (Chen et al. 2023): c = β1m + (1 − β1)g; θ = θ(1 − lr·wd) − lr·sign(c); m = β2m + (1 − β2)g. */
export interface LionSpec extends ClipSpec {
  kind: 'lion';
  beta1: number;
  beta2: number;
  weightDecay: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec | AdagradSpec | AdadeltaSpec | RmspropSpec | AdamaxSpec | NadamSpec | RadamSpec | LionSpec;

/** A network compiled for an engine: plain data, validated before it gets here. */
export interface PlanSpec {
  inputSize: number;
  layers: LayerSpec[];
  loss: LossName;
  optimizer: OptimizerSpec;
  /** Largest batch any call will use; activations are preallocated for it. */
  maxBatch: number;
}

/** Flat Float32Array arenas allocated by JS; the plan keeps them for its lifetime. */
export interface Arenas {
  params: Float32Array;
  grads: Float32Array;
  state: Float32Array;
}

/** Targets: class indices (length n) or rows of target probabilities (n × outputs). */
export type Targets = Int32Array | Float32Array;

export interface TrainRequest {
  x: Float32Array;
  y: Targets;
  /** Rows to visit in order; step s uses indices[s·batchSize, (s+1)·batchSize), the last may be short. */
  indices: Int32Array;
  batchSize: number;
  /** One learning rate per step. Its length is the number of steps. */
  lrs: Float32Array;
  /** Optimizer steps already taken (Adam's t for the first step here is stepStart + 1). */
  stepStart: number;
  /** Filled per step: the batch's mean loss. */
  lossOut: Float32Array;
  /** Filled per step: how many rows of the batch the model classified right (argmax). */
  correctOut: Int32Array;
}

export interface EngineInfo {
  name: 'native' | 'js';
  isa: string;
  threads: number;
  version: string;
}

export interface Plan {
  /**
   * Runs forward, loss, backward and update for every step of the request, off the JS
   * thread (native) or yielding to the event loop (js). Resolves with the number of steps
   * completed: fewer than requested when cancelled, or when a step's loss was not finite
   * (then `lossOut[done]` holds that loss and no update was applied for it).
   */
  trainSteps(req: TrainRequest): Promise<number>;
  /** Writes n × outputs values of the network's output for n = x.length / inputSize rows. */
  predict(x: Float32Array, out: Float32Array): Promise<void>;
  /** Same as predict, on the calling thread: for a few rows, no thread hop. */
  predictSync(x: Float32Array, out: Float32Array): void;
  /** Mean loss over `indices`; fills the gradient arena with its gradient. No update. */
  lossAndGrad(x: Float32Array, y: Targets, indices: Int32Array): number;
  /** Asks a running trainSteps to stop at the next batch boundary. */
  cancel(): void;
  /** Releases the plan's buffers; later calls throw. */
  dispose(): void;
}

export interface Engine {
  readonly name: 'native' | 'js';
  info(): EngineInfo;
  createPlan(spec: PlanSpec, arenas: Arenas): Plan;
}

/** Number of parameters of one layer. */
export function layerParamCount(layer: LayerSpec): number {
  return layer.inputs * layer.units + layer.units;
}

/** Length of the parameter arena for a spec. */
export function paramCount(spec: Pick<PlanSpec, 'layers'>): number {
  let total = 0;
  for (const layer of spec.layers) total += layerParamCount(layer);
  return total;
}

/** Arena-sized optimizer state slots an optimizer needs. */
export function stateSlots(opt: OptimizerSpec): number {
  switch (opt.kind) {
    case 'sgd':
      return opt.momentum !== 0 ? 1 : 0;
    case 'adam':
      return opt.amsgrad ? 3 : 2;
    case 'rmsprop':
      return 1 + (opt.momentum !== 0 ? 1 : 0) + (opt.centered ? 1 : 0);
    case 'adagrad':
    case 'lion':
      return 1;
    default:
      return 2;
  }
}

/** Fills a fresh state arena with the optimizer's initial values (Adagrad's initialAccumulatorValue; else zeros). */
export function initOptimizerState(opt: OptimizerSpec, state: Float32Array | Float64Array): void {
  state.fill(opt.kind === 'adagrad' ? opt.initialAccumulatorValue : 0);
}

/** Width of the network's output rows. */
export function outputSize(spec: Pick<PlanSpec, 'layers' | 'inputSize'>): number {
  const last = spec.layers[spec.layers.length - 1];
  return last ? last.units : spec.inputSize;
}
