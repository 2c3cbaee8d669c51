/** The native engine: a thin adapter from the Plan interface to the raw addon. */
import { DownhillError } from '../errors.js';
import type { Arenas, Engine, EngineInfo, EvalResult, LossAndGradOptions, Plan, PlanSpec, TrainRequest, Targets } from './engine.js';
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

/** Wraps a loaded addon as an Engine. */
export function nativeEngine(addon: RawAddon): Engine {
  return {
    name: 'native',
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
