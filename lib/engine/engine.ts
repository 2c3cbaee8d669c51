/**
 * THE seam between the public API and the engines. Everything above this file speaks in
 * plain data (a PlanSpec, flat arenas, typed arrays); both engines implement `Engine`.
 *
 * Parameter arena layout: for each dense layer in order, its kernel W (shape [in, out],
 * row-major) then its bias b (shape [out]). Gradients use the same layout; optimizer
 * state holds `stateSlots(optimizer)` arena-sized slots back to back, in the order each
 * spec documents (Adam: m, v, then v̂ with amsgrad; SGD with momentum: the momentum buffer).
 */

/**
 * Activation functions, applied elementwise to a layer's pre-activation z (softmax: per row).
 * Exact definitions (engines evaluate them in their float type; float32 within a few ulp):
 * - linear z; relu max(z, 0) (derivative 0 at 0)
 * - sigmoid 1/(1 + e^−z), evaluated as e^z/(1 + e^z) for z < 0 so it never overflows
 * - tanh; leakyRelu z > 0 ? z : α·z (derivative α at z ≤ 0)
 * - elu z > 0 ? z : α·(e^z − 1) (expm1); selu λ·elu₁.₆₇₃₂…(z), λ = 1.0507009873554805, α = 1.6732632423543772
 * - gelu ½z(1 + erf(z/√2)) (exact; evaluated as ½z·erfc(−z/√2), which keeps precision for z ≪ 0); geluTanh ½z(1 + tanh(√(2/π)(z + 0.044715z³)))
 * - softplus max(z, 0) + log1p(e^−|z|) (derivative sigmoid(z)); silu (= swish) z·sigmoid(z)
 * - hardSigmoid clamp(z/6 + ½, 0, 1) (PyTorch's; derivative 1/6 on −3 < z < 3, else 0)
 * - mish z·tanh(softplus(z))
 * - softmax e^(z − max)/Σ e^(z − max) per row; backward dz = p ⊙ (g − Σ g·p) (a row of all −∞ gives NaN, as PyTorch)
 */
export type Activation =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'leakyRelu' | 'elu' | 'selu' | 'gelu' | 'geluTanh'
  | 'softplus' | 'silu' | 'hardSigmoid' | 'mish' | 'softmax';

/** Every activation name, in the order above. */
export const ACTIVATIONS: readonly Activation[] = [
  'linear', 'relu', 'sigmoid', 'tanh', 'leakyRelu', 'elu', 'selu', 'gelu', 'geluTanh',
  'softplus', 'silu', 'hardSigmoid', 'mish', 'softmax',
];

/**
 * A fully connected layer: out = act(x·W + b). Arena: W [inputs × units] row-major, then b
 * [units] when useBias. Regularization (Keras): the loss gains kernelL1·Σ|W| + kernelL2·ΣW²
 * + biasL1·Σ|b| + biasL2·Σb² and the gradient l1·sign(w) + 2·l2·w (sign(0) = 0). Every layer's
 * term counts in the loss, trainable or not; only trainable layers get its gradient.
 */
export interface DenseSpec {
  kind: 'dense';
  inputs: number;
  units: number;
  activation: Activation;
  /** leakyRelu's slope / elu's α; ignored by the other activations. */
  alpha: number;
  useBias: boolean;
  trainable: boolean;
  kernelL1: number;
  kernelL2: number;
  biasL1: number;
  biasL2: number;
}

/** An activation on its own: units = inputs, no parameters. */
export interface ActivationLayerSpec {
  kind: 'activation';
  inputs: number;
  units: number;
  activation: Activation;
  alpha: number;
}

/**
 * Inverted dropout, active only in training: element e of batch row r (the row's position in the
 * batch; for lossAndGrad, its position in `indices`) is kept when
 * dropoutBits(seed, step, layerIndex, r·units + c) ≥ floor(rate·2³²) and then scaled by
 * fround(1/(1 − rate)); else it is 0. No parameters.
 */
export interface DropoutSpec {
  kind: 'dropout';
  inputs: number;
  units: number;
  rate: number;
}

/**
 * Batch normalization over the batch dimension, PyTorch semantics. Arena: gamma [units],
 * beta [units], runningMean [units], runningVar [units] (the last two are never trained:
 * gradient 0, untouched by the optimizer; they start at 0 and 1).
 * Training: μ, σ² (biased) over the batch rows; out = γ·(x − μ)/√(σ² + eps) + β; then
 * running = (1 − momentum)·running + momentum·batch, with the unbiased σ²·n/(n − 1) for the
 * variance (needs n ≥ 2 rows). Inference: the running statistics instead of μ, σ².
 * trainable: false freezes γ and β only: training still normalises with batch statistics and
 * updates the running ones (PyTorch's behaviour). Running statistics move only after a step
 * whose loss is finite.
 */
