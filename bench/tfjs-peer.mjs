#!/usr/bin/env node
// TensorFlow.js peer for the train benchmark: the seed network (784-256-128-64-10, ReLU,
// softmax, categorical cross-entropy, Adam lr 1e-3) on the bundled MNIST rows with the
// pure-JS CPU backend or the WASM (SIMD) backend.
// Usage: node bench/tfjs-peer.mjs cpu|wasm [--batches 32,128,512] [--runs 3] [--rows N]
//   prints one JSON document: { backend, version, rows, train: [{ batch, samplesPerSecond, min, max, runs }] }
// or:    node bench/tfjs-peer.mjs cpu|wasm serve [--rows N]
//   a participant of the interleaved benchmark (lib/cli/bench-channel.ts): one JSON request per
//   line on stdin, { "kind": "info" } -> { "value": { backend, version, rows } } and
//   { "kind": "train", "batch": B } -> { "value": samples/s of one timed epoch } (the first
//   request of a batch size builds and warms up its model), errors as { "error": "…" }.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { values, positionals } = parseArgs({ allowPositionals: true, options: { batches: { type: 'string' }, runs: { type: 'string' }, rows: { type: 'string' } } });
const backend = positionals[0] ?? 'cpu';
const serving = positionals[1] === 'serve';
const batches = (values.batches ?? '32,128,512').split(',').map(Number);
const runs = Number(values.runs ?? 3);

const tf = require('@tensorflow/tfjs');
if (backend === 'wasm') {
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
}
await tf.setBackend(backend);
await tf.ready();

const { loadMnist } = await import('../dist/index.js');
const data = loadMnist();
// Rows per timed epoch: TensorFlow.js CPU is slow, so fewer rows keep a run to a few seconds.
const rows = Number(values.rows ?? (backend === 'cpu' ? 512 : 2048));
const order = Array.from({ length: rows }, (_, i) => (i * 7919) % data.n);
const x = new Float32Array(rows * 784);
const y = new Float32Array(rows * 10);
order.forEach((r, i) => {
  x.set(data.x.subarray(r * 784, r * 784 + 784), i * 784);
  y[i * 10 + data.y[r]] = 1;
});
const xs = tf.tensor2d(x, [rows, 784]);
const ys = tf.tensor2d(y, [rows, 10]);

/** The seed network at `batch`, compiled and warmed up by one epoch; sample() times one more epoch (samples/s). */
async function trainer(batch) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await model.fit(xs, ys, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
  const sample = async () => {
    const t0 = performance.now();
    await model.fit(xs, ys, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
    return rows / ((performance.now() - t0) / 1000);
  };
  return { model, sample };
}

if (serving) {
  const trainers = new Map();
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    let reply;
    try {
      const req = JSON.parse(line);
      if (req.kind === 'info') {
        reply = { value: { backend: `tfjs-${backend}`, version: tf.version.tfjs, rows } };
      } else if (req.kind === 'train' && Number.isInteger(req.batch) && req.batch > 0) {
        if (!trainers.has(req.batch)) trainers.set(req.batch, await trainer(req.batch));
        reply = { value: await trainers.get(req.batch).sample() };
      } else {
        throw new Error(`unknown request ${line.slice(0, 200)}`);
      }
    } catch (e) {
      reply = { error: e instanceof Error ? e.message : String(e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  for (const t of trainers.values()) t.model.dispose();
} else {
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const train = [];
  for (const batch of batches) {
    const { model, sample } = await trainer(batch);
    const rates = [];
    for (let r = 0; r < runs; r++) rates.push(await sample());
    model.dispose();
    train.push({ batch, samplesPerSecond: median(rates), min: Math.min(...rates), max: Math.max(...rates), runs });
  }
  console.log(JSON.stringify({ backend: `tfjs-${backend}`, version: tf.version.tfjs, rows, train }));
}
