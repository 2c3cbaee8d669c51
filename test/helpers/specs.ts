/** Plain engine specs with defaults, for tests that talk to the engine seam directly. */
import type { Activation, ActivationLayerSpec, BatchNormSpec, DenseSpec, DropoutSpec, LayerNormSpec, LayerSpec, LossName, LossSpec, OptimizerSpec, PlanSpec } from '../../lib/engine/engine.js';

/** A dense layer spec: bias, trainable, no regularization unless `extra` says otherwise. */
export function denseSpec(inputs: number, units: number, activation: Activation = 'linear', extra: Partial<DenseSpec> = {}): DenseSpec {
  return { kind: 'dense', inputs, units, activation, alpha: activation === 'elu' ? 1 : 0.01, useBias: true, trainable: true, kernelL1: 0, kernelL2: 0, biasL1: 0, biasL2: 0, ...extra };
}

/** A loss spec with its defaults (fromLogits false, no smoothing, δ = 1). */
export function lossSpec(kind: LossName = 'categoricalCrossentropy', extra: Partial<LossSpec> = {}): LossSpec {
  return { kind, fromLogits: false, labelSmoothing: 0, delta: 1, ...extra };
}

export const plainSgd: OptimizerSpec = { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };

/** Dense layers of the given widths: ReLU hidden layers, `last` on the output layer. */
export function mlpLayers(widths: number[], last: Activation = 'softmax', hidden: Activation = 'relu'): LayerSpec[] {
  return widths.slice(1).map((units, i) => denseSpec(widths[i], units, i === widths.length - 2 ? last : hidden));
}

/** A whole PlanSpec; layers' widths must chain from inputSize. */
export function planSpec(inputSize: number, layers: LayerSpec[], options: Partial<Omit<PlanSpec, 'inputSize' | 'layers'>> = {}): PlanSpec {
  return { inputSize, layers, loss: lossSpec(), optimizer: plainSgd, maxBatch: 64, seed: 1, ...options };
}

/** An activation layer spec (units = inputs); α defaults as denseSpec's. */
export function activationSpec(units: number, activation: Activation, alpha = activation === 'elu' ? 1 : 0.01): ActivationLayerSpec {
  return { kind: 'activation', inputs: units, units, activation, alpha };
}

/** A dropout layer spec. */
export function dropoutSpec(units: number, rate: number): DropoutSpec {
  return { kind: 'dropout', inputs: units, units, rate };
}

/** A batchNorm layer spec with PyTorch's defaults (momentum 0.1, eps 1e-5), trainable. */
export function batchNormSpec(units: number, extra: Partial<BatchNormSpec> = {}): BatchNormSpec {
  return { kind: 'batchNorm', inputs: units, units, momentum: 0.1, eps: 1e-5, trainable: true, ...extra };
}

/** A layerNorm layer spec (eps 1e-5), trainable. */
export function layerNormSpec(units: number, extra: Partial<LayerNormSpec> = {}): LayerNormSpec {
  return { kind: 'layerNorm', inputs: units, units, eps: 1e-5, trainable: true, ...extra };
}
