/**
 * The measurements behind `downhill bench`, one process's worth: GEMM GFLOP/s through the
 * addon's kernel hook, training samples/s and predict latency through the public model API.
 * A sampler is set up and warmed up once, then each call times one block (tens of ms); the
 * orchestrator (bench-interleave.ts) interleaves samples of every participant and takes medians.
 * Thread counts are whatever this process was started with (DOWNHILL_THREADS).
 */
import { loadMnist, takeRows, MNIST_CLASSES, MNIST_PIXELS } from '../datasets/mnist.js';
import { Rng, shuffleInPlace } from '../random.js';
import { dense } from '../layers.js';
import { sequential, type Sequential } from '../model.js';
import { adam } from '../optim/adam.js';
import { loadAddon } from '../engine/binding.js';

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** What the shape is in the seed network, or 'square'. */
  label: string;
}

export interface GemmRow extends GemmShape {
  threads: number;
  isa: string;
  gflops: number;
  min: number;
  max: number;
}

export interface TrainRow {
  engine: string;
  isa: string;
  batch: number;
  threads: number;
  samplesPerSecond: number;
  min: number;
  max: number;
}

/**
 * The machine's own ceiling for a multi-threaded run: `processes` independent single-thread
 * native trainers at once (each a separate process, nothing shared), their combined samples/s.
 */
export interface IndependentRow {
  batch: number;
  processes: number;
  samplesPerSecond: number;
  min: number;
  max: number;
}

export interface PredictRow {
  engine: string;
  isa: string;
  batch: number;
  threads: number;
  mode: 'sync' | 'async';
  ms: number;
  min: number;
  max: number;
}

export const SEED_LAYERS = [784, 256, 128, 64, 10];

/** Squares, then every GEMM of one seed-network train step at batch 128. */
export function gemmShapes(quick: boolean): GemmShape[] {
  const shapes: GemmShape[] = [];
  for (const s of quick ? [256, 512, 1024] : [256, 512, 1024, 2048]) {
    shapes.push({ m: s, n: s, k: s, transA: false, transB: false, label: 'square' });
  }
  const b = 128;
  for (let l = 0; l + 1 < SEED_LAYERS.length; l++) {
    const din = SEED_LAYERS[l];
    const dout = SEED_LAYERS[l + 1];
    const name = `${din}-${dout}`;
    shapes.push({ m: b, n: dout, k: din, transA: false, transB: false, label: `forward ${name}` });
    shapes.push({ m: din, n: dout, k: b, transA: true, transB: false, label: `dW ${name}` });
    if (l > 0) shapes.push({ m: b, n: din, k: dout, transA: false, transB: true, label: `dX ${name}` });
  }
  return shapes;
}

export function stat(values: number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** Repetitions of `fn` that take about `seconds`, measured once. */
function repsFor(fn: () => void, seconds: number): number {
  const t0 = performance.now();
  fn();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  return Math.max(1, Math.round(seconds / once));
}

function randomMatrix(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.nextFloat() * 2 - 1;
  return a;
}

/** One timed block of a measurement (GFLOP/s, samples/s or ms per call); set up and warmed up on creation. */
export type Sampler = () => Promise<number>;

/** GFLOP/s of the native kernels (the ISA in use) on one shape, ~30 ms per sample. */
export function gemmSampler(s: GemmShape): Sampler | undefined {
  const { addon } = loadAddon();
  if (!addon) return undefined;
  const isa = addon.info().isa;
  const rng = new Rng(3);
  const a = randomMatrix(s.m * s.k, rng);
  const b = randomMatrix(s.k * s.n, rng);
  const c = new Float32Array(s.m * s.n);
  const lda = s.transA ? s.m : s.k;
  const ldb = s.transB ? s.k : s.n;
  const once = () => addon.gemm(isa, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n);
  once();
  const reps = repsFor(once, 0.03);
  return async () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) once();
    return (2 * s.m * s.n * s.k * reps) / ((performance.now() - t0) / 1000) / 1e9;
  };
}

