/**
 * Weight initialisers (Keras definitions), all driven by the model's one seeded Rng: the
 * model draws every layer's kernel, then its bias, in layer order, so the seed fixes them all.
 */
import type { Rng } from './random.js';
import { checkKnownKeys, checkNumber, checkObject, checkOneOf, checkPositive } from './validate.js';
import { rangeError, typeError } from './errors.js';

export type InitializerName =
  | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunUniform' | 'lecunNormal'
  | 'orthogonal' | 'zeros' | 'ones' | 'constant' | 'randomUniform' | 'randomNormal' | 'truncatedNormal';

export const initializerNames: readonly InitializerName[] = [
  'glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunUniform', 'lecunNormal',
  'orthogonal', 'zeros', 'ones', 'constant', 'randomUniform', 'randomNormal', 'truncatedNormal',
];

/** An initialiser with its settings (plain data: saved with the model). */
export interface InitializerSpec {
  readonly kind: InitializerName;
  /** heUniform/heNormal: which fan scales the variance. Default 'fanIn'. */
  readonly mode?: 'fanIn' | 'fanOut';
  /** constant's value. */
  readonly value?: number;
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly stddev?: number;
  /** orthogonal's multiplier. */
  readonly gain?: number;
}

/** A name (default settings) or a spec made by `initializers.*`. */
export type Initializer = InitializerName | InitializerSpec;

const spec = (s: InitializerSpec): InitializerSpec => Object.freeze(s);

/** Factories for initialisers with settings. @example dense(64, { kernelInitializer: initializers.heNormal({ mode: 'fanOut' }) }) */
export const initializers = {
  /** U(±√(6/(fanIn + fanOut))). */
  glorotUniform: () => spec({ kind: 'glorotUniform' }),
  /** Truncated normal (±2σ, rescaled) with σ = √(2/(fanIn + fanOut)). */
  glorotNormal: () => spec({ kind: 'glorotNormal' }),
  /** U(±√(6/fan)), fan = fanIn (default) or fanOut. */
  heUniform: (o: { mode?: 'fanIn' | 'fanOut' } = {}) => spec({ kind: 'heUniform', mode: checkMode('heUniform', o) }),
  /** Truncated normal with σ = √(2/fan). */
  heNormal: (o: { mode?: 'fanIn' | 'fanOut' } = {}) => spec({ kind: 'heNormal', mode: checkMode('heNormal', o) }),
  /** U(±√(3/fanIn)). */
  lecunUniform: () => spec({ kind: 'lecunUniform' }),
  /** Truncated normal with σ = √(1/fanIn). */
  lecunNormal: () => spec({ kind: 'lecunNormal' }),
  /** A (semi-)orthogonal matrix from the QR decomposition of a normal one, times gain. */
  orthogonal: (o: { gain?: number } = {}) => {
    const opts = checkObject('initializers.orthogonal(options)', o);
    checkKnownKeys('initializers.orthogonal(options)', opts, ['gain']);
    return spec({ kind: 'orthogonal', gain: opts.gain === undefined ? 1 : checkNumber('initializers.orthogonal(options.gain)', opts.gain) });
  },
  zeros: () => spec({ kind: 'zeros' }),
  ones: () => spec({ kind: 'ones' }),
  constant: (value: number) => spec({ kind: 'constant', value: checkNumber('initializers.constant(value)', value) }),
  /** U(min, max); default ±0.05. */
  randomUniform: (o: { min?: number; max?: number } = {}) => {
    const opts = checkObject('initializers.randomUniform(options)', o);
    checkKnownKeys('initializers.randomUniform(options)', opts, ['min', 'max']);
    const min = opts.min === undefined ? -0.05 : checkNumber('initializers.randomUniform(options.min)', opts.min);
    const max = opts.max === undefined ? 0.05 : checkNumber('initializers.randomUniform(options.max)', opts.max);
    if (!(max > min)) throw rangeError('initializers.randomUniform(options.max)', `a number > min (${min})`, max);
    return spec({ kind: 'randomUniform', min, max });
  },
  /** N(mean, stddev²); default N(0, 0.05²). */
  randomNormal: (o: { mean?: number; stddev?: number } = {}) => normalSpec('randomNormal', o),
  /** N(mean, stddev²) redrawn beyond 2·stddev (Keras); default stddev 0.05. */
  truncatedNormal: (o: { mean?: number; stddev?: number } = {}) => normalSpec('truncatedNormal', o),
};

function checkMode(name: string, o: unknown): 'fanIn' | 'fanOut' {
  const opts = checkObject(`initializers.${name}(options)`, o);
  checkKnownKeys(`initializers.${name}(options)`, opts, ['mode']);
  return opts.mode === undefined ? 'fanIn' : checkOneOf(`initializers.${name}(options.mode)`, opts.mode, ['fanIn', 'fanOut'] as const);
}

function normalSpec(kind: 'randomNormal' | 'truncatedNormal', o: unknown): InitializerSpec {
  const arg = `initializers.${kind}(options)`;
  const opts = checkObject(arg, o);
  checkKnownKeys(arg, opts, ['mean', 'stddev']);
  return spec({
    kind,
    mean: opts.mean === undefined ? 0 : checkNumber(`${arg}.mean`, opts.mean),
    stddev: opts.stddev === undefined ? 0.05 : checkPositive(`${arg}.stddev`, opts.stddev),
  });
}

