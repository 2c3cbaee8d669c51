// Save and load per engine: round trips, exact resume in a new process, cross-engine loading.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { adam, dense, loadModel, sequential, sgd, type Optimizer } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'downhill-ckpt-'));
let counter = 0;
const freshDir = () => join(root, `m${counter++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = blobs(400, 10, 3, 1);

function make(engine: 'native' | 'js', optimizer: Optimizer = adam({ lr: 0.01 })) {
  const m = sequential({ inputSize: 10, seed: 9, engine, layers: [dense(12, { activation: 'relu', name: 'hidden' }), dense(3, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
  return m;
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe.each(engineNames())('%s engine checkpoints', (engine) => {
  for (const [name, opt] of [['adam', () => adam({ lr: 0.01 })], ['sgd + momentum', () => sgd({ lr: 0.05, momentum: 0.9 })], ['plain sgd', () => sgd({ lr: 0.05 })]] as const) {
    it(`${name}: save → load restores weights, optimizer state and counters; training continues identically`, async () => {
      const dir = freshDir();
      const a = make(engine, opt());
      await a.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
      await a.save(dir);
      const b = await loadModel(dir, { engine });
      expect(b.getWeights().map((w) => [w.name, w.shape, bits(w.data)])).toEqual(a.getWeights().map((w) => [w.name, w.shape, bits(w.data)]));
      expect(bits(await b.predict(data.x))).toBe(bits(await a.predict(data.x)));
      const ha = await a.fit(data.x, data.y, { epochs: 1, batchSize: 16 });
      const hb = await b.fit(data.x, data.y, { epochs: 1, batchSize: 16 });
      expect(hb.epochs[0].epoch).toBe(3);
      expect(hb.epochs[0].loss).toBe(ha.epochs[0].loss);
      expect(b.getWeights().map((w) => bits(w.data))).toEqual(a.getWeights().map((w) => bits(w.data)));
    });
  }

  it('an uncompiled model round-trips its weights and can be compiled after loading', async () => {
    const dir = freshDir();
    const a = sequential({ inputSize: 4, seed: 2, engine, layers: [dense(3, { activation: 'softmax' })] });
    await a.save(dir);
    const b = await loadModel(dir, { engine });
    expect(b.getWeights()).toEqual(a.getWeights());
    b.compile({ loss: 'categoricalCrossentropy', optimizer: adam() });
  });

  it('resuming in a new process equals training uninterrupted, bit for bit', async () => {
    const whole = freshDir();
    const parts = freshDir();
    const once = JSON.parse((await run(process.execPath, [fixture('resume.mjs'), 'train', engine, whole, '3'])).stdout);
    await run(process.execPath, [fixture('resume.mjs'), 'train', engine, parts, '2']);
    const resumed = JSON.parse((await run(process.execPath, [fixture('resume.mjs'), 'resume', engine, parts, '1'])).stdout);
    expect(resumed.losses[0]).toBe(once.losses[2]);
    expect(resumed.hash).toBe(once.hash);
  });

  it('a model saved by this engine loads in the other one with predictions within 1e-5', async () => {
    const dir = freshDir();
    const a = make(engine);
    await a.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
    await a.save(dir);
    const other = engine === 'native' ? 'js' : engineNames().includes('native') ? 'native' : 'js';
    const b = await loadModel(dir, { engine: other });
    const pa = await a.predict(data.x);
    const pb = await b.predict(data.x);
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThanOrEqual(1e-5);
  });
});


describe.each(engineNames())('%s engine: models with input preprocessing', (engine) => {
  it('apply it in predict and fit, and keep it through save/load and ONNX', async () => {
    const { standardize } = await import('../../lib/index.js');
    const raw = data.x.map((v, i) => v * 50 + (i % 10) * 100);
    const pre = standardize(raw, 10);
    const withPre = sequential({ inputSize: 10, seed: 9, engine, preprocess: pre, layers: [dense(12, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    const plain = sequential({ inputSize: 10, seed: 9, engine, layers: [dense(12, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    expect(bits(await withPre.predict(raw))).toBe(bits(await plain.predict(pre.apply(raw))));
    withPre.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    const h = await withPre.fit(raw, data.y, { epochs: 5, batchSize: 16, validationData: [raw, data.y] });
    expect(h.epochs[4].valAccuracy).toBeGreaterThan(0.7);
    const dir = freshDir();
    await withPre.save(dir);
    const loaded = await loadModel(dir, { engine });
    expect(loaded.preprocess?.kind).toBe('standardize');
    expect(bits(await loaded.predict(raw))).toBe(bits(await withPre.predict(raw)));
    expect((await loaded.evaluate(raw, data.y)).accuracy).toBe((await withPre.evaluate(raw, data.y)).accuracy);
    const ort = (await import('node:module')).createRequire(import.meta.url)('onnxruntime-node');
    const session = await ort.InferenceSession.create(withPre.toOnnx());
    const out = (await session.run({ input: new ort.Tensor('float32', raw, [400, 10]) })).output.data as Float32Array;
    const expected = await withPre.predict(raw);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(out[i] - expected[i])).toBeLessThanOrEqual(1e-5);
  });

  it('a preprocessing step fitted on another width is a ShapeError', async () => {
    const { standardize } = await import('../../lib/index.js');
    expect(() => sequential({ inputSize: 10, engine, preprocess: standardize(new Float32Array(8), 4), layers: [dense(2)] })).toThrow(/sequential\(options.preprocess\): expected a step fitted on 10 features, received one fitted on 4/);
  });
});

describe.each(engineNames())('%s engine: every optimizer and schedule survives save/load', (engine) => {
  const all = async () => {
    const lib = await import('../../lib/index.js');
    return [
      ['sgd nesterov', () => lib.sgd({ lr: 0.05, momentum: 0.9, nesterov: true })],
      ['adam amsgrad', () => lib.adam({ lr: 0.01, amsgrad: true } as never)],
      ['adamw', () => lib.adamw({ lr: 0.01 })],
      ['adagrad', () => lib.adagrad({ lr: 0.05 })],
      ['adadelta', () => lib.adadelta({ lr: 1 })],
      ['rmsprop centered + momentum', () => lib.rmsprop({ lr: 0.005, centered: true, momentum: 0.5 } as never)],
      ['adamax', () => lib.adamax({ lr: 0.01 })],
      ['nadam', () => lib.nadam({ lr: 0.01 })],
      ['radam', () => lib.radam({ lr: 0.01 })],
      ['lion', () => lib.lion({ lr: 0.001 })],
    ] as [string, () => Optimizer][];
  };

  it('each optimizer: saved after 2 epochs, loaded, 1 more epoch = 3 epochs uninterrupted, bit for bit', async () => {
    for (const [name, make] of await all()) {
      const dir = freshDir();
      const whole = makeWith(engine, make());
      await whole.fit(data.x, data.y, { epochs: 3, batchSize: 16 });
      const part = makeWith(engine, make());
      await part.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
      await part.save(dir);
      const resumed = await loadModel(dir, { engine });
      await resumed.fit(data.x, data.y, { epochs: 1, batchSize: 16 });
      expect(resumed.getWeights().map((w) => bits(w.data)), name).toEqual(whole.getWeights().map((w) => bits(w.data)));
    }
  });

  it('a reduceLrOnPlateau schedule continues from its saved position', async () => {
    const { schedules } = await import('../../lib/index.js');
    const plateau = () => schedules.reduceLrOnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, threshold: 10 } as never);
    const whole = makeWith(engine, adam({ lr: 0.01 }));
    const hw = await whole.fit(data.x, data.y, { epochs: 5, batchSize: 16, schedule: plateau() as never });
    const dir = freshDir();
    const part = makeWith(engine, adam({ lr: 0.01 }));
    await part.fit(data.x, data.y, { epochs: 3, batchSize: 16, schedule: plateau() as never });
    await part.save(dir);
    const resumed = await loadModel(dir, { engine });
    const hr = await resumed.fit(data.x, data.y, { epochs: 2, batchSize: 16, schedule: plateau() as never });
    expect(hr.epochs.map((e) => e.lr)).toEqual(hw.epochs.slice(3).map((e) => e.lr));
    expect(hw.epochs[4].lr).toBeLessThan(0.01);
    expect(resumed.getWeights().map((w) => bits(w.data))).toEqual(whole.getWeights().map((w) => bits(w.data)));
  });
});

function makeWith(engine: 'native' | 'js', optimizer: Optimizer) {
  const m = sequential({ inputSize: 10, seed: 9, engine, layers: [dense(12, { activation: 'relu', name: 'hidden' }), dense(3, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer });
  return m;
}
