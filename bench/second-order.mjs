#!/usr/bin/env node
// Time-to-target and epochs-to-target of Adam, L-BFGS, conjugate gradient, Newton-CG and K-FAC:
//   (a) L2-regularised logistic regression, MNIST digits 3 vs 8, full batch;
//   (b) a small regression network (10-32-32-1, tanh) on Friedman #1 (n = 2000), full batch;
//   (c) the seed network 784-256-128-64-10 on the bundled MNIST digits: K-FAC vs Adam to 97%
//       training accuracy.
// Prints a Markdown table; with --out DIR also writes second-order.{md,json} and loss-vs-time
// charts (SVG). Each method runs --runs times (default 3; the seeds make epochs identical): seconds
// are the median with the range. Usage: node bench/second-order.mjs [--engine native|js] [--quick] [--runs N] [--out DIR]
// (needs the built dist/: npm run build:ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adam, conjugateGradient, dense, engineInfo, kfac, l2, lbfgs, loadMnist, newtonCg, sequential, splitData } from '../dist/index.js';
import { renderSvg } from '../dist/report/charts.js';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const engine = value('--engine', 'auto');
const quick = flag('--quick');
const outDir = value('--out', undefined);
const runs = Number(value('--runs', quick ? 1 : 3));

function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Friedman #1 (Friedman 1991): y = 10 sin(πx₀x₁) + 20(x₂ − ½)² + 10x₃ + 5x₄ + N(0, 1), x ∈ U[0,1]¹⁰. */
function friedman1(n, seed) {
  const r = random(seed);
  const x = new Float32Array(n * 10);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 10; j++) x[i * 10 + j] = r();
    const v = x.subarray(i * 10, i * 10 + 10);
    const noise = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    y[i] = 10 * Math.sin(Math.PI * v[0] * v[1]) + 20 * (v[2] - 0.5) ** 2 + 10 * v[3] + 5 * v[4] + noise;
  }
  return { x, y };
}

function mnistPair(a, b) {
  const all = loadMnist();
  const rows = [];
  for (let i = 0; i < all.n; i++) if (all.y[i] === a || all.y[i] === b) rows.push(i);
  const x = new Float32Array(rows.length * 784);
  const y = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(all.x.subarray(r * 784, r * 784 + 784), i * 784);
    y[i] = all.y[r] === b ? 1 : 0;
  });
  return { x, y, n: rows.length };
}

/** Trains `epochs` epochs one at a time, timing training only; returns the curve [{ seconds, loss, accuracy }]. */
async function curve(model, x, y, fitOptions, epochs, stopWhen) {
  const points = [];
  let seconds = 0;
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    await model.fit(x, y, { ...fitOptions, epochs: 1 });
    seconds += (performance.now() - t0) / 1000;
    const { loss, accuracy } = await model.evaluate(x, y);
    points.push({ epoch: e + 1, seconds, loss, accuracy });
    if (stopWhen?.(points[points.length - 1])) break;
  }
  return points;
}

function firstReaching(points, reached) {
  const p = points.find(reached);
  return p ? { epochs: p.epoch, seconds: p.seconds } : { epochs: null, seconds: null };
}

const results = { machine: { engine: engineInfo(), node: process.version }, runs, problems: [] };

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `once` (a whole training curve) `runs` times; the curve of the median-time run, and every run's seconds to target. */
async function repeated(once, reached) {
  const curves = [];
  for (let r = 0; r < runs; r++) curves.push(await once());
  const times = curves.map((c) => firstReaching(c, reached).seconds).filter((t) => t !== null);
  const epochs = firstReaching(curves[0], reached).epochs;
  const seconds = times.length === runs ? { median: median(times), min: Math.min(...times), max: Math.max(...times) } : null;
  return { points: curves[0], epochs, seconds };
}

async function fullBatchProblem(name, make, loss, x, y, methods, epochs, targetOf) {
  const curves = [];
  for (const [label, optimizer, fitOptions, then] of methods) {
    const once = async () => {
    const model = make();
    model.compile({ loss, optimizer: optimizer(), metrics: ['accuracy'] });
    let points;
    if (then) {
      // Hybrid: the first optimizer for `then.after` epochs, then the second on the same weights.
      points = await curve(model, x, y, fitOptions, then.after);
      model.compile({ loss, optimizer: then.optimizer(), metrics: ['accuracy'] });
      const rest = await curve(model, x, y, then.fitOptions, epochs - then.after);
      const last = points[points.length - 1];
      points.push(...rest.map((p) => ({ ...p, epoch: p.epoch + last.epoch, seconds: p.seconds + last.seconds })));
    } else {
      points = await curve(model, x, y, fitOptions, epochs);
    }
    model.dispose();
    return points;
    };
    curves.push({ method: label, once, first: await once() });
  }
  const best = Math.min(...curves.flatMap((r) => r.first.map((p) => p.loss)));
  const target = targetOf(best);
  const rows = [];
  const shown = [];
  for (const c of curves) {
    const reached = (p) => p.loss <= target;
    const more = runs > 1 ? await repeated(c.once, reached) : null;
    const first = firstReaching(c.first, reached);
    const times = [first.seconds, ...(more ? [] : [])];
    const seconds = more?.seconds ?? (first.seconds === null ? null : { median: first.seconds, min: first.seconds, max: first.seconds });
    rows.push({ method: c.method, epochs: first.epochs, seconds, finalLoss: c.first[c.first.length - 1].loss });
    shown.push({ method: c.method, points: c.first });
    void times;
  }
  results.problems.push({ name, target, best, rows, runs: shown });
}