/** Median, min and max of `runs` samples. */
export async function sampleRuns(sample: Sampler, runs: number): Promise<Stat> {
  const values: number[] = [];
  for (let r = 0; r < runs; r++) values.push(await sample());
  return stat(values);
}

/** The seed network (784-256-128-64-10, ReLU, softmax, Adam lr 1e-3) on `engine`. */
export function seedModel(engine: 'native' | 'js'): Sequential {
  const model = sequential({
    inputSize: MNIST_PIXELS,
    seed: 1,
    engine,
    layers: [dense(256, { activation: 'relu' }), dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(MNIST_CLASSES, { activation: 'softmax' })],
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
  return model;
}

let mnist: { x: Float32Array; y: Int32Array; n: number } | undefined;
function mnistRows() {
  if (!mnist) {
    const data = loadMnist();
    // The package lists digits in order; a seeded shuffle makes any prefix a realistic mix.
    const order = shuffleInPlace(Int32Array.from({ length: data.n }, (_, i) => i), new Rng(7));
    const { x, y } = takeRows(data, order, MNIST_PIXELS);
    mnist = { x, y, n: data.n };
  }
  return mnist;
}

/** Rows per timed epoch: enough steps to amortise a fit call, few enough to stay brief. */
function epochRows(engine: 'native' | 'js', batch: number, quick: boolean): number {
  const base = engine === 'native' ? (batch === 1 ? 2048 : 8192) : batch === 1 ? 256 : 2048;
  return quick ? base / 2 : base;
}

/** A training measurement: its model (dispose it when done) and its sampler. */
export interface SeedRun {
  model: Sequential;
  sample: Sampler;
}

/** Samples/s of one one-epoch `fit` call (the user path: shuffle, per-step lrs, one engine call). */
export async function trainSampler(engine: 'native' | 'js', batch: number, quick: boolean): Promise<SeedRun> {
  const { x, y, n } = mnistRows();
  const rows = Math.min(epochRows(engine, batch, quick), n);
  const model = seedModel(engine);
  const xs = x.subarray(0, rows * MNIST_PIXELS);
  const ys = y.subarray(0, rows);
  await model.fit(xs, ys, { epochs: 1, batchSize: batch });
  const sample = async () => {
    const t0 = performance.now();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, checkFinite: false });
    return rows / ((performance.now() - t0) / 1000);
  };
  return { model, sample };
}

/** Milliseconds per predict call with a caller-provided output buffer (no allocation per call), ~50 ms per sample. */
export async function predictSampler(model: Sequential, batch: number, mode: 'sync' | 'async'): Promise<Sampler> {
  const { x } = mnistRows();
  const xs = x.subarray(0, batch * MNIST_PIXELS);
  const dst = new Float32Array(batch * MNIST_CLASSES);
  const call = mode === 'sync' ? () => model.predictSync(xs, { out: dst }) : () => model.predict(xs, { out: dst });
  await call();
  const t0 = performance.now();
  await call();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const reps = Math.max(5, Math.min(20000, Math.round(0.05 / once)));
  return async () => {
    const t1 = performance.now();
    for (let i = 0; i < reps; i++) await call();
    return (performance.now() - t1) / reps;
  };
}

/** Milliseconds per predict call, sync and async, for each batch size. */
export async function measurePredict(engine: 'native' | 'js', batches: number[], runs: number): Promise<PredictRow[]> {
  const out: PredictRow[] = [];
  const model = seedModel(engine);
  const info = model.engineInfo;
  for (const batch of batches) {
    for (const mode of ['sync', 'async'] as const) {
      const st = await sampleRuns(await predictSampler(model, batch, mode), runs);
      out.push({ engine: info.name, isa: info.isa, batch, threads: info.name === 'js' ? 1 : info.threads, mode, ms: st.median, min: st.min, max: st.max });
    }
  }
  model.dispose();
  return out;
}
