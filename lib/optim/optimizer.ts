/** What every optimizer factory returns: a base learning rate and the engine's update spec. */
import type { OptimizerSpec } from '../engine/engine.js';

export interface Optimizer {
  readonly name: string;
  /** Base learning rate; a schedule may scale it per step. */
  readonly lr: number;
  /** The fused update the engine runs (formula in engine.ts). */
  readonly spec: OptimizerSpec;
}
