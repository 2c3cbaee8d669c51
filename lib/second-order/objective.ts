/** What the second-order methods minimise: a loss over fixed data as a function of the parameter arena. */
import type { Vector } from './vectors.js';

export interface Objective {
  /** The parameters being optimised (the model's arena); methods write their steps here. */
  readonly params: Vector;
  /**
   * Loss at the current params; writes its gradient into g. May be async (engine jobs off the
   * JS thread). With `factors`, also fills K-FAC's Kronecker factors (lib/engine/engine.ts).
   */
  evaluate(g: Vector, factors?: { a: Float32Array[]; g: Float32Array[] }): number | Promise<number>;
  /** Exact Hessian-vector product H·v at the current params, into out (Newton-CG). */
  hessianVector?(v: Vector, out: Vector): void | Promise<void>;
}
