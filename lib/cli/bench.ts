/**
 * `downhill bench`: train-step throughput of the seed network (784-256-128-64-10, Adam) on
 * MNIST rows, native vs pure TS, measured in the same run. Medians of several timed fits
 * after a warm-up; never asserted anywhere, only printed.
 */
import { parseArgs } from 'node:util';
import { loadMnist, takeRows, MNIST_CLASSES, MNIST_PIXELS } from '../datasets/mnist.js';
import { Rng, shuffleInPlace } from '../random.js';
import { dense } from '../layers.js';
import { sequential } from '../model.js';
import { adam } from '../optim/adam.js';
import { tryNativeEngine } from '../engine/select.js';
import { jsEngine } from '../engine/js/index.js';
import { formatHeader, formatRow, type Column } from './table.js';

export interface TrainBenchRow {
  engine: string;
  isa: string;
  threads: number;
  batch: number;
  samplesPerSecond: number;
  min: number;
  max: number;
  runs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Samples/s of `runs` timed one-epoch fits over `rows` rows, after one warm-up fit. */
async function measure(engine: 'native' | 'js', batch: number, rows: number, runs: number, x: Float32Array, y: Int32Array) {
  const model = sequential({
    inputSize: MNIST_PIXELS,
    seed: 1,
    engine,
    layers: [dense(256, { activation: 'relu' }), dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(MNIST_CLASSES, { activation: 'softmax' })],
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
  const xs = x.subarray(0, rows * MNIST_PIXELS);
  const ys = y.subarray(0, rows);
  await model.fit(xs, ys, { epochs: 1, batchSize: batch });
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, checkFinite: false });
    rates.push(rows / ((performance.now() - t0) / 1000));
  }
  const info = model.engineInfo;
  model.dispose();
  return { engine: info.name, isa: info.isa, threads: info.threads, batch, samplesPerSecond: median(rates), min: Math.min(...rates), max: Math.max(...rates), runs };
}

const COLUMNS: Column[] = [
  { title: 'engine', width: 7 },
  { title: 'isa', width: 6 },
  { title: 'threads', width: 7 },
  { title: 'batch', width: 5 },
  { title: 'samples/s (median)', width: 18 },
  { title: 'range', width: 17 },
  { title: 'native/js', width: 9 },
];

/** Runs the benchmark; returns the exit code. */
export async function bench(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, runs: { type: 'string' } }, strict: true });
  const runs = values.runs ? Math.max(1, Number(values.runs) | 0) : values.quick ? 3 : 7;
  const data = loadMnist();
  // The package lists digits in order; a seeded shuffle makes any prefix a realistic mix.
  const rowsOrder = shuffleInPlace(Int32Array.from({ length: data.n }, (_, i) => i), new Rng(7));
  const { x, y } = takeRows(data, rowsOrder, MNIST_PIXELS);
  const engines: ('native' | 'js')[] = tryNativeEngine().engine ? ['native', 'js'] : ['js'];
  const rows: TrainBenchRow[] = [];
  for (const batch of [32, 128, 512]) {
    for (const engine of engines) {
      const n = engine === 'native' ? (values.quick ? 4096 : 8192) : values.quick ? 1024 : 2048;
      rows.push(await measure(engine, batch, Math.min(n, data.n), runs, x, y));
    }
  }
  const machine = { cpus: (await import('node:os')).cpus()[0]?.model ?? 'unknown', cores: (await import('node:os')).availableParallelism(), node: process.version };
  if (values.json) {
    process.stdout.write(JSON.stringify({ machine, jsEngine: jsEngine.info().version, train: rows }) + '\n');
    return 0;
  }
  process.stdout.write(`train step, 784-256-128-64-10 + Adam on MNIST rows; median of ${runs} one-epoch fits after a warm-up\n`);
  process.stdout.write(`machine: ${machine.cpus}, ${machine.cores} cores, node ${machine.node}\n\n${formatHeader(COLUMNS)}\n`);
  for (const r of rows) {
    const js = rows.find((o) => o.engine === 'js' && o.batch === r.batch);
    const ratio = r.engine === 'native' && js ? `${(r.samplesPerSecond / js.samplesPerSecond).toFixed(1)}x` : '';
    process.stdout.write(formatRow(COLUMNS, [r.engine, r.isa, String(r.threads), String(r.batch), Math.round(r.samplesPerSecond).toString(), `${Math.round(r.min)}–${Math.round(r.max)}`, ratio]) + '\n');
  }
  return 0;
}
