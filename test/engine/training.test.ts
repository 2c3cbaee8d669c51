// Training behaviour of the public model, once per engine that loads.
import { describe, expect, it } from 'vitest';
import { adam, dense, sequential, sgd, AbortError, DivergenceError, DownhillError, NonFiniteLossError, type Optimizer } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs, oneHot } from '../helpers/data.js';
import { mlpLayers, planSpec } from '../helpers/specs.js';

const WIDTH = 20;
const CLASSES = 4;

function model(engine: 'native' | 'js', optimizer: Optimizer = adam({ lr: 0.01 }), seed = 7) {
  const m = sequential({ inputSize: WIDTH, seed, engine, layers: [dense(32, { activation: 'relu' }), dense(16, { activation: 'relu' }), dense(CLASSES, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
  return m;
}

function paramsOf(m: ReturnType<typeof model>): Float32Array {
  const parts = m.getWeights().map((w) => w.data);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe.each(engineNames())('%s engine', (engine) => {
  const train = blobs(600, WIDTH, CLASSES, 1);
  const test = blobs(300, WIDTH, CLASSES, 2);

  it('learns a separable problem to ≥ 90% held-out accuracy', async () => {
    const m = model(engine);
    const history = await m.fit(train.x, train.y, { epochs: 15, batchSize: 32, validationData: [test.x, test.y] });
    expect(history.epochs).toHaveLength(15);
    expect(history.epochs[14].loss).toBeLessThan(history.epochs[0].loss);
    const scores = await m.evaluate(test.x, test.y);
    expect(scores.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(history.epochs[14].valAccuracy).toBeCloseTo(scores.accuracy, 10);
    m.dispose();
  });

  it('trains the same with one-hot targets as with class indices', async () => {
    const a = model(engine);
    const b = model(engine);
    const ha = await a.fit(train.x, train.y, { epochs: 2, batchSize: 50 });
    const hb = await b.fit(train.x, oneHot(train.y, CLASSES), { epochs: 2, batchSize: 50 });
    expect(hb.epochs[1].loss).toBeCloseTo(ha.epochs[1].loss, 5);
    expect(hb.epochs[1].accuracy).toBe(ha.epochs[1].accuracy);
  });

  it('gives bit-identical losses and weights for the same seed', async () => {
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const m = model(engine);
      const h = await m.fit(train.x, train.y, { epochs: 3, batchSize: 17 });
      runs.push({ losses: h.epochs.map((e) => e.loss), params: paramsOf(m) });
    }
    expect(runs[1].losses).toEqual(runs[0].losses);
    expect(Buffer.from(runs[1].params.buffer).equals(Buffer.from(runs[0].params.buffer))).toBe(true);
  });

  it('different seeds give different initial weights', () => {
    expect(paramsOf(model(engine, adam(), 1))).not.toEqual(paramsOf(model(engine, adam(), 2)));
  });

  it('predict returns n × outputs probabilities that sum to 1', async () => {
    const m = model(engine);
    const p = await m.predict(test.x);
    expect(p).toBeInstanceOf(Float32Array);
    expect(p.length).toBe(300 * CLASSES);
    for (let r = 0; r < 300; r++) {
      let s = 0;
      for (let j = 0; j < CLASSES; j++) s += p[r * CLASSES + j];
      expect(s).toBeCloseTo(1, 5);
    }
    expect(Array.from(m.predictSync(test.x.subarray(0, 2 * WIDTH)))).toEqual(Array.from(p.subarray(0, 2 * CLASSES)));
  });

  // 64-128-10: 9,472 multiply-adds per row, so 4 rows run inline and 1,000 rows off the JS thread.
  const wide = () => sequential({ inputSize: 64, seed: 5, engine, layers: [dense(128, { activation: 'relu' }), dense(10, { activation: 'softmax' })] });
  const rowsOf = (n: number) => Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37));

  it('await predict gives predictSync\'s bits, for a few rows and for many', async () => {
    const m = wide();
    for (const n of [1, 4, 1000]) {
      const x = rowsOf(n);
      expect(Buffer.from((await m.predict(x)).buffer).equals(Buffer.from(m.predictSync(x).buffer))).toBe(true);
    }
  });

  it.runIf(engine === 'native')('await predict of a few rows runs on the calling thread: out is filled when the call returns', async () => {
    const m = wide();
    const x = rowsOf(4);
    const out = new Float32Array(4 * 10);
    const pending = m.predict(x, { out });
    expect(Array.from(out)).toEqual(Array.from(m.predictSync(x)));
    expect(await pending).toBe(out);
  });

  it('accepts number[][] inputs and number[] labels like typed arrays', async () => {
    const m = model(engine);
    const rows = Array.from({ length: 10 }, (_, r) => Array.from(train.x.subarray(r * WIDTH, (r + 1) * WIDTH)));
    const p1 = await m.predict(rows);
    const p2 = await m.predict(train.x.subarray(0, 10 * WIDTH));
    expect(p1).toEqual(p2);
    const s1 = await m.evaluate(rows, Array.from(train.y.subarray(0, 10)));
    const s2 = await m.evaluate(train.x.subarray(0, 10 * WIDTH), train.y.subarray(0, 10));
    expect(s1).toEqual(s2);
  });

  it('one SGD step is θ₁ = θ₀ − lr·g', async () => {
    const m = model(engine, sgd({ lr: 0.1 }));
    const before = paramsOf(m);
    await m.fit(train.x.subarray(0, 8 * WIDTH), train.y.subarray(0, 8), { epochs: 1, batchSize: 8, shuffle: false });
    const after = paramsOf(m);
    // The gradient of that batch, from the float64 reference plan of the TS engine, same weights.
    const { JsPlan } = await import('../../lib/engine/js/plan.js');
    const spec = planSpec(WIDTH, mlpLayers([WIDTH, 32, 16, CLASSES]), { maxBatch: 8 });
    const arenas = { params: Float64Array.from(before), grads: new Float64Array(before.length), state: new Float64Array(0) };
    new JsPlan(spec, arenas, Float64Array).lossAndGrad(Float64Array.from(train.x.subarray(0, 8 * WIDTH)), train.y.subarray(0, 8), Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    for (let i = 0; i < before.length; i++) {
      expect(Math.abs(after[i] - (before[i] - 0.1 * arenas.grads[i]))).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(before[i]));
    }
  });

  it("Adam's first step moves each parameter with a sizeable gradient by lr·sign(g)", async () => {
    const m = model(engine, adam({ lr: 0.001 }));
    const before = paramsOf(m);
    await m.fit(train.x.subarray(0, 8 * WIDTH), train.y.subarray(0, 8), { epochs: 1, batchSize: 8, shuffle: false });
    const after = paramsOf(m);
    let moved = 0;
    for (let i = 0; i < before.length; i++) {
      const delta = Math.abs(after[i] - before[i]);
      // |Δ| = lr·|g|/(|g| + eps): lr when |g| ≫ eps, 0 when g = 0 (dead ReLU rows).
      expect(delta).toBeLessThanOrEqual(0.001 * (1 + 1e-5) + 1e-7);
      if (delta > 0.001 * (1 - 1e-3)) moved++;
    }
    expect(moved).toBeGreaterThan(before.length / 2);
  });

  it('SGD momentum and Nesterov train and stay deterministic', async () => {
    for (const opt of [sgd({ lr: 0.05, momentum: 0.9 }), sgd({ lr: 0.05, momentum: 0.9, nesterov: true }), sgd({ lr: 0.05, momentum: 0.5, dampening: 0.5, weightDecay: 1e-4 })]) {
      const m = model(engine, opt);
      const h = await m.fit(train.x, train.y, { epochs: 4, batchSize: 32 });
      expect(h.epochs[3].loss).toBeLessThan(h.epochs[0].loss);
    }
  });

  it('a loss that stops being finite rejects with NonFiniteLossError and keeps the last finite weights', async () => {
    const m = model(engine, sgd({ lr: 1e30 }));
    const err = await m.fit(train.x, train.y, { epochs: 2, batchSize: 32 }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err).toBeInstanceOf(DivergenceError);
    expect(err.code).toBe('ERR_DOWNHILL_NON_FINITE_LOSS');
    expect(err.message).toMatch(/epoch 1, step \d+/);
    expect(paramsOf(m).every((v) => Number.isFinite(v))).toBe(true);
  });

  it('an AbortSignal stops fit between batches with an AbortError; the model stays usable', async () => {
    const m = model(engine);
    const controller = new AbortController();
    const big = blobs(4000, WIDTH, CLASSES, 5);
    const pending = m.fit(big.x, big.y, {
      epochs: 50,
      batchSize: 8,
      callbacks: [{ onProgress: () => controller.abort() }],
      signal: controller.signal,
    });
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    const h = await m.fit(train.x, train.y, { epochs: 1, batchSize: 32 });
    expect(Number.isFinite(h.epochs[0].loss)).toBe(true);
  });

  it('progressEvery: N reports progress at least every N batches without changing the result', async () => {
    const a = model(engine);
    const b = model(engine);
    let reports = 0;
    const ha = await a.fit(train.x, train.y, { epochs: 2, batchSize: 8 });
    const hb = await b.fit(train.x, train.y, { epochs: 2, batchSize: 8, progressEvery: 5, callbacks: [{ onProgress: () => void reports++ }] });
    expect(reports).toBe(2 * Math.ceil(75 / 5));
    expect(hb.epochs.map((e) => e.loss)).toEqual(ha.epochs.map((e) => e.loss));
    expect(paramsOf(b)).toEqual(paramsOf(a));
    await expect(b.fit(train.x, train.y, { progressEvery: 0 })).rejects.toThrow(/^fit\(options.progressEvery\): expected an integer ≥ 1, received 0$/);
  });

  it('aborting at random moments always rejects promptly with AbortError and leaves a usable model', async () => {
    const big = blobs(4000, WIDTH, CLASSES, 9);
    for (let trial = 0; trial < 8; trial++) {
      const m = model(engine);
      const controller = new AbortController();
      // Far more epochs than any delay covers: the abort always lands mid-fit.
      const pending = m.fit(big.x, big.y, { epochs: 1e6, batchSize: 16, progressEvery: 4, signal: controller.signal });
      await new Promise((r) => setTimeout(r, (trial * 37) % 120));
      const aborted = performance.now();
      controller.abort();
      const err = await pending.then((h) => h, (e) => e);
      expect(err, `trial ${trial}`).toBeInstanceOf(AbortError);
      expect(performance.now() - aborted).toBeLessThan(1000);
      expect(paramsOf(m).every(Number.isFinite)).toBe(true);
      expect((await m.fit(train.x, train.y, { epochs: 1 })).epochs).toHaveLength(1);
    }
  });

  it('an already-aborted signal rejects at once and trains nothing', async () => {
    const m = model(engine);
    const before = paramsOf(m);
    await expect(m.fit(train.x, train.y, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(paramsOf(m)).toEqual(before);
  });

  it('a fit after the caller rewrote x in place trains on the new values', async () => {
    // The native engine trains on a copy of x that back-to-back fits reuse; data in a
    // SharedArrayBuffer is read in place, so it is the uncopied reference here.
    const a = blobs(300, WIDTH, CLASSES, 21);
    const b = blobs(300, WIDTH, CLASSES, 22);
    const shared = (v: Float32Array) => {
      const s = new Float32Array(new SharedArrayBuffer(v.byteLength));
      s.set(v);
      return s;
    };
    const reused = model(engine);
    const x = a.x.slice();
    await reused.fit(x, a.y, { epochs: 1, batchSize: 16 });
    x.set(b.x);
    await reused.fit(x, b.y, { epochs: 1, batchSize: 16 });
    const reference = model(engine);
    await reference.fit(shared(a.x), a.y, { epochs: 1, batchSize: 16 });
    await reference.fit(shared(b.x), b.y, { epochs: 1, batchSize: 16 });
    expect(paramsOf(reused)).toEqual(paramsOf(reference));
  });

  it('a second fit while one runs rejects with ERR_DOWNHILL_PLAN_BUSY; predict too', async () => {
    const m = model(engine);
    const big = blobs(4000, WIDTH, CLASSES, 8);
    const first = m.fit(big.x, big.y, { epochs: 3, batchSize: 4 });
    await expect(m.fit(train.x, train.y)).rejects.toMatchObject({ code: 'ERR_DOWNHILL_PLAN_BUSY' });
    await expect(m.predict(train.x)).rejects.toMatchObject({ code: 'ERR_DOWNHILL_PLAN_BUSY' });
    await first;
    await expect(m.predict(train.x)).resolves.toBeInstanceOf(Float32Array);
  });

  it('a callback that throws rejects fit with that error; the next fit works', async () => {
    const m = model(engine);
    const boom = new Error('boom');
    await expect(m.fit(train.x, train.y, { onEpochEnd: () => { throw boom; } })).rejects.toBe(boom);
    await expect(m.fit(train.x, train.y)).resolves.toBeTruthy();
  });

  it('use after dispose throws ERR_DOWNHILL_DISPOSED', async () => {
    const m = model(engine);
    m.dispose();
    await expect(m.predict(train.x)).rejects.toBeInstanceOf(DownhillError);
    await expect(m.fit(train.x, train.y)).rejects.toMatchObject({ code: 'ERR_DOWNHILL_DISPOSED' });
  });

  it('the event loop keeps turning while fit runs', async () => {
    const m = model(engine);
    const big = blobs(3000, WIDTH, CLASSES, 6);
    let ticks = 0;
    let last = performance.now();
    let worstGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 2);
    const started = performance.now();
    await m.fit(big.x, big.y, { epochs: 8, batchSize: 4 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(elapsed / 50);
    expect(worstGap).toBeLessThan(250);
  });

  it('outputs that overflow float32 are an error, not NaN predictions', async () => {
    const m = sequential({ inputSize: 2, seed: 1, engine, layers: [dense(3)] });
    // Every weight 1: each output is 3e38 + 3e38, beyond float32 in any summation order.
    m.setWeights(m.getWeights().map((w) => ({ ...w, data: w.data.map(() => 1) })));
    const huge = Float32Array.of(3e38, 3e38, 3e38, 3e38);
    const err = await m.predict(huge).then(() => undefined, (e) => e);
    expect(err).toMatchObject({ code: 'ERR_DOWNHILL_NON_FINITE_OUTPUT' });
    expect(err.message).toMatch(/^predict: the output of row 0 is -?Infinity: the network overflowed float32/);
    expect(() => m.predictSync(huge)).toThrow(/^predictSync: the output of row 0/);
  });

  it('setWeights(getWeights()) round-trips and changes predictions', async () => {
    const a = model(engine, adam(), 1);
    const b = model(engine, adam(), 2);
    const pa = await a.predict(test.x);
    b.setWeights(a.getWeights());
    expect(await b.predict(test.x)).toEqual(pa);
  });
});
