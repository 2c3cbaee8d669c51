/**
 * The fit loop: per-epoch visiting order, per-step learning rates, and one engine call per
 * chunk of batches. Everything here is plain data; the model layer validates before calling.
 */
import { AbortError, NonFiniteLossError, rangeError } from '../errors.js';
import type { Plan } from '../engine/engine.js';
import type { Callback, EpochLog, History } from './callbacks.js';
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
  callbacks: Callback[];
  signal?: AbortSignal;
  /** Loss and accuracy on the validation data, if any. */
  validate?: () => Promise<{ loss: number; accuracy: number }>;
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
  const control = { stop: () => void (stopRequested = true) };
  const counters = job.counters;
  let plan: Plan | undefined;
  const onAbort = () => plan?.cancel();
  signal?.addEventListener('abort', onAbort);
  try {
    for (const cb of job.callbacks) await cb.onTrainBegin?.();
    for (let e = 0; e < job.epochs && !stopRequested; e++) {
      const epoch = counters.epochs;
      const started = performance.now();
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
          lr = job.lrAt(counters.steps + s, epoch);
          if (!Number.isFinite(lr) || lr < 0) throw rangeError('fit(options.schedule)', `a finite learning rate ≥ 0 at step ${counters.steps + s}`, lr);
          lrs[s] = lr;
        }
        plan = job.planFor(batchSize);
        const done = await plan.trainSteps({
          x: chunk.x, y: chunk.y, indices: chunk.indices, batchSize,
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
        for (const cb of job.callbacks) cb.onProgress?.({ epoch: epoch + 1, step: stepInEpoch, stepsPerEpoch: source.stepsPerEpoch, loss: lossSum / rowsSeen });
      }
      if (rowsSeen === 0) {
        throw new RangeError(`fit: epoch ${epoch + 1} received no data (a stream can be read once: pass a function that returns a new iterable for every epoch)`);
      }
      const v = job.validate ? await job.validate() : undefined;
      const log: EpochLog = {
        epoch: epoch + 1,
        loss: lossSum / rowsSeen,
        accuracy: correct / rowsSeen,
        ...(v && { valLoss: v.loss, valAccuracy: v.accuracy }),
        lr,
        seconds: (performance.now() - started) / 1000,
      };
      history.epochs.push(log);
      counters.epochs++;
      for (const cb of job.callbacks) await cb.onEpochEnd?.(log, control);
    }
    for (const cb of job.callbacks) await cb.onTrainEnd?.(history);
    return history;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
