/** loadModel: builds a model from a folder written by `model.save` (model layer over lib/io). */
import { CheckpointError, typeError } from './errors.js';
import { readCheckpoint, MANIFEST_FILE } from './io/checkpoint.js';
import type { Tensor } from './io/safetensors.js';
import { layerFromConfig, type Layer } from './layers.js';
import { sequential, type Sequential } from './model.js';
import type { EngineChoice } from './engine/select.js';
import { restoreOptimizer } from './optim/restore.js';
import type { Optimizer } from './optim/optimizer.js';
import { join } from 'node:path';
import { restorePreprocess, type Preprocess } from './preprocess.js';

export interface LoadOptions {
  /** Engine of the loaded model: a model saved by one engine loads in the other. Default 'auto'. */
  engine?: EngineChoice;
}

function field(model: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(model, key) ? model[key] : undefined;
}

/**
 * Loads a model saved with `model.save(dir)`: topology, compile configuration, weights,
 * optimizer state and counters, so a following `fit` continues exactly where it stopped.
 * Throws a CheckpointError (with a `code`, naming the file) for anything missing or corrupt.
 * @example const model = await loadModel('out/model', { engine: 'js' });
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<Sequential> {
  if (typeof dir !== 'string' || dir === '') throw typeError('loadModel(dir)', 'a folder path', dir);
  const { model: m, tensors } = await readCheckpoint(dir);
  const manifest = join(dir, MANIFEST_FILE);
  const bad = (reason: string, cause?: unknown) => new CheckpointError('ERR_DOWNHILL_CHECKPOINT_CORRUPT', manifest, reason, { cause });
  let model: Sequential;
  let optimizer: Optimizer | undefined;
  let savedSchedule: unknown;
  try {
    const layersValue = field(m, 'layers');
    if (!Array.isArray(layersValue)) throw new TypeError('"layers" is not an array');
    const layers: Layer[] = layersValue.map((l: unknown, i: number) => layerFromConfig(`layers[${i}]`, l));
    const preKind = field(m, 'preprocess');
    let preprocess: Preprocess | undefined;
    if (preKind !== null && preKind !== undefined) {
      const shift = tensors.find((t) => t.name === 'preprocess/shift');
      const scale = tensors.find((t) => t.name === 'preprocess/scale');
      if (!shift || !scale) throw new Error('the weights hold no preprocess/shift and preprocess/scale');
      preprocess = restorePreprocess(preKind, shift.data, scale.data);
    }
    model = sequential({ inputSize: field(m, 'inputSize') as number, seed: field(m, 'seed') as number, engine: options.engine, layers, preprocess });
    const compiled = field(m, 'compile') as Record<string, unknown> | null;
    if (compiled !== null && compiled !== undefined) {
      optimizer = restoreOptimizer((compiled.optimizer ?? {}) as Record<string, unknown>);
      model.compile({ loss: compiled.loss as never, metrics: compiled.metrics as never, optimizer });
      savedSchedule = compiled.schedule ?? undefined;
    }
  } catch (err) {
    throw bad(`describes no valid model: ${(err as Error).message}`, err);
  }
  const byName = new Map<string, Tensor>(tensors.map((t) => [t.name, t]));
  const take = (name: string, shape: number[]): Float32Array => {
    const t = byName.get(name);
    if (!t) throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISMATCH', manifest, `the weights hold no tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISMATCH', manifest, `tensor '${name}' has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
    return t.data;
  };
  const weights = model.getWeights().map((w) => ({ ...w, data: take(w.name, w.shape) }));
  const slots = model.optimizerSlots;
  const compiled = Boolean(field(m, 'compile'));
  const savedMethod = (field(m, 'compile') as { methodState?: { scalars?: unknown; vectors?: unknown } } | null)?.methodState;
  const methodVectors = Array.isArray(savedMethod?.vectors) ? (savedMethod.vectors as unknown[]) : [];
  const needed = weights.length * (1 + slots) + (model.preprocess ? 2 : 0) + methodVectors.length;
  if (byName.size !== needed) {
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISMATCH', manifest, `the weights hold ${byName.size} tensors, the model needs ${needed}`);
  }
  try {
    model.setWeights(weights);
  } catch (err) {
    throw bad(`holds weights the model rejects: ${(err as Error).message}`, err);
  }
  if (compiled) {
    const total = weights.reduce((s, w) => s + w.data.length, 0);
    const state = new Float32Array(slots * total);
    for (let k = 0, o = 0; k < slots; k++) {
      for (const w of weights) {
        state.set(take(`optimizer/${k}/${w.name}`, w.shape), o);
        o += w.data.length;
      }
    }
    const counters = field(m, 'counters') as { epochs?: unknown; steps?: unknown } | undefined;
    const epochs = counters?.epochs;
    const steps = counters?.steps;
    if (!Number.isSafeInteger(epochs) || !Number.isSafeInteger(steps) || (epochs as number) < 0 || (steps as number) < 0) {
      throw bad('has no valid "counters" { epochs, steps }');
    }
    model.restoreTrainingState(state, { epochs: epochs as number, steps: steps as number });
    if (savedMethod) {
      const vectors: Record<string, Float32Array> = {};
      for (const key of methodVectors) {
        if (typeof key !== 'string') throw bad('has an optimizer methodState vector name that is not a string');
        const t = byName.get(`optimizer/state/${key}`);
        if (!t) throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISMATCH', manifest, `the weights hold no tensor 'optimizer/state/${key}'`);
        vectors[key] = t.data;
      }
      try {
        model.restoreMethodState({ scalars: (savedMethod.scalars ?? {}) as Record<string, number>, vectors });
      } catch (err) {
        throw bad(`holds an optimizer state the optimizer rejects: ${(err as Error).message}`, err);
      }
    }
    if (optimizer && savedSchedule !== undefined) {
      // Held by the optimizer until the next fit hands it a schedule object of the same kind.
      try {
        optimizer.loadStateDict({ ...optimizer.stateDict(), schedule: savedSchedule });
      } catch (err) {
        throw bad(`holds a schedule state the optimizer rejects: ${(err as Error).message}`, err);
      }
    }
  }
  return model;
}
