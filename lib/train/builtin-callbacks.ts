/**
 * The callbacks users expect from Keras/PyTorch Lightning: early stopping (with
 * restoreBestWeights), reduce-on-plateau, model checkpoints, CSV/JSONL logs, terminate on NaN.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NonFiniteLossError, rangeError, typeError } from '../errors.js';
import { PlateauTracker, plateauOptions, type PlateauOptions } from '../schedules/index.js';
import { checkBoolean, checkInteger, checkKnownKeys, checkNonNegative, checkObject, checkOneOf } from '../validate.js';
import type { Callback, EpochLog, WeightTensorLike } from './callbacks.js';

type Mode = 'min' | 'max' | 'auto';

/** 'auto': 'max' for accuracy-like keys (accuracy, precision, recall, f1, auc, r2), else 'min'. */
function resolveMode(mode: Mode, monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /(accuracy|precision|recall|f1|auc|r2)/i.test(monitor) ? 'max' : 'min';
}

function monitored(where: string, log: EpochLog, monitor: string): number {
  const v = log[monitor];
  if (typeof v !== 'number') {
    throw rangeError(`${where}(options.monitor)`, `a key of the epoch logs (${Object.keys(log).join(', ')})`, monitor);
  }
  return v;
}

export interface EarlyStoppingOptions {
  /** Epoch-log key to watch. Default 'valLoss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement, ≥ 0. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping, ≥ 0. Default 0. */
  patience?: number;
  /** 'min', 'max' or 'auto' (from the key's name). Default 'auto'. */
  mode?: Mode;
  /** At the end of training, put back the weights of the best epoch (if it was not the last). Default false. */
  restoreBestWeights?: boolean;
  /** Stop unless the metric beats this within `patience` epochs. */
  baseline?: number;
}

/**
 * Stops training when the monitored metric has not improved by more than minDelta for
 * `patience` epochs (Keras EarlyStopping); restoreBestWeights puts back the best epoch's weights.
 * @example earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true })
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback & { readonly stoppedEpoch: number; readonly bestEpoch: number } {
  const o = checkObject('earlyStopping(options)', options);
  checkKnownKeys('earlyStopping(options)', o, ['monitor', 'minDelta', 'patience', 'mode', 'restoreBestWeights', 'baseline']);
  if (o.monitor !== undefined && typeof o.monitor !== 'string') throw typeError('earlyStopping(options.monitor)', "a key of the epoch logs such as 'valLoss'", o.monitor);
  const monitor = (o.monitor as string | undefined) ?? 'valLoss';
  const minDelta = o.minDelta === undefined ? 0 : checkNonNegative('earlyStopping(options.minDelta)', o.minDelta);
  const patience = o.patience === undefined ? 0 : checkInteger('earlyStopping(options.patience)', o.patience, 0);
  const mode = resolveMode(o.mode === undefined ? 'auto' : checkOneOf('earlyStopping(options.mode)', o.mode, ['min', 'max', 'auto'] as const), monitor);
  const restore = o.restoreBestWeights === undefined ? false : checkBoolean('earlyStopping(options.restoreBestWeights)', o.restoreBestWeights);
  const baseline = o.baseline === undefined ? undefined : (o.baseline as number);
  if (baseline !== undefined && (typeof baseline !== 'number' || !Number.isFinite(baseline))) throw typeError('earlyStopping(options.baseline)', 'a finite number', baseline);
  const sign = mode === 'min' ? -1 : 1;
  let best = Infinity;
  let wait = 0;
  let bestWeights: WeightTensorLike[] | undefined;
  const state = { stoppedEpoch: 0, bestEpoch: 0 };
  let lastEpoch = 0;
  return {
    get stoppedEpoch() {
      return state.stoppedEpoch;
    },
    get bestEpoch() {
      return state.bestEpoch;
    },
    onTrainBegin() {
      best = baseline === undefined ? (mode === 'min' ? Infinity : -Infinity) : baseline;
      wait = 0;
      bestWeights = undefined;
      state.stoppedEpoch = 0;
      state.bestEpoch = 0;
    },
    onEpochEnd(log, control) {
      const value = monitored('earlyStopping', log, monitor);
      lastEpoch = log.epoch;
      // Improvement: (value − best)·sign > minDelta (Keras: monitor_op(current − min_delta, best)).
      if (sign * (value - best) > minDelta) {
        best = value;
        wait = 0;
        state.bestEpoch = log.epoch;
        if (restore) bestWeights = control.model.getWeights();
        return;
      }
      wait++;
      if (wait >= patience) {
        state.stoppedEpoch = log.epoch;
        control.stop();
      }
    },
    onTrainEnd(_history, control) {
      if (restore && bestWeights && state.bestEpoch !== lastEpoch) control.model.setWeights(bestWeights);
    },
  };
}

/**
 * Keras's ReduceLROnPlateau as a callback: multiplies the learning rate (on top of any
 * schedule) by `factor` when the monitored metric stops improving for `patience` epochs.
 * Same decision rule as schedules.reduceLrOnPlateau (PyTorch's).
 * @example reduceLrOnPlateau({ monitor: 'valLoss', factor: 0.5, patience: 2, minLr: 1e-5 })
 */
export function reduceLrOnPlateau(options: Omit<PlateauOptions, 'lr'> = {}): Callback {
  const { monitor, tracker: t } = plateauOptions('reduceLrOnPlateau', options);
  let tracker = new PlateauTracker(t);
  return {
    onTrainBegin() {
      tracker = new PlateauTracker(t);
    },
    onEpochEnd(log, control) {
      const value = monitored('reduceLrOnPlateau', log, monitor);
      const lr = log.lr;
      if (!(lr > 0)) return;
      const next = tracker.step(value, lr);
      if (next !== lr) control.lrScale *= next / lr;
    },
  };
}