/** Checks an initializer option: a name or a spec (re-validated: specs also come from saved files). */
export function toInitializer(argument: string, value: unknown): InitializerSpec {
  if (typeof value === 'string') {
    const name = checkOneOf(argument, value, initializerNames);
    if (name === 'constant') throw new TypeError(`${argument}: 'constant' needs a value: use initializers.constant(value)`);
    return spec({ kind: name });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw typeError(argument, `an initializer name (${initializerNames.join(', ')}) or initializers.*(…)`, value);
  const o = value as Record<string, unknown>;
  checkKnownKeys(argument, o, ['kind', 'mode', 'value', 'min', 'max', 'mean', 'stddev', 'gain']);
  const kind = checkOneOf(`${argument}.kind`, o.kind, initializerNames);
  const { kind: _kind, ...rest } = o;
  switch (kind) {
    case 'heUniform':
    case 'heNormal':
      return initializers[kind](rest as never);
    case 'orthogonal':
    case 'randomUniform':
    case 'randomNormal':
    case 'truncatedNormal':
      return initializers[kind](rest as never);
    case 'constant':
      return initializers.constant(o.value as number);
    default:
      checkKnownKeys(argument, o, ['kind']);
      return spec({ kind });
  }
}

/**
 * Fills `out` with the initialiser. A kernel has shape [fanIn, fanOut] (row-major); a vector
 * (bias) passes fanIn = fanOut = its length and cannot be orthogonal.
 */
export function initialize(s: InitializerSpec, out: Float32Array, fanIn: number, fanOut: number, rng: Rng, vector = false): void {
  switch (s.kind) {
    case 'zeros':
      return void out.fill(0);
    case 'ones':
      return void out.fill(1);
    case 'constant':
      return void out.fill(s.value ?? 0);
    case 'glorotUniform':
      return uniform(out, -Math.sqrt(6 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut)), rng);
    case 'heUniform': {
      const limit = Math.sqrt(6 / (s.mode === 'fanOut' ? fanOut : fanIn));
      return uniform(out, -limit, limit, rng);
    }
    case 'lecunUniform':
      return uniform(out, -Math.sqrt(3 / fanIn), Math.sqrt(3 / fanIn), rng);
    case 'glorotNormal':
      return truncatedNormal(out, 0, Math.sqrt(2 / (fanIn + fanOut)) / TRUNCATED_STD, rng);
    case 'heNormal':
      return truncatedNormal(out, 0, Math.sqrt(2 / (s.mode === 'fanOut' ? fanOut : fanIn)) / TRUNCATED_STD, rng);
    case 'lecunNormal':
      return truncatedNormal(out, 0, Math.sqrt(1 / fanIn) / TRUNCATED_STD, rng);
    case 'randomUniform':
      return uniform(out, s.min ?? -0.05, s.max ?? 0.05, rng);
    case 'randomNormal':
      for (let i = 0; i < out.length; i++) out[i] = (s.mean ?? 0) + rng.nextNormal() * (s.stddev ?? 0.05);
      return;
    case 'truncatedNormal':
      return truncatedNormal(out, s.mean ?? 0, s.stddev ?? 0.05, rng);
    case 'orthogonal':
      if (vector) throw new RangeError("initializer 'orthogonal': expected a kernel (2-D), received a bias vector");
      return orthogonal(out, fanIn, fanOut, s.gain ?? 1, rng);
  }
}

/** Standard deviation of a unit normal truncated at ±2: variance-scaling initialisers divide by it (Keras). */
const TRUNCATED_STD = 0.8796256610342398;

function uniform(out: Float32Array, min: number, max: number, rng: Rng): void {
  const span = max - min;
  // Kept as (2u − 1)·limit for symmetric ranges: the seed network's weights stay what they were.
  if (min === -max) for (let i = 0; i < out.length; i++) out[i] = (2 * rng.nextFloat() - 1) * max;
  else for (let i = 0; i < out.length; i++) out[i] = min + rng.nextFloat() * span;
}

/** N(mean, stddev²) redrawn beyond 2σ. */
function truncatedNormal(out: Float32Array, mean: number, stddev: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do z = rng.nextNormal();
    while (Math.abs(z) > 2);
    out[i] = mean + z * stddev;
  }
}

/**
 * Keras's orthogonal: QR of a normal matrix of shape [max(r, c), min(r, c)] (Householder, in
 * float64), Q's columns signed by diag(R) so the result is uniform over orthogonal matrices,
 * transposed when the kernel is wider than tall.
 */
function orthogonal(out: Float32Array, rows: number, cols: number, gain: number, rng: Rng): void {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.nextNormal();
  const q = householderQ(a, m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = gain * q[i * n + j];
      if (rows >= cols) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  }
}

/** Thin Q (m × n, m ≥ n) of A = QR with R's diagonal made positive; A is overwritten. */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * n + k] > 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = a[i * n + k];
    v[k] -= alpha;
    let vnorm = 0;
    for (let i = k; i < m; i++) vnorm += v[i] ** 2;
    if (vnorm > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i] * a[i * n + j];
        const f = (2 * dot) / vnorm;
        for (let i = k; i < m; i++) a[i * n + j] -= f * v[i];
      }
    }
    vs.push(v);
    // R[k][k] = alpha; Q's column k gets sign(alpha) so diag(R) is positive.
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H₀H₁…Hₙ₋₁ applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vnorm = 0;
    for (let i = k; i < m; i++) vnorm += v[i] ** 2;
    if (vnorm === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * q[i * n + j];
      const f = (2 * dot) / vnorm;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i];
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= signs[j];
  return q;
}