export interface BatchNormSpec {
  kind: 'batchNorm';
  inputs: number;
  units: number;
  momentum: number;
  eps: number;
  trainable: boolean;
}

/** Layer normalization over each row's units: out = γ·(x − μ)/√(σ² + eps) + β (biased σ²). Arena: gamma, beta. */
export interface LayerNormSpec {
  kind: 'layerNorm';
  inputs: number;
  units: number;
  eps: number;
  trainable: boolean;
}

export type LayerSpec = DenseSpec | ActivationLayerSpec | DropoutSpec | BatchNormSpec | LayerNormSpec;

export type LossName =
  | 'meanSquaredError' | 'meanAbsoluteError' | 'huber' | 'binaryCrossentropy' | 'categoricalCrossentropy'
  | 'hinge' | 'squaredHinge' | 'categoricalHinge' | 'kullbackLeiblerDivergence' | 'logCosh' | 'poisson';

/**
 * The loss of one row, from the network output o (k values, what predict returns), its last
 * layer's pre-activation z, and the target row t (class labels c become one-hot rows).
 * The reported loss is Σᵢ wᵢ·lᵢ / Σᵢ wᵢ (wᵢ = 1 without weights; 0 when Σ wᵢ = 0) plus the
 * regularization term; the gradient is that of the reported loss. With d = o − t:
 * - meanSquaredError (1/k)Σ d²; meanAbsoluteError (1/k)Σ|d| (derivative sign(d), 0 at 0)
 * - huber (1/k)Σ (|d| ≤ δ ? ½d² : δ(|d| − ½δ)); logCosh (1/k)Σ (|d| + log1p(e^−2|d|) − ln 2)
 * - poisson (1/k)Σ (o − t·ln(o + 1e-8)); fromLogits (log-rate output): (1/k)Σ (e^o − t·o)
 * - hinge (1/k)Σ max(0, 1 − s·o), s = t > 0 ? 1 : −1 (targets −1/0/1); squaredHinge the same squared
 * - categoricalHinge max(0, maxⱼ (1 − tⱼ)oⱼ − Σ t·o + 1) (ties: the first j)
 * - kullbackLeiblerDivergence Σ_{t>0} t·(ln t − ln max(o, 1e-7)) (derivative −t/o where o > 1e-7, else 0)
 * - binaryCrossentropy: from logits (fromLogits, or a sigmoid last layer, fused on its z):
 *   (1/k)Σ (max(z, 0) − z·t + log1p(e^−|z|)), dz = (sigmoid(z) − t)/k; else, on probabilities,
 *   (1/k)Σ −(t·max(ln o, −100) + (1 − t)·max(ln(1 − o), −100)) with do = (o − t)/max(o(1 − o), 1e-12)/k.
 * - categoricalCrossentropy with q = (1 − ε)·t + ε/k (ε = labelSmoothing): from logits (fromLogits,
 *   or a softmax last layer, fused on its z): −Σ q·(z − logsumexp(z)), dz = softmax(z)·Σq − q;
 *   else −Σ q·ln max(o, 1e-7) (derivative −q/o where o > 1e-7, else 0).
 * fromLogits is only valid for binaryCrossentropy, categoricalCrossentropy and poisson, and never
 * with a sigmoid or softmax last layer (lib/ rejects that).
 */
export interface LossSpec {
  kind: LossName;
  fromLogits: boolean;
  /** categoricalCrossentropy's ε in [0, 1]; 0 otherwise. */
  labelSmoothing: number;
  /** huber's δ > 0; 1 otherwise. */
  delta: number;
}

/** Losses that accept class-index targets (Int32Array); every other loss gets target rows. */
export const LABEL_LOSSES: readonly LossName[] = ['categoricalCrossentropy', 'categoricalHinge'];

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The dropout key of one layer at one step (both engines compute exactly this, in uint32):
 * fmix32(fmix32(seed ^ step·0x9E3779B1) ^ (layer + 1)·0x85EBCA77), multiplications mod 2³².
 */
export function dropoutKey(seed: number, step: number, layer: number): number {
  const k1 = fmix32((seed ^ Math.imul(step >>> 0, 0x9e3779b1)) >>> 0);
  return fmix32((k1 ^ Math.imul(layer + 1, 0x85ebca77)) >>> 0);
}

/** The 32 random bits of element e of a dropout layer: fmix32(key + e·0x9E3779B9 mod 2³²). */
export function dropoutBits(key: number, e: number): number {
  return fmix32((key + Math.imul(e, 0x9e3779b9)) >>> 0);
}