// (a) Logistic regression, MNIST 3 vs 8.
{
  const { x, y, n } = mnistPair(3, 8);
  const make = () => sequential({ inputSize: 784, seed: 1, engine, layers: [dense(1, { activation: 'sigmoid', kernelRegularizer: l2(1e-3), kernelInitializer: 'zeros' })] });
  await fullBatchProblem(
    `(a) logistic regression, MNIST 3 vs 8 (n = ${n}, L2 1e-3), full batch`,
    make, 'binaryCrossentropy', x, y,
    [
      ['Adam (lr 1e-2, batch 64)', () => adam({ lr: 1e-2 }), { batchSize: 64 }],
      ['L-BFGS (strong Wolfe, 5 it./epoch)', () => lbfgs({ lineSearch: 'strongWolfe', maxIter: 5, historySize: 20 }), {}],
      ['CG, Polak–Ribière (5 it./epoch)', () => conjugateGradient({ maxIter: 5 }), {}],
      ['Newton-CG (1 it./epoch)', () => newtonCg({ maxIter: 1, damping: 1e-4 }), {}],
    ],
    quick ? 10 : 40,
    (best) => best + 1e-3 * Math.abs(best),
  );
}

// (b) Regression network on Friedman #1.
{
  const { x, y } = friedman1(2000, 7);
  const make = () => sequential({ inputSize: 10, seed: 2, engine, layers: [dense(32, { activation: 'tanh' }), dense(32, { activation: 'tanh' }), dense(1)] });
  await fullBatchProblem(
    '(b) regression network 10-32-32-1 (tanh), Friedman #1 (n = 2000), full batch',
    make, 'mse', x, y,
    [
      ['Adam (lr 1e-2, batch 64)', () => adam({ lr: 1e-2 }), { batchSize: 64 }],
      ['L-BFGS (strong Wolfe, 10 it./epoch)', () => lbfgs({ lineSearch: 'strongWolfe', maxIter: 10, historySize: 20 }), {}],
      ['CG, Polak–Ribière (10 it./epoch)', () => conjugateGradient({ maxIter: 10 }), {}],
      ['Newton-CG (1 it./epoch)', () => newtonCg({ maxIter: 1, damping: 1e-2 }), {}],
      ['hybrid: Adam 10 epochs → L-BFGS', () => adam({ lr: 1e-2 }), { batchSize: 64 }, { after: quick ? 5 : 10, optimizer: () => lbfgs({ lineSearch: 'strongWolfe', maxIter: 10, historySize: 20 }), fitOptions: {} }],
    ],
    quick ? 10 : 60,
    (best) => 1.1 * best,
  );
}

// (c) The seed network on MNIST: K-FAC vs Adam to 97% training accuracy.
{
  const split = splitData(loadMnist(), 784, 42);
  const { x, y } = split.train;
  const make = () => sequential({ inputSize: 784, seed: 42, engine, layers: [dense(256, { activation: 'relu' }), dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(10, { activation: 'softmax' })] });
  const shown = [];
  const rows = [];
  for (const [label, optimizer, batchSize] of [
    ['Adam (lr 1e-3, batch 64)', () => adam({ lr: 1e-3 }), 64],
    ['K-FAC (lr 0.05, batch 256)', () => kfac({ lr: 0.05 }), 256],
  ]) {
    const once = async () => {
      const model = make();
      model.compile({ loss: 'categoricalCrossentropy', optimizer: optimizer(), metrics: ['accuracy'] });
      const points = await curve(model, x, y, { batchSize }, quick ? 5 : 30, (p) => p.accuracy >= 0.97);
      model.dispose();
      return points;
    };
    const r = await repeated(once, (p) => p.accuracy >= 0.97);
    shown.push({ method: label, points: r.points });
    rows.push({ method: label, epochs: r.epochs, seconds: r.seconds, finalLoss: r.points[r.points.length - 1].loss, finalAccuracy: r.points[r.points.length - 1].accuracy });
  }
  results.problems.push({ name: '(c) seed network 784-256-128-64-10, MNIST train split (7000 rows): 97% training accuracy', target: 0.97, rows, runs: shown });
}

const fmt = (v, digits = 2) => (v === null || v === undefined ? 'not reached' : v.toFixed(digits));
const lines = [`engine: ${results.machine.engine.name} (${results.machine.engine.isa}, ${results.machine.engine.threads} threads), node ${process.version}`, ''];
for (const p of results.problems) {
  lines.push(`### ${p.name}`, '', `target: ${p.name.startsWith('(c)') ? 'training accuracy ≥ 0.97' : `training loss ≤ ${p.target.toPrecision(6)} (best seen ${p.best.toPrecision(6)})`}`, '');
  lines.push(`| method | epochs to target | seconds to target (median of ${runs}, range) | final loss |`, '|---|---:|---:|---:|');
  for (const r of p.rows) {
    const t = r.seconds ? `${fmt(r.seconds.median)} (${fmt(r.seconds.min)}–${fmt(r.seconds.max)})` : 'not reached';
    lines.push(`| ${r.method} | ${r.epochs ?? 'not reached'} | ${t} | ${r.finalLoss.toPrecision(5)} |`);
  }
  lines.push('');
}
const text = lines.join('\n');
console.log(text);

if (outDir) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'second-order.md'), `${text}\n`);
  writeFileSync(join(outDir, 'second-order.json'), `${JSON.stringify(results, null, 1)}\n`);
  for (const [i, p] of results.problems.entries()) {
    const values = p.runs.flatMap((r) => r.points.map((pt) => ({ seconds: pt.seconds, value: pt.loss, series: r.method })));
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: p.name,
      width: 520,
      height: 260,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', title: 'training seconds' },
        y: { field: 'value', type: 'quantitative', title: 'training loss', scale: { type: 'log' } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    };
    writeFileSync(join(outDir, `second-order-${'abc'[i]}.svg`), await renderSvg(spec));
  }
}
