/** The vector operations to run a second-order method with on an engine: its native ones, else the pure-TS set. */
import type { Engine } from '../engine/engine.js';
import { jsVectors, type Vectors } from './vectors.js';

export function vectorsFor(engine: Engine): Vectors {
  return engine.vectors ?? jsVectors;
}