/** Elements with bits below this are dropped: floor(rate·2³²), computed in float64. */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.floor(rate * 4294967296), 4294967295);
}

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
  /** Each layer's inputs equals the previous layer's units (inputSize for the first). */
  layers: LayerSpec[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
  /** Largest batch any call will use; activations are preallocated for it. */
  maxBatch: number;
  /** uint32 seed of the dropout masks (the model's seed). */
  seed: number;
}

/** Flat Float32Array arenas allocated by JS; the plan keeps them for its lifetime. */
export interface Arenas {
  params: Float32Array;
  grads: Float32Array;
  state: Float32Array;
}

/**
 * Targets: class indices (length n; only for LABEL_LOSSES) or rows of targets (n × outputs).
 * Per-row weights, when given, are a Float32Array of n finite values ≥ 0, indexed like y.
 */
export type Targets = Int32Array | Float32Array;

export interface TrainRequest {
  x: Float32Array;
  y: Targets;
  /** Per-row loss weights (sample × class weights), or null for equal weights. */
  weights: Float32Array | null;
  /** Rows to visit in order; step s uses indices[s·batchSize, (s+1)·batchSize), the last may be short. */
  indices: Int32Array;
  batchSize: number;
  /** One learning rate per step. Its length is the number of steps. */
  lrs: Float32Array;
  /**
   * Optimizer steps already taken: step s of this request is t = stepStart + s + 1 (Adam's t,
   * and the `step` of its dropout masks).
   */
  stepStart: number;
  /** Filled per step: the batch's loss (weighted mean + regularization). */
  lossOut: Float32Array;
  /**
   * Filled per step: rows the model got right, judged on the output o: with k > 1 outputs,
   * argmax o = the label (or argmax of the target row; first max wins); with k = 1,
   * (o > θ) = (t > 0.5), θ = 0 for hinge, squaredHinge and fromLogits losses, else 0.5.
   */
  correctOut: Int32Array;
}

export interface LossAndGradOptions {
  /** Per-row weights indexed like y, or null. */
  weights?: Float32Array | null;
  /**
   * Training behaviour (default true): dropout active with the masks of `step`, batchNorm on
   * batch statistics (with a batchNorm layer, indices.length must then be ≤ maxBatch and ≥ 2;
   * running statistics are not updated). false: inference behaviour, as predict.
   */
  training?: boolean;
  /** The step whose dropout masks apply (default 0). */
  step?: number;
  /**
   * K-FAC's Kronecker factors, filled from the same forward/backward, one pair per dense layer
   * in order (frozen ones included): a[l] is d×d with d = inputs + 1 (useBias) or inputs,
   * A = (1/n)·Σᵣ āᵣāᵣᵀ over the n rows, ā = [layer input; 1]; g[l] is units×units,
   * G = (1/n)·Σᵣ (n·δᵣ)(n·δᵣ)ᵀ, δᵣ = ∂loss/∂zᵣ (the layer's pre-activation) of row r, for the
   * reported (weighted) loss. Both row-major, symmetric.
   */
  factors?: { a: Float32Array[]; g: Float32Array[] };
}

export interface EvalResult {
  /** Σ w·l / Σ w over all rows, plus the regularization term (as the training loss). */
  loss: number;
  /** Rows right, as TrainRequest.correctOut judges them. */
  correct: number;
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
   * Training behaviour: dropout on, batchNorm on batch statistics (updating running ones).
   */
  trainSteps(req: TrainRequest): Promise<number>;
  /** Writes n × outputs values of the network's output for n = x.length / inputSize rows (inference behaviour). */
  predict(x: Float32Array, out: Float32Array): Promise<void>;
  /** Same as predict, on the calling thread: for a few rows, no thread hop. */
  predictSync(x: Float32Array, out: Float32Array): void;
  /**
   * Loss over every row of x in order (inference behaviour), as training reports it; writes
   * the outputs into `out` (n × outputs) when given.
   */
  evaluate(x: Float32Array, y: Targets, weights: Float32Array | null, out: Float32Array | null): Promise<EvalResult>;
  /** Loss over `indices` (as a training step reports it); fills the gradient arena with its gradient. No update. */
  lossAndGrad(x: Float32Array, y: Targets, indices: Int32Array, options?: LossAndGradOptions): number;
  /**
   * Exact Hessian-vector product of the loss over `indices` (as lossAndGrad computes it) with v
   * (an arena-sized vector), by the R-operator (forward-over-reverse), into out, over the
   * trainable ranges only (v elsewhere is ignored, out there is 0; L2 adds 2·l2·v). The gradient
   * arena is left untouched. Optional: second-order methods that need it (Newton-CG) check for it.
   */
  hessianVector?(x: Float32Array, y: Targets, indices: Int32Array, v: Float32Array, out: Float32Array, options?: LossAndGradOptions): void;
  /** Asks a running trainSteps to stop at the next batch boundary. */
  cancel(): void;
  /** Releases the plan's buffers; later calls throw. */
  dispose(): void;
}

