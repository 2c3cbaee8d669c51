#!/usr/bin/env -S node --expose-gc
// Server soak: the figures the README's "Using downhill in a server" section quotes.
//  1. Steady-state memory: a small MLP (64-128-64-10, Adam, batch 32) trained for 10^5 steps;
//     RSS and arrayBuffers every 10^4 steps (after gc()), least-squares slope after the warm-up.
//  2. Lifecycle memory: 10^4 cycles of create, compile, fit (2 steps), predict, dispose, after 2000
//     unmeasured warm-up cycles; RSS every 10^3 cycles (after gc()), the slope without the first
//     sample, and live plans at the end (0 expected).
//  3. Event loop while training: 1 and 5 concurrent fits in a child with UV_THREADPOOL_SIZE=4
//     (test/fixtures/event-loop.mjs): p99/max event-loop delay (perf_hooks.monitorEventLoopDelay)
//     and fs.readFile latency (it needs libuv's thread pool, which the native engine leaves alone).
// Flat means the slope is noise (a few bytes per step or cycle at most).
// Usage: node --expose-gc bench/soak.mjs [--steps N] [--cycles N] [--loop-seconds S] [--engine native|js] [--json]
// (0 skips a section.)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adam, dense, livePlanCount, sequential } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' }, cycles: { type: 'string' }, 'loop-seconds': { type: 'string' },
    json: { type: 'boolean' }, engine: { type: 'string' },
  },
});
const engine = values.engine ?? 'native';
const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.error('soak: run with node --expose-gc for meaningful RSS figures');
const log = (line) => { if (!values.json) console.log(line); };
const mib = (b) => (b / 2 ** 20).toFixed(2);

/** Least-squares slope of samples[key] against samples[x], without the first sample (the warm-up). */
function slope(samples, x, key) {
  const pts = samples.slice(1);
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((a, s) => a + s[x], 0) / n;
  const my = pts.reduce((a, s) => a + s[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const s of pts) {
    num += (s[x] - mx) * (s[key] - my);
    den += (s[x] - mx) ** 2;
  }
  return den ? num / den : 0;
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function soakSteps(total) {
  const every = Math.max(1, Math.round(total / 10));
  const batch = 32;
  const rowsPerFit = batch * 500; // one fit call: 500 steps
  const x = Float32Array.from({ length: rowsPerFit * 64 }, (_, i) => Math.sin(i * 0.37));
  const y = Int32Array.from({ length: rowsPerFit }, (_, i) => (i * 7) % 10);
  const model = sequential({ inputSize: 64, seed: 3, engine, layers: [dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(10, { activation: 'softmax' })] });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
  const out = new Float32Array(10);
  const samples = [];
  let steps = 0;
  let nextSample = every;
  const t0 = performance.now();
  while (steps < total) {
    await model.fit(x, y, { epochs: 1, batchSize: batch, checkFinite: false });
    model.predictSync(x.subarray(0, 64), { out });
    steps += rowsPerFit / batch;
    if (steps >= nextSample) {
      nextSample += every;
      gc();
      const m = process.memoryUsage();
      samples.push({ steps, rss: m.rss, arrayBuffers: m.arrayBuffers });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  const r = {
    steps, seconds, rssSlopeBytesPerStep: slope(samples, 'steps', 'rss'), arrayBuffersSlopeBytesPerStep: slope(samples, 'steps', 'arrayBuffers'),
    rssGrowthBytes: samples.at(-1).rss - samples[0].rss, samples,
  };
  for (const s of samples) log(`step ${String(s.steps).padStart(7)}  rss ${mib(s.rss)} MiB  arrayBuffers ${(s.arrayBuffers / 2 ** 10).toFixed(1)} KiB`);
  log(`${steps} steps in ${seconds.toFixed(1)} s; RSS slope ${r.rssSlopeBytesPerStep.toFixed(3)} bytes/step (growth ${(r.rssGrowthBytes / 1024).toFixed(1)} KiB from step ${samples[0].steps}); arrayBuffers slope ${r.arrayBuffersSlopeBytesPerStep.toFixed(3)} bytes/step`);
  return r;
}

async function soakCycles(total) {
  const every = Math.max(1, Math.round(total / 10));
  const x = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i * 0.37));
  const y = Int32Array.from({ length: 64 }, (_, i) => i % 10);
  const out = new Float32Array(64 * 10);
  const samples = [];
  const cycle = async (c) => {
    const m = sequential({ inputSize: 32, seed: c, engine, layers: [dense(64, { activation: 'relu' }), dense(10, { activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam() });
    await m.fit(x, y, { epochs: 1, batchSize: 32 });
    await m.predict(x, { out });
    m.dispose();
  };
  // Warm-up, not measured: the JIT, V8's heap sizing and the allocator settle in the first
  // couple of thousand cycles.
  for (let c = 1; c <= Math.min(2000, total); c++) await cycle(1_000_000 + c);
  const t0 = performance.now();
  for (let c = 1; c <= total; c++) {
    await cycle(c);
    if (c % every === 0) {
      await settle();
      const mem = process.memoryUsage();
      samples.push({ cycles: c, rss: mem.rss, heapUsed: mem.heapUsed, arrayBuffers: mem.arrayBuffers });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const r = {
    cycles: total, seconds, rssSlopeBytesPerCycle: slope(samples, 'cycles', 'rss'), arrayBuffersSlopeBytesPerCycle: slope(samples, 'cycles', 'arrayBuffers'),
    rssGrowthBytes: samples.at(-1).rss - samples[0].rss, livePlans: livePlanCount(), samples,
  };
  for (const s of samples) log(`cycle ${String(s.cycles).padStart(6)}  rss ${mib(s.rss)} MiB  heapUsed ${mib(s.heapUsed)} MiB  arrayBuffers ${(s.arrayBuffers / 2 ** 10).toFixed(1)} KiB`);
  log(`${total} create/fit/predict/dispose cycles in ${seconds.toFixed(1)} s; RSS slope ${r.rssSlopeBytesPerCycle.toFixed(2)} bytes/cycle (growth ${(r.rssGrowthBytes / 1024).toFixed(1)} KiB from cycle ${samples[0].cycles}); arrayBuffers slope ${r.arrayBuffersSlopeBytesPerCycle.toFixed(3)} bytes/cycle; live plans ${r.livePlans}`);
  return r;
}

function eventLoop(seconds) {
  const fixture = fileURLToPath(new URL('../test/fixtures/event-loop.mjs', import.meta.url));
  const rows = [];
  for (const fits of [1, 5]) {
    const stdout = execFileSync(process.execPath, [fixture, engine, String(fits), String(seconds)], {
      encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    });
    const r = { fits, ...JSON.parse(stdout) };
    rows.push(r);
    log(`${fits} concurrent fit${fits > 1 ? 's' : ' '} (UV_THREADPOOL_SIZE=4, ${seconds} s): event-loop delay p99 ${r.p99DelayMs.toFixed(1)} ms, max ${r.maxDelayMs.toFixed(1)} ms; fs.readFile p50 ${r.readFileP50Ms.toFixed(2)} ms, max ${r.readFileMaxMs.toFixed(1)} ms (${r.reads} reads)`);
  }
  return rows;
}

const result = { engine, node: process.version };
const steps = Number(values.steps ?? 1e5);
const cycles = Number(values.cycles ?? 1e4);
const loopSeconds = Number(values['loop-seconds'] ?? 5);
if (steps > 0) result.steps = await soakSteps(steps);
if (cycles > 0) result.cycles = await soakCycles(cycles);
if (loopSeconds > 0) result.eventLoop = eventLoop(loopSeconds);
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
