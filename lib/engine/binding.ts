/**
 * The raw native addon, typed, and its loader. This is the exact contract of
 * native/binding: positional arguments, already validated by lib/ (the binding re-checks
 * only what could corrupt memory and throws TypeError/RangeError for it).
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OptimizerSpec, PlanSpec } from './engine.js';

/**
 * PlanSpec as the addon decodes it: exactly engine.ts PlanSpec (inputSize, layers with every
 * field of their kind, loss, optimizer, maxBatch, seed). The addon type- and range-checks
 * every field (TypeError/RangeError naming the field path, e.g. `spec.layers[2].rate`).
 */
export type RawPlanSpec = PlanSpec;

/**
 * The addon's Plan. Targets are class indices (Int32Array; only for the losses in
 * engine.ts LABEL_LOSSES, else TypeError) or target rows (Float32Array of n × outputs);
 * weights are null or a Float32Array of one finite value >= 0 per row of x (RangeError
 * otherwise). With batchNorm in the plan, a training batch of 1 row (trainSteps' batchSize 1
 * or a last batch of 1; lossAndGrad with training over 1 row) or lossAndGrad with training
 * over more than maxBatch rows is a RangeError before any work starts.
 */
export interface RawPlan {
  /** Resolves with steps completed (see Plan.trainSteps). Throws ERR_DOWNHILL_PLAN_BUSY while a job runs. */
  trainSteps(
    x: Float32Array,
    y: Int32Array | Float32Array,
    weights: Float32Array | null,
    indices: Int32Array,
    batchSize: number,
    lrs: Float32Array,
    stepStart: number,
    lossOut: Float32Array,
    correctOut: Int32Array,
  ): Promise<number>;
  predict(x: Float32Array, out: Float32Array): Promise<void>;
  predictSync(x: Float32Array, out: Float32Array): void;
  /** Inference over every row of x (see Plan.evaluate), off the JS thread; outputs into out when given. */
  evaluate(x: Float32Array, y: Int32Array | Float32Array, weights: Float32Array | null, out: Float32Array | null): Promise<{ loss: number; correct: number }>;
  /**
   * See Plan.lossAndGrad; `step` an integer >= 0. factorsA/factorsG (both or neither): K-FAC's
   * Kronecker factors (LossAndGradOptions.factors), one Float32Array per dense layer, filled.
   */
  lossAndGrad(
    x: Float32Array,
    y: Int32Array | Float32Array,
    indices: Int32Array,
    weights: Float32Array | null,
    training: boolean,
    step: number,
    factorsA?: Float32Array[] | null,
    factorsG?: Float32Array[] | null,
  ): number;
  /**
   * See Plan.hessianVector: H·v into out (both Float32Arrays of the parameter count, not
   * overlapping), by the R-operator; v outside the trainable ranges is ignored, out there is 0.
   */
  hessianVector(
    x: Float32Array,
    y: Int32Array | Float32Array,
    indices: Int32Array,
    v: Float32Array,
    out: Float32Array,
    weights: Float32Array | null,
    training: boolean,
    step: number,
  ): void;
  cancel(): void;
  dispose(): void;
}

export interface RawAddon {
  version: string;
  /** isa: the level in use; isaAvailable: levels this CPU and build can run; threads: pool size. */
  info(): { isa: string; isaAvailable: string[]; threads: number };
  Plan: new (spec: RawPlanSpec, params: Float32Array, grads: Float32Array, state: Float32Array) => RawPlan;
  /**
   * Test and bench hook: C = epilogue(alpha·op(A)·op(B) + beta·C) with the kernels of the named ISA
   * (row-major, op(A) is m×k, op(B) is k×n, leading dimensions in elements).
   */
  gemm(
    isa: string,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
    /** Optional epilogue: + bias[j] per column (n values), then ReLU when `relu`. */
    bias?: Float32Array | null,
    relu?: boolean,
  ): void;
  /**
   * Test hook: one fused optimizer step t (from 1) with learning rate lr, clipping included,
   * with the kernels of the named ISA on the thread pool, exactly as a Plan's train step
   * runs it. grads has params.length values, state stateSlots(spec) × params.length.
   */
  optimizerStep(
    isa: string,
    spec: OptimizerSpec,
    lr: number,
    t: number,
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array,
  ): void;
  /*
   * The second-order methods' vector operations (engine.ts VectorOps), synchronous, on the
   * pool. Float32Arrays only; every length must match exactly (RangeError naming the
   * argument: `vectorDot(b): expected a Float32Array(10) (the length of a), received
   * Float32Array(9)`), scalars must be finite (RangeError), and an output may be its input
   * array itself or disjoint from it, never a partly overlapping view (RangeError); a wrong
   * type is a TypeError. native.ts sends everything else to jsVectors. Reductions sum in
   * double in a fixed block order (bit-identical for any thread count); elementwise ops are
   * bitwise jsVectors' on Float32Arrays (denormals flushed).
   */
  /** Σ a[i]·b[i] in double. */
  vectorDot(a: Float32Array, b: Float32Array): number;
  /** y += alpha·x. */
  vectorAxpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** x *= alpha. */
  vectorScale(alpha: number, x: Float32Array): void;
  /** out = x + t·d. */
  vectorAddScaled(x: Float32Array, t: number, d: Float32Array, out: Float32Array): void;
  /** max |x[i]| (0 when empty), NaN when any element is NaN. */
  vectorMaxAbs(x: Float32Array): number;
  /** Σ |x[i]| in double. */
  vectorSumAbs(x: Float32Array): number;
  vectorCopy(x: Float32Array, out: Float32Array): void;
  /**
   * C (m×n) = op(A)·op(B) row-major with the engine's GEMM (float accumulation, dispatched
   * ISA); a.length = m·k, b.length = k·n, c.length = m·n; c must not overlap a or b;
   * m, n, k integers in [0, 2³¹ − 1].
   */
  matmul(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /**
   * out = (S + damping·I)⁻¹ by Cholesky in double (S's lower triangle read); false, out
   * untouched, when not positive definite. s.length = out.length = n·n (they may alias).
   */
  spdInverse(s: Float32Array, n: number, damping: number, out: Float32Array): boolean;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type LoadResult = { addon: RawAddon; error?: undefined } | { addon?: undefined; error: Error };

let cached: LoadResult | undefined;

/**
 * Loads the addon once: build/Release first, then prebuilds/<platform>-<arch>/.
 *
 * `DOWNHILL_ADDON_PATH=/abs/path/downhill.node` loads that file instead (no fallback to the
 * others: a wrong path is a load error). scripts/test-asan.sh uses it to run the tests
 * against the sanitizer build in build-asan/; it is also how to try a locally built binary
 * inside an installed package.
 */
export function loadAddon(): LoadResult {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const override = process.env.DOWNHILL_ADDON_PATH;
    if (override) {
      if (!isAbsolute(override)) throw new Error(`DOWNHILL_ADDON_PATH must be an absolute path to a .node file, received '${override}'`);
      cached = { addon: require(override) as RawAddon };
      return cached;
    }
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => RawAddon;
    cached = { addon: nodeGypBuild(packageRoot) };
  } catch (err) {
    cached = { error: err instanceof Error ? err : new Error(String(err)) };
  }
  return cached;
}
