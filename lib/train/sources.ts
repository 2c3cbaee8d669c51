/**
 * Where the fit loop's batches come from, one engine call ("chunk") at a time: an in-memory
 * dataset visited in a seeded order, or a stream of `{ x, y }` batches copied into reused
 * chunk buffers (memory stays flat however long the stream is).
 */
import type { Targets } from '../engine/engine.js';
import { epochOrder } from '../random.js';

/** Rows per engine call: large enough that the call overhead vanishes, small enough for timely progress and abort. */
export const ROWS_PER_CALL = 4096;

/** One engine call's worth of steps: step s trains on indices[s·batchSize, …), the last may be short. */
export interface Chunk {
  x: Float32Array;
  y: Targets;
  /** Per-row loss weights indexed like y, or null. */
  weights: Float32Array | null;
  indices: Int32Array;
  batchSize: number;
  steps: number;
  rows: number;
}

export interface EpochSource {
  /** Steps per epoch when known in advance (in-memory data), for progress bars. */
  readonly stepsPerEpoch?: number;
  /** The chunks of one (0-based) epoch. A chunk's buffers may be reused once the next is requested. */
  chunks(epoch: number): Iterable<Chunk> | AsyncIterable<Chunk>;
}

/**
 * An in-memory dataset: every epoch visits all n rows in a seeded order (a pure function of
 * seed and epoch), at most `maxSteps` batches per engine call when given.
 */
export function arraySource(x: Float32Array, y: Targets, weights: Float32Array | null, n: number, batchSize: number, shuffle: boolean, seed: number, maxSteps = Infinity): EpochSource {
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const stepsPerCall = Math.max(1, Math.min(stepsPerEpoch, Math.floor(ROWS_PER_CALL / batchSize), maxSteps));
  const order = new Int32Array(n);
  return {
    stepsPerEpoch,
    *chunks(epoch: number) {
      epochOrder(n, seed, epoch, shuffle, order);
      for (let first = 0; first < stepsPerEpoch; first += stepsPerCall) {
        const steps = Math.min(stepsPerCall, stepsPerEpoch - first);
        const indices = order.subarray(first * batchSize, Math.min(n, (first + steps) * batchSize));
        yield { x, y, weights, indices, batchSize, steps, rows: indices.length };
      }
    },
  };
}

/** A checked batch of a stream: rows of inputs and either class labels or target rows. */
export interface PreparedBatch {
  x: Float32Array;
  labels: Int32Array | null;
  targets: Float32Array | null;
  /** Per-row weights, or null (weight 1). */
  weights: Float32Array | null;
  n: number;
}

/**
 * A stream of batches. Consecutive batches of the same size and target kind share a chunk
 * (one engine call); a shorter batch ends its chunk. `open(epoch)` gives each epoch's batches.
 */
export function streamSource(
  open: (epoch: number) => AsyncIterable<unknown> | Iterable<unknown>,
  prepare: (batch: unknown, index: number) => PreparedBatch,
  inputSize: number,
  outputs: number,
): EpochSource {
  let capacity = 0;
  let xs = new Float32Array(0);
  let labels = new Int32Array(0);
  let targets = new Float32Array(0);
  let weights = new Float32Array(0);
  let identity = new Int32Array(0);
  const grow = (rows: number) => {
    if (rows <= capacity) return;
    capacity = rows;
    xs = new Float32Array(capacity * inputSize);
    labels = new Int32Array(capacity);
    targets = new Float32Array(capacity * outputs);
    weights = new Float32Array(capacity);
    identity = Int32Array.from({ length: capacity }, (_, i) => i);
  };
  return {
    async *chunks(epoch: number) {
      let rows = 0;
      let steps = 0;
      let batchSize = 0;
      let useLabels = true;
      let weighted = false;
      const chunk = (): Chunk => ({
        x: xs.subarray(0, rows * inputSize),
        y: useLabels ? labels.subarray(0, rows) : targets.subarray(0, rows * outputs),
        weights: weighted ? weights.subarray(0, rows) : null,
        indices: identity.subarray(0, rows),
        batchSize,
        steps,
        rows,
      });
      let index = 0;
      for await (const raw of open(epoch)) {
        const b = prepare(raw, index++);
        const fits = steps > 0 && (b.labels !== null) === useLabels && b.n <= batchSize && rows + b.n <= capacity;
        if (steps > 0 && !fits) {
          yield chunk();
          rows = steps = 0;
        }
        if (steps === 0) {
          weighted = false;
          batchSize = b.n;
          useLabels = b.labels !== null;
          grow(Math.max(ROWS_PER_CALL, b.n));
        }
        xs.set(b.x, rows * inputSize);
        if (b.labels) labels.set(b.labels, rows);
        else targets.set(b.targets!, rows * outputs);
        if (b.weights) {
          if (!weighted) weights.fill(1, 0, rows);
          weighted = true;
          weights.set(b.weights, rows);
        } else if (weighted) weights.fill(1, rows, rows + b.n);
        rows += b.n;
        steps++;
        // A short batch must be a chunk's last step; a full chunk goes now.
        if (b.n < batchSize || rows + batchSize > capacity) {
          yield chunk();
          rows = steps = 0;
        }
      }
      if (steps > 0) yield chunk();
    },
  };
}