/**
 * Whole-arena vector operations for the second-order methods (dot products and norms summed in
 * float64 in a fixed order). The native engine offers SIMD versions; absent: the pure-TS ones.
 */
export interface VectorOps {
  dot(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number;
  /** y += α·x. */
  axpy(alpha: number, x: Float32Array | Float64Array, y: Float32Array | Float64Array): void;
  /** x *= α. */
  scale(alpha: number, x: Float32Array | Float64Array): void;
  /** out = x + t·d. */
  addScaled(x: Float32Array | Float64Array, t: number, d: Float32Array | Float64Array, out: Float32Array | Float64Array): void;
  maxAbs(x: Float32Array | Float64Array): number;
  sumAbs(x: Float32Array | Float64Array): number;
  /** out = x, for arrays of one length that do not overlap (the native engine copies on its threads). */
  copy(x: Float32Array, out: Float32Array): void;
  /** C (m×n) = op(A)·op(B), row-major, op = transpose when the flag is set; op(A) is m×k, op(B) k×n. */
  matmul(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /**
   * out = (S + damping·I)⁻¹ for a symmetric positive definite n×n S (row-major), by Cholesky in
   * float64. Returns false (out untouched) when S + damping·I is not positive definite.
   */
  spdInverse(s: Float32Array, n: number, damping: number, out: Float32Array): boolean;
}

export interface Engine {
  readonly name: 'native' | 'js';
  /** Native vector operations, when the engine has them. */
  readonly vectors?: VectorOps;
  info(): EngineInfo;
  createPlan(spec: PlanSpec, arenas: Arenas): Plan;
}

/** Number of parameters of one layer (trainable or not). */
export function layerParamCount(layer: LayerSpec): number {
  switch (layer.kind) {
    case 'dense':
      return layer.inputs * layer.units + (layer.useBias ? layer.units : 0);
    case 'batchNorm':
      return 4 * layer.units;
    case 'layerNorm':
      return 2 * layer.units;
    default:
      return 0;
  }
}

/** Length of the parameter arena for a spec. */
export function paramCount(spec: Pick<PlanSpec, 'layers'>): number {
  let total = 0;
  for (const layer of spec.layers) total += layerParamCount(layer);
  return total;
}

/** Arena offset of each layer's first parameter. */
export function layerOffsets(spec: Pick<PlanSpec, 'layers'>): number[] {
  const offsets: number[] = [];
  let total = 0;
  for (const layer of spec.layers) {
    offsets.push(total);
    total += layerParamCount(layer);
  }
  return offsets;
}

/**
 * The arena ranges [start, end) the optimizer updates, in order, adjacent ranges merged:
 * every parameter of trainable layers except batchNorm's running statistics. Gradients
 * outside them are 0.
 */
export function trainableRanges(spec: Pick<PlanSpec, 'layers'>): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const push = (start: number, end: number) => {
    if (end <= start) return;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === start) last[1] = end;
    else ranges.push([start, end]);
  };
  let offset = 0;
  for (const layer of spec.layers) {
    const n = layerParamCount(layer);
    if (layer.kind === 'dense' || layer.kind === 'layerNorm') {
      if (layer.trainable) push(offset, offset + n);
    } else if (layer.kind === 'batchNorm') {
      if (layer.trainable) push(offset, offset + 2 * layer.units);
    }
    offset += n;
  }
  return ranges;
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

/** The activation of the layer that produces the output ('linear' for dropout and norm layers). */
export function lastActivation(spec: Pick<PlanSpec, 'layers'>): Activation {
  const last = spec.layers[spec.layers.length - 1];
  return last && (last.kind === 'dense' || last.kind === 'activation') ? last.activation : 'linear';
}

/** Whether the loss is computed on the last layer's pre-activation z (sigmoid/softmax fused with the loss). */
export function lossFusedWithActivation(spec: Pick<PlanSpec, 'layers' | 'loss'>): boolean {
  const act = lastActivation(spec);
  return (spec.loss.kind === 'binaryCrossentropy' && act === 'sigmoid') || (spec.loss.kind === 'categoricalCrossentropy' && act === 'softmax');
}