export interface ModelCheckpointOptions {
  /** Where to save; `{epoch}` is replaced by the epoch number. */
  path: string;
  /** Epoch-log key that decides "best". Default 'valLoss'. */
  monitor?: string;
  /** Save only when the monitored metric improves. Default false. */
  saveBestOnly?: boolean;
  /** 'min', 'max' or 'auto'. Default 'auto'. */
  mode?: Mode;
  /** Save every this many epochs (ignored with saveBestOnly). Default 1. */
  every?: number;
}

/**
 * Saves the model with `model.save(path)` after epochs: every `every` epochs, or only when
 * the monitored metric improves (saveBestOnly). `{epoch}` in the path becomes the epoch number.
 * @example modelCheckpoint({ path: 'out/ckpt-{epoch}', every: 5 })
 * @example modelCheckpoint({ path: 'out/best', monitor: 'valAccuracy', saveBestOnly: true })
 */
export function modelCheckpoint(options: ModelCheckpointOptions): Callback & { readonly saved: string[] } {
  const o = checkObject('modelCheckpoint(options)', options);
  checkKnownKeys('modelCheckpoint(options)', o, ['path', 'monitor', 'saveBestOnly', 'mode', 'every']);
  if (typeof o.path !== 'string' || o.path === '') throw typeError('modelCheckpoint(options.path)', 'a folder path', o.path);
  const path = o.path;
  if (o.monitor !== undefined && typeof o.monitor !== 'string') throw typeError('modelCheckpoint(options.monitor)', "a key of the epoch logs such as 'valLoss'", o.monitor);
  const monitor = (o.monitor as string | undefined) ?? 'valLoss';
  const bestOnly = o.saveBestOnly === undefined ? false : checkBoolean('modelCheckpoint(options.saveBestOnly)', o.saveBestOnly);
  const mode = resolveMode(o.mode === undefined ? 'auto' : checkOneOf('modelCheckpoint(options.mode)', o.mode, ['min', 'max', 'auto'] as const), monitor);
  const every = o.every === undefined ? 1 : checkInteger('modelCheckpoint(options.every)', o.every, 1);
  let best = mode === 'min' ? Infinity : -Infinity;
  const saved: string[] = [];
  return {
    saved,
    async onEpochEnd(log, control) {
      if (bestOnly) {
        const value = monitored('modelCheckpoint', log, monitor);
        if (!(mode === 'min' ? value < best : value > best)) return;
        best = value;
      } else if (log.epoch % every !== 0) {
        return;
      }
      const target = path.replaceAll('{epoch}', String(log.epoch));
      await control.model.save(target);
      saved.push(target);
    },
  };
}

function logKeys(log: EpochLog): string[] {
  return Object.keys(log).filter((k) => typeof log[k] === 'number');
}

/**
 * Appends one CSV row per epoch (header from the first epoch's keys) to `path`.
 * @example csvLogger('out/training.csv')
 */
export function csvLogger(path: string, options: { append?: boolean; separator?: string } = {}): Callback {
  if (typeof path !== 'string' || path === '') throw typeError('csvLogger(path)', 'a file path', path);
  const o = checkObject('csvLogger(options)', options);
  checkKnownKeys('csvLogger(options)', o, ['append', 'separator']);
  const append = o.append === undefined ? false : checkBoolean('csvLogger(options.append)', o.append);
  if (o.separator !== undefined && (typeof o.separator !== 'string' || o.separator.length !== 1)) throw typeError('csvLogger(options.separator)', 'one character', o.separator);
  const sep = (o.separator as string | undefined) ?? ',';
  let keys: string[] | undefined;
  return {
    async onTrainBegin() {
      keys = undefined;
      await mkdir(dirname(path), { recursive: true });
      if (!append) await writeFile(path, '');
    },
    async onEpochEnd(log) {
      let text = '';
      if (!keys) {
        keys = logKeys(log);
        text += keys.join(sep) + '\n';
      }
      text += keys.map((k) => (log[k] === undefined ? '' : String(log[k]))).join(sep) + '\n';
      await appendFile(path, text);
    },
  };
}

/**
 * Appends one JSON object per epoch (the epoch's log) to `path`, one per line.
 * @example jsonlLogger('out/training.jsonl')
 */
export function jsonlLogger(path: string, options: { append?: boolean } = {}): Callback {
  if (typeof path !== 'string' || path === '') throw typeError('jsonlLogger(path)', 'a file path', path);
  const o = checkObject('jsonlLogger(options)', options);
  checkKnownKeys('jsonlLogger(options)', o, ['append']);
  const append = o.append === undefined ? false : checkBoolean('jsonlLogger(options.append)', o.append);
  return {
    async onTrainBegin() {
      await mkdir(dirname(path), { recursive: true });
      if (!append) await writeFile(path, '');
    },
    async onEpochEnd(log) {
      await appendFile(path, JSON.stringify(log) + '\n');
    },
  };
}

/**
 * Stops with a NonFiniteLossError when any epoch-log value (valLoss included) is NaN or ±∞.
 * A non-finite training loss always stops fit (it is the default behaviour); this also
 * checks the validation values.
 * @example terminateOnNaN()
 */
export function terminateOnNaN(): Callback {
  return {
    onEpochEnd(log) {
      for (const k of logKeys(log)) {
        const v = log[k] as number;
        if (!Number.isFinite(v) && k !== 'valAuc') throw new NonFiniteLossError(log.epoch, 0, v);
      }
    },
  };
}
