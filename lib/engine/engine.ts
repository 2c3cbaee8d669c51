/**
 * THE seam between the public API and the engines. Everything above this file speaks in
 * plain data (a PlanSpec, flat arenas, typed arrays); both engines implement `Engine`.
 *
 * Parameter arena layout: for each dense layer in order, its kernel W (shape [in, out],
 * row-major) then its bias b (shape [out]). Gradients use the same layout; optimizer
 * state holds `stateSlots(optimizer)` arena-sized slots back to back (Adam: m then v;
 * SGD with momentum: the momentum buffer).
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
 * SGD, PyTorch semantics: g += wd·θ; buf = g at the first step, else μ·buf + (1 − dampening)·g;
 * g = nesterov ? g + μ·buf : buf (when μ ≠ 0); θ −= lr·g.
 */
export interface SgdSpec {
  kind: 'sgd';
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * Adam/AdamW, PyTorch semantics (t counts from 1):
 * decoupled ? θ ·= 1 − lr·wd : g += wd·θ; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * θ −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
 */
export interface AdamSpec {
  kind: 'adam';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

export type OptimizerSpec = SgdSpec | AdamSpec;

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
  if (opt.kind === 'adam') return 2;
  return opt.momentum !== 0 ? 1 : 0;
}

/** Width of the network's output rows. */
export function outputSize(spec: Pick<PlanSpec, 'layers' | 'inputSize'>): number {
  const last = spec.layers[spec.layers.length - 1];
  return last ? last.units : spec.inputSize;
}
