/**
 * The fit loop: per-epoch visiting order, per-step learning rates, and one engine call per
 * chunk of batches. Everything here is plain data; the model layer validates before calling.
 */
import { AbortError, NonFiniteLossError, rangeError } from '../errors.js';
import type { Plan } from '../engine/engine.js';
import type { Callback, CallbackModel, EpochLog, History, TrainingControl } from './callbacks.js';
import type { EpochSource } from './sources.js';

/** Learning rate for a global step (0-based) in a 0-based epoch. */
export type LrFunction = (step: number, epoch: number) => number;

export interface FitJob {
  /** The engine plan for batches of up to `batch` rows. */
  planFor(batch: number): Plan;
  source: EpochSource;
  epochs: number;
  /** Epochs and optimizer steps done so far over all fits; advanced as work completes. */
  counters: { epochs: number; steps: number };
  lrAt: LrFunction;
  /** Told each finished epoch's log (a schedule driven by a metric, e.g. reduceLrOnPlateau). */
  observe?: (log: EpochLog) => void;
  callbacks: Callback[];
  signal?: AbortSignal;
  /** Loss, accuracy and the compiled metrics on the validation data, if any (keys become val<Key>). */
  validate?: () => Promise<Record<string, number>>;
  /** What callbacks may do with the model (control.model). */
  model: CallbackModel;
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('fit was aborted', { cause: signal.reason });
}

/** Runs the epochs of a job; resolves with the history or rejects (AbortError, NonFiniteLossError, a callback's error). */
export async function runFit(job: FitJob): Promise<History> {
  const { source, signal } = job;
  let lrs = new Float32Array(0);
  let lossOut = new Float32Array(0);
  let correctOut = new Int32Array(0);
  const history: History = { epochs: [] };
  let stopRequested = false;
  const control: TrainingControl = { stop: () => void (stopRequested = true), lrScale: 1, model: job.model };
  const counters = job.counters;
  let plan: Plan | undefined;
  const onAbort = () => plan?.cancel();
  signal?.addEventListener('abort', onAbort);
  try {
    for (const cb of job.callbacks) await cb.onTrainBegin?.(control);
    for (let e = 0; e < job.epochs && !stopRequested; e++) {
      const epoch = counters.epochs;
      const started = performance.now();
      for (const cb of job.callbacks) await cb.onEpochBegin?.(epoch + 1, control);
      let lossSum = 0;
      let correct = 0;
      let lr = 0;
      let rowsSeen = 0;
      let stepInEpoch = 0;
      for await (const chunk of source.chunks(epoch)) {
        if (signal?.aborted) throw abortError(signal);
        const { steps, batchSize } = chunk;
        if (lrs.length < steps) {
          lrs = new Float32Array(steps);
          lossOut = new Float32Array(steps);
          correctOut = new Int32Array(steps);
        }
        for (let s = 0; s < steps; s++) {
          lr = job.lrAt(counters.steps + s, epoch) * control.lrScale;
          if (!Number.isFinite(lr) || lr < 0) throw rangeError('fit(options.schedule)', `a finite learning rate ≥ 0 at step ${counters.steps + s}`, lr);
          lrs[s] = lr;
        }
        plan = job.planFor(batchSize);
        const done = await plan.trainSteps({
          x: chunk.x, y: chunk.y, weights: chunk.weights, indices: chunk.indices, batchSize,
          lrs: lrs.subarray(0, steps),
          stepStart: counters.steps,
          lossOut, correctOut,
        });
        for (let s = 0; s < done; s++) {
          const rows = Math.min(batchSize, chunk.rows - s * batchSize);
          lossSum += lossOut[s] * rows;
          correct += correctOut[s];
          rowsSeen += rows;
        }
        counters.steps += done;
        if (done < steps) {
          if (signal?.aborted) throw abortError(signal);
          throw new NonFiniteLossError(epoch + 1, stepInEpoch + done + 1, lossOut[done]);
        }
        stepInEpoch += steps;
        const progress = { epoch: epoch + 1, step: stepInEpoch, stepsPerEpoch: source.stepsPerEpoch, loss: lossSum / rowsSeen };
        for (const cb of job.callbacks) {
          cb.onProgress?.(progress);
          cb.onBatchEnd?.(progress, control);
        }
      }
      if (rowsSeen === 0) {
        throw new RangeError(`fit: epoch ${epoch + 1} received no data (a stream can be read once: pass a function that returns a new iterable for every epoch)`);
      }
      const v = job.validate ? await job.validate() : undefined;
      const log: EpochLog = { epoch: epoch + 1, loss: lossSum / rowsSeen, accuracy: correct / rowsSeen, lr, seconds: 0 };
      if (v) for (const [key, value] of Object.entries(v)) log[`val${key[0].toUpperCase()}${key.slice(1)}`] = value;
      log.seconds = (performance.now() - started) / 1000;
      history.epochs.push(log);
      counters.epochs++;
      job.observe?.(log);
      for (const cb of job.callbacks) await cb.onEpochEnd?.(log, control);
    }
    for (const cb of job.callbacks) await cb.onTrainEnd?.(history, control);
    return history;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
