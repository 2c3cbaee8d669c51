/** Weight initialisers, all driven by the model's one seeded Rng. */
import type { Rng } from './random.js';

export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'zeros';
export const initializers: readonly Initializer[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros'];

/** Fills `out` (a kernel of shape [fanIn, fanOut]) with the named initialiser. */
export function initialize(kind: Initializer, out: Float32Array, fanIn: number, fanOut: number, rng: Rng): void {
  switch (kind) {
    case 'zeros':
      out.fill(0);
      return;
    case 'glorotUniform':
      return uniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng);
    case 'heUniform':
      return uniform(out, Math.sqrt(6 / fanIn), rng);
    case 'glorotNormal':
      return truncatedNormal(out, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case 'heNormal':
      return truncatedNormal(out, Math.sqrt(2 / fanIn), rng);
  }
}

function uniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.nextFloat() - 1) * limit;
}

/** Keras-style truncated normal: redraw beyond 2σ, scaled so the variance is stddev². */
function truncatedNormal(out: Float32Array, stddev: number, rng: Rng): void {
  const scale = stddev / 0.8796256610342398;
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do z = rng.nextNormal();
    while (Math.abs(z) > 2);
    out[i] = z * scale;
  }
}
