/**
 * From a model's layer list to the engine's layer specs and back to named tensors: widths,
 * arena layout, names, initial values. Plain functions over plain data (no model class).
 */
import { layerOffsets, type LayerSpec } from './engine/engine.js';
import { initialize } from './init.js';
import type { Layer } from './layers.js';
import type { Rng } from './random.js';
import { rangeError, typeError } from './errors.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  /** Arena offset and length. */
  offset: number;
  length: number;
  trainable: boolean;
}

/** Engine specs for the layers (checked as a chain from inputSize) and each layer's name. */
export function buildLayerSpecs(argument: string, inputSize: number, layers: readonly unknown[]): { specs: LayerSpec[]; names: string[] } {
  const specs: LayerSpec[] = [];
  const names: string[] = [];
  let inputs = inputSize;
  layers.forEach((value, i) => {
    const arg = argument.endsWith(')') ? `${argument.slice(0, -1)}[${i}])` : `${argument}[${i}]`;
    if (value === null || typeof value !== 'object' || !('kind' in value)) {
      throw typeError(arg, 'a layer made by dense(), activation(), dropout(), batchNorm() or layerNorm()', value);
    }
    const l = value as Layer;
    const name = l.name ?? `${l.kind === 'batchNorm' ? 'batch_norm' : l.kind === 'layerNorm' ? 'layer_norm' : l.kind}_${i + 1}`;
    if (names.includes(name)) throw rangeError(`${arg}.name`, 'a name no other layer has', name);
    names.push(name);
    switch (l.kind) {
      case 'dense': {
        const kr = l.kernelRegularizer;
        const br = l.biasRegularizer;
        specs.push({
          kind: 'dense', inputs, units: l.units, activation: l.activation, alpha: l.alpha, useBias: l.useBias, trainable: l.trainable,
          kernelL1: kr?.l1 ?? 0, kernelL2: kr?.l2 ?? 0, biasL1: br?.l1 ?? 0, biasL2: br?.l2 ?? 0,
        });
        inputs = l.units;
        break;
      }
      case 'activation':
        specs.push({ kind: 'activation', inputs, units: inputs, activation: l.activation, alpha: l.alpha });
        break;
      case 'dropout':
        specs.push({ kind: 'dropout', inputs, units: inputs, rate: l.rate });
        break;
      case 'batchNorm':
        specs.push({ kind: 'batchNorm', inputs, units: inputs, momentum: l.momentum, eps: l.eps, trainable: l.trainable });
        break;
      case 'layerNorm':
        specs.push({ kind: 'layerNorm', inputs, units: inputs, eps: l.eps, trainable: l.trainable });
        break;
      default:
        throw typeError(arg, 'a layer made by dense(), activation(), dropout(), batchNorm() or layerNorm()', value);
    }
  });
  return { specs, names };
}

/** Every weight tensor in arena order: dense kernel/bias; batchNorm gamma/beta/runningMean/runningVar; layerNorm gamma/beta. */
export function namedTensors(specs: readonly LayerSpec[], names: readonly string[]): NamedTensor[] {
  const list: NamedTensor[] = [];
  const offsets = layerOffsets({ layers: specs as LayerSpec[] });
  specs.forEach((s, i) => {
    let offset = offsets[i];
    const push = (suffix: string, shape: number[], trainable: boolean) => {
      const length = shape.reduce((a, b) => a * b, 1);
      list.push({ name: `${names[i]}/${suffix}`, shape, offset, length, trainable });
      offset += length;
    };
    if (s.kind === 'dense') {
      push('kernel', [s.inputs, s.units], s.trainable);
      if (s.useBias) push('bias', [s.units], s.trainable);
    } else if (s.kind === 'batchNorm') {
      push('gamma', [s.units], s.trainable);
      push('beta', [s.units], s.trainable);
      push('runningMean', [s.units], false);
      push('runningVar', [s.units], false);
    } else if (s.kind === 'layerNorm') {
      push('gamma', [s.units], s.trainable);
      push('beta', [s.units], s.trainable);
    }
  });
  return list;
}

/** Initial values: each dense kernel then bias from the rng in layer order; norms start at γ = 1, β = 0, running var 1. */
export function initializeParams(specs: readonly LayerSpec[], layers: readonly Layer[], params: Float32Array, rng: Rng): void {
  const offsets = layerOffsets({ layers: specs as LayerSpec[] });
  specs.forEach((s, i) => {
    const o = offsets[i];
    const layer = layers[i];
    if (s.kind === 'dense' && layer.kind === 'dense') {
      initialize(layer.kernelInitializer, params.subarray(o, o + s.inputs * s.units), s.inputs, s.units, rng);
      if (s.useBias) initialize(layer.biasInitializer, params.subarray(o + s.inputs * s.units, o + s.inputs * s.units + s.units), s.units, s.units, rng, true);
    } else if (s.kind === 'batchNorm') {
      params.fill(1, o, o + s.units);
      params.fill(0, o + s.units, o + 3 * s.units);
      params.fill(1, o + 3 * s.units, o + 4 * s.units);
    } else if (s.kind === 'layerNorm') {
      params.fill(1, o, o + s.units);
      params.fill(0, o + s.units, o + 2 * s.units);
    }
  });
}

/** A layer's description as saved in model.json (plain data, named). */
export function layerConfig(layer: Layer, name: string): Record<string, unknown> {
  return { ...layer, name };
}
