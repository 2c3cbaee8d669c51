#!/usr/bin/env -S node --expose-gc
// Steady-state memory: trains a small MLP (64-128-64-10, Adam, batch 32) for 10^5 native steps
// and prints RSS and arrayBuffers every 10^4 steps (after gc()), with the least-squares slope
// from step 10^4 on. Flat means the slope is noise (a few bytes per step at most).
// Usage: node --expose-gc bench/soak.mjs [--steps N] [--json]
import { parseArgs } from 'node:util';
import { sequential, dense, adam } from '../dist/index.js';

const { values } = parseArgs({ options: { steps: { type: 'string' }, json: { type: 'boolean' }, engine: { type: 'string' } } });
const total = Number(values.steps ?? 1e5);
const every = Math.max(1, Math.round(total / 10));
const gc = globalThis.gc ?? (() => {});
const batch = 32;
const rowsPerFit = batch * 500; // one fit call: 500 steps
const x = Float32Array.from({ length: rowsPerFit * 64 }, (_, i) => Math.sin(i * 0.37));
const y = Int32Array.from({ length: rowsPerFit }, (_, i) => (i * 7) % 10);
const model = sequential({ inputSize: 64, seed: 3, engine: values.engine ?? 'native', layers: [dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(10, { activation: 'softmax' })] });
model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
const out = new Float32Array(10);
const samples = [];
let steps = 0;
const t0 = performance.now();
while (steps < total) {
  await model.fit(x, y, { epochs: 1, batchSize: batch, checkFinite: false });
  model.predictSync(x.subarray(0, 64), { out });
  steps += rowsPerFit / batch;
  if (steps % every === 0) {
    gc();
    const m = process.memoryUsage();
    samples.push({ steps, rss: m.rss, arrayBuffers: m.arrayBuffers });
  }
}
const seconds = (performance.now() - t0) / 1000;
model.dispose();
const fit = (key) => {
  const pts = samples.filter((s) => s.steps >= 2 * every); // after the warm-up
  const n = pts.length;
  const mx = pts.reduce((a, s) => a + s.steps, 0) / n;
  const my = pts.reduce((a, s) => a + s[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const s of pts) {
    num += (s.steps - mx) * (s[key] - my);
    den += (s.steps - mx) ** 2;
  }
  return den ? num / den : 0;
};
const result = {
  steps: total, seconds, engine: model.engineInfo?.name,
  rssSlopeBytesPerStep: fit('rss'), arrayBuffersSlopeBytesPerStep: fit('arrayBuffers'),
  rssGrowthBytes: samples.at(-1).rss - samples[0].rss, samples,
};
if (values.json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  for (const s of samples) console.log(`step ${String(s.steps).padStart(7)}  rss ${(s.rss / 2 ** 20).toFixed(2)} MiB  arrayBuffers ${(s.arrayBuffers / 2 ** 10).toFixed(1)} KiB`);
  console.log(`${total} steps in ${seconds.toFixed(1)} s; RSS slope ${result.rssSlopeBytesPerStep.toFixed(3)} bytes/step (growth ${(result.rssGrowthBytes / 1024).toFixed(1)} KiB from step ${every}); arrayBuffers slope ${result.arrayBuffersSlopeBytesPerStep.toFixed(3)} bytes/step`);
}
