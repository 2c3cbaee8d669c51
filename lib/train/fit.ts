/**
 * The fit loop: per-epoch visiting order, per-step learning rates, and one engine call per
 * chunk of batches. Everything here is plain data; the model layer validates before calling.
 */
import { AbortError, NonFiniteLossError, rangeError } from '../errors.js';
import type { Plan, Targets } from '../engine/engine.js';
import { epochOrder } from '../random.js';
import type { Callback, EpochLog, History } from './callbacks.js';

/** Learning rate for a global step (0-based) in a 0-based epoch. */
export type LrFunction = (step: number, epoch: number) => number;

export interface FitJob {
  plan: Plan;
  x: Float32Array;
  y: Targets;
  n: number;
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** Epochs and optimizer steps done so far over all fits; advanced as work completes. */
  counters: { epochs: number; steps: number };
  lrAt: LrFunction;
  callbacks: Callback[];
  signal?: AbortSignal;
  /** Loss and accuracy on the validation data, if any. */
  validate?: () => Promise<{ loss: number; accuracy: number }>;
}

/** Rows per engine call: large enough that the call overhead vanishes, small enough for timely progress and abort. */
const ROWS_PER_CALL = 4096;

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('fit was aborted', { cause: signal.reason });
}

/** Runs the epochs of a job; resolves with the history or rejects (AbortError, NonFiniteLossError, a callback's error). */
export async function runFit(job: FitJob): Promise<History> {
  const { plan, x, y, n, batchSize, signal } = job;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const stepsPerCall = Math.max(1, Math.min(stepsPerEpoch, Math.floor(ROWS_PER_CALL / batchSize)));
  const order = new Int32Array(n);
  const lrs = new Float32Array(stepsPerCall);
  const lossOut = new Float32Array(stepsPerCall);
  const correctOut = new Int32Array(stepsPerCall);
  const history: History = { epochs: [] };
  let stopRequested = false;
  const control = { stop: () => void (stopRequested = true) };
  const counters = job.counters;
  const onAbort = () => plan.cancel();
  signal?.addEventListener('abort', onAbort);
  try {
    for (const cb of job.callbacks) await cb.onTrainBegin?.();
    for (let e = 0; e < job.epochs && !stopRequested; e++) {
      const epoch = counters.epochs;
      const started = performance.now();
      epochOrder(n, job.seed, epoch, job.shuffle, order);
      let lossSum = 0;
      let correct = 0;
      let lr = 0;
      for (let first = 0; first < stepsPerEpoch; ) {
        if (signal?.aborted) throw abortError(signal);
        const steps = Math.min(stepsPerCall, stepsPerEpoch - first);
        for (let s = 0; s < steps; s++) {
          lr = job.lrAt(counters.steps + s, epoch);
          if (!Number.isFinite(lr) || lr < 0) throw rangeError('fit(options.schedule)', `a finite learning rate ≥ 0 at step ${counters.steps + s}`, lr);
          lrs[s] = lr;
        }
        const rowStart = first * batchSize;
        const indices = order.subarray(rowStart, Math.min(n, (first + steps) * batchSize));
        const done = await plan.trainSteps({
          x, y, indices, batchSize,
          lrs: lrs.subarray(0, steps),
          stepStart: counters.steps,
          lossOut, correctOut,
        });
        for (let s = 0; s < done; s++) {
          const rows = Math.min(batchSize, n - (first + s) * batchSize);
          lossSum += lossOut[s] * rows;
          correct += correctOut[s];
        }
        counters.steps += done;
        if (done < steps) {
          if (signal?.aborted) throw abortError(signal);
          throw new NonFiniteLossError(epoch + 1, first + done + 1, lossOut[done]);
        }
        first += steps;
        const seen = Math.min(n, first * batchSize);
        for (const cb of job.callbacks) cb.onProgress?.({ epoch: epoch + 1, step: first, stepsPerEpoch, loss: lossSum / seen });
      }
      const v = job.validate ? await job.validate() : undefined;
      const log: EpochLog = {
        epoch: epoch + 1,
        loss: lossSum / n,
        accuracy: correct / n,
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
