/** Rebuilds an optimizer from what a saved model recorded ({ name, lr, spec }), validating it again. */
import { createOptimizer } from './index.js';
import type { Optimizer } from './optimizer.js';

/** Throws TypeError/RangeError (from the factory) when the saved values are invalid or the name is unknown. */
export function restoreOptimizer(saved: { name?: unknown; lr?: unknown; spec?: unknown }): Optimizer {
  const spec = (saved.spec ?? {}) as Record<string, unknown>;
  const options: Record<string, unknown> = { lr: saved.lr };
  for (const [key, value] of Object.entries(spec)) {
    // kind and decoupled follow from the name (adam vs adamw).
    if (key !== 'kind' && key !== 'decoupled' && value !== undefined) options[key] = value;
  }
  return createOptimizer(String(saved.name), options);
}
