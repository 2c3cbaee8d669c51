/** The native engine: a thin adapter from the Plan interface to the raw addon. */
import { DownhillError } from '../errors.js';
import { jsVectors } from '../second-order/vectors.js';
import type { Arenas, Engine, EngineInfo, EvalResult, LossAndGradOptions, Plan, PlanSpec, TrainRequest, Targets, VectorOps } from './engine.js';
import type { RawAddon, RawPlan } from './binding.js';

class NativePlan implements Plan {
  constructor(private readonly raw: RawPlan) {}

  trainSteps(r: TrainRequest): Promise<number> {
    return this.raw.trainSteps(r.x, r.y, r.weights ?? null, r.indices, r.batchSize, r.lrs, r.stepStart, r.lossOut, r.correctOut);
  }
  predict(x: Float32Array, out: Float32Array): Promise<void> {
    return this.raw.predict(x, out);
  }
  predictSync(x: Float32Array, out: Float32Array): void {
    this.raw.predictSync(x, out);
  }
  evaluate(x: Float32Array, y: Targets, weights: Float32Array | null, out: Float32Array | null): Promise<EvalResult> {
    return this.raw.evaluate(x, y, weights ?? null, out ?? null);
  }
  lossAndGrad(x: Float32Array, y: Targets, indices: Int32Array, options: LossAndGradOptions = {}): number {
    const f = options.factors;
    return this.raw.lossAndGrad(x, y, indices, options.weights ?? null, options.training ?? true, options.step ?? 0, f ? f.a : null, f ? f.g : null);
  }
  hessianVector(x: Float32Array, y: Targets, indices: Int32Array, v: Float32Array, out: Float32Array, options: LossAndGradOptions = {}): void {
    this.raw.hessianVector(x, y, indices, v, out, options.weights ?? null, options.training ?? true, options.step ?? 0);
  }
  cancel(): void {
    this.raw.cancel();
  }
  dispose(): void {
    this.raw.dispose();
  }
}

type Vec = Float32Array | Float64Array;

const f32 = (v: Vec): v is Float32Array => v instanceof Float32Array;

/** Whether two views share memory (empty views share none). */
function overlaps(a: Vec, b: Vec): boolean {
  if (a.buffer !== b.buffer || a.length === 0 || b.length === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Whether out shares memory with x without being exactly the same range. */
function overlapsInPart(out: Vec, x: Vec): boolean {
  return overlaps(out, x) && !(out.byteOffset === x.byteOffset && out.byteLength === x.byteLength);
}

/**
 * The addon's vector operations as VectorOps: Float32Array arenas go native; anything the
 * binding does not take (Float64Array operands, non-finite scalars, partly overlapping
 * views, a matmul output overlapping an input) runs jsVectors, which defines the semantics.
 * Lengths must match exactly (the binding's RangeError otherwise).
 */
function nativeVectors(addon: RawAddon): VectorOps {
  return {
    dot: (a, b) => (f32(a) && f32(b) ? addon.vectorDot(a, b) : jsVectors.dot(a, b)),
    axpy(alpha, x, y) {
      if (f32(x) && f32(y) && Number.isFinite(alpha) && !overlapsInPart(y, x)) addon.vectorAxpy(alpha, x, y);
      else jsVectors.axpy(alpha, x, y);
    },
    scale(alpha, x) {
      if (f32(x) && Number.isFinite(alpha)) addon.vectorScale(alpha, x);
      else jsVectors.scale(alpha, x);
    },
    addScaled(x, t, d, out) {
      if (f32(x) && f32(d) && f32(out) && Number.isFinite(t) && !overlapsInPart(out, x) && !overlapsInPart(out, d)) addon.vectorAddScaled(x, t, d, out);
      else jsVectors.addScaled(x, t, d, out);
    },
    maxAbs: (x) => (f32(x) ? addon.vectorMaxAbs(x) : jsVectors.maxAbs(x)),
    sumAbs: (x) => (f32(x) ? addon.vectorSumAbs(x) : jsVectors.sumAbs(x)),
    copy: (x, out) => (x.length === out.length && !overlaps(out, x) ? addon.vectorCopy(x, out) : jsVectors.copy(x, out)),
    matmul(transA, transB, m, n, k, a, b, c) {
      if (f32(a) && f32(b) && f32(c) && !overlaps(c, a) && !overlaps(c, b)) addon.matmul(transA, transB, m, n, k, a, b, c);
      else jsVectors.matmul(transA, transB, m, n, k, a, b, c);
    },
    spdInverse: (s, n, damping, out) =>
      f32(s) && f32(out) && Number.isFinite(damping) ? addon.spdInverse(s, n, damping, out) : jsVectors.spdInverse(s, n, damping, out),
  };
}

/** Wraps a loaded addon as an Engine. */
export function nativeEngine(addon: RawAddon): Engine {
  // An addon built before the vector operations existed (an old prebuild) has none to offer.
  const vectors = typeof addon.vectorDot === 'function' ? nativeVectors(addon) : undefined;
  return {
    name: 'native',
    vectors,
    info(): EngineInfo {
      const info = addon.info();
      return { name: 'native', isa: info.isa, threads: info.threads, version: addon.version };
    },
    createPlan(spec: PlanSpec, arenas: Arenas): Plan {
      try {
        return new NativePlan(new addon.Plan(spec, arenas.params, arenas.grads, arenas.state));
      } catch (err) {
        if (err instanceof TypeError || err instanceof RangeError) throw err;
        throw new DownhillError('ERR_DOWNHILL_NATIVE_PLAN', `the native engine could not build the plan: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
