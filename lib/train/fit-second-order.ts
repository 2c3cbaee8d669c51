/**
 * The fit loop of the second-order optimizers: every epoch runs one optimizer step (up to its
 * maxIter iterations) on each batch — the whole training set unless mini-batches were allowed —
 * then scores the epoch like the first-order loop does (callbacks, validation, history).
 */
import { AbortError, NonFiniteLossError } from '../errors.js';
import type { Callback, CallbackModel, EpochLog, History, TrainingControl } from './callbacks.js';
import type { SecondOrderMethod } from '../optim/second-order.js';
import type { Objective } from '../second-order/objective.js';
import type { Vectors } from '../second-order/vectors.js';

export interface SecondOrderJob {
  method: SecondOrderMethod;
  vec: Vectors;
  /** The objective over the rows `indices`; `step` numbers the dropout masks of its evaluations. */
  objectiveFor(indices: Int32Array, step: number, signal: AbortSignal | undefined): Objective;
  /** The row sets of one (0-based) epoch, one optimizer step each. */
  batches(epoch: number): Int32Array[];
  epochs: number;
  counters: { epochs: number; steps: number };
  /** Accuracy over the training rows after the epoch (inference behaviour). */
  trainAccuracy(): Promise<number>;
  validate?: () => Promise<Record<string, number>>;
  callbacks: Callback[];
  signal?: AbortSignal;
  model: CallbackModel;
  lr: number;
}

export async function runSecondOrderFit(job: SecondOrderJob): Promise<History> {
  const history: History = { epochs: [] };
  let stopRequested = false;
  const control: TrainingControl = { stop: () => void (stopRequested = true), lrScale: 1, model: job.model };
  const { counters, signal } = job;
  for (const cb of job.callbacks) await cb.onTrainBegin?.(control);
  for (let e = 0; e < job.epochs && !stopRequested; e++) {
    const epoch = counters.epochs;
    const started = performance.now();
    for (const cb of job.callbacks) await cb.onEpochBegin?.(epoch + 1, control);
    const batches = job.batches(epoch);
    let lossSum = 0;
    let rows = 0;
    let iterations = 0;
    let evaluations = 0;
    let gradMaxAbs = 0;
    let gradNorm = 0;
    for (const [b, indices] of batches.entries()) {
      if (signal?.aborted) throw new AbortError('fit was aborted', { cause: signal.reason });
      const report = await job.method.step(job.objectiveFor(indices, counters.steps + 1, signal), job.vec);
      if (!Number.isFinite(report.loss)) throw new NonFiniteLossError(epoch + 1, b + 1, report.loss);
      counters.steps += Math.max(1, report.iterations);
      lossSum += report.loss * indices.length;
      rows += indices.length;
      iterations += report.iterations;
      evaluations += report.evaluations;
      gradMaxAbs = Math.max(gradMaxAbs, report.gradMaxAbs);
      gradNorm = Math.max(gradNorm, report.gradNorm);
      const progress = { epoch: epoch + 1, step: b + 1, stepsPerEpoch: batches.length, loss: lossSum / rows };
      for (const cb of job.callbacks) {
        cb.onProgress?.(progress);
        cb.onBatchEnd?.(progress, control);
      }
    }
    const accuracy = await job.trainAccuracy();
    const v = job.validate ? await job.validate() : undefined;
    const log: EpochLog = { epoch: epoch + 1, loss: lossSum / rows, accuracy, lr: job.lr, seconds: 0, gradMaxAbs, gradNorm, iterations, evaluations };
    if (v) for (const [key, value] of Object.entries(v)) log[`val${key[0].toUpperCase()}${key.slice(1)}`] = value;
    log.seconds = (performance.now() - started) / 1000;
    history.epochs.push(log);
    counters.epochs++;
    for (const cb of job.callbacks) await cb.onEpochEnd?.(log, control);
  }
  for (const cb of job.callbacks) await cb.onTrainEnd?.(history, control);
  return history;
}
