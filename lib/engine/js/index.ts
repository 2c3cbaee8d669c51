/** The pure-TypeScript engine: always available, same semantics as the native one. */
import type { Arenas, Engine, EngineInfo, Plan, PlanSpec } from '../engine.js';
import { JsPlan } from './plan.js';
import { VERSION } from '../../version.js';

export const jsEngine: Engine = {
  name: 'js',
  info(): EngineInfo {
    return { name: 'js', isa: 'js', threads: 1, version: VERSION };
  },
  createPlan(spec: PlanSpec, arenas: Arenas): Plan {
    return new JsPlan(spec, arenas);
  },
};
