// The catalog through the public API, per engine: each kind of network learns, weights and
// freezing behave as documented, and misuse is refused before training starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activation, adam, batchNorm, dense, dropout, l2, layerNorm, loadModel, losses, sequential, sgd } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';
import { rng } from '../helpers/rng.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-catalog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** y = sin(x₀) + x₁·x₂ / 2 + noise-free: a smooth regression target. */
function regressionData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * 3);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[i * 3 + j] = 4 * r() - 2;
    y[i] = Math.sin(x[i * 3]) + (x[i * 3 + 1] * x[i * 3 + 2]) / 2;
  }
  return { x, y };
}

/** Two interleaved half-moons-like classes: label = [x₀² + x₁ > 0.5]. */
function binaryData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 2] = 2 * r() - 1;
    x[i * 2 + 1] = 2 * r() - 1;
    y[i] = x[i * 2] ** 2 + x[i * 2 + 1] > 0.5 ? 1 : 0;
  }
  return { x, y };
}

function variance(v: Float32Array): number {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
}

describe.each(engineNames())('%s engine: networks of each kind', (engine) => {
  it('regression (tanh/gelu hidden layers, linear output, mse) explains > 90% of the variance', async () => {
    const { x, y } = regressionData(800, 1);
    const model = sequential({ inputSize: 3, seed: 3, engine, layers: [dense(32, { activation: 'tanh' }), dense(32, { activation: 'gelu' }), dense(1)] });
    model.compile({ loss: 'mse', optimizer: adam({ lr: 0.01 }) });
    await model.fit(x, y, { epochs: 60, batchSize: 32 });
    const { loss } = await model.evaluate(x, y);
    expect(loss / variance(y)).toBeLessThan(0.1);
  });

  it('binary classification (sigmoid + binaryCrossentropy) reaches 95% accuracy', async () => {
    const { x, y } = binaryData(600, 2);
    const model = sequential({ inputSize: 2, seed: 5, engine, layers: [dense(32, { activation: 'relu' }), dense(16, { activation: 'silu' }), dense(1, { activation: 'sigmoid' })] });
    model.compile({ loss: 'binaryCrossentropy', optimizer: adam({ lr: 0.01 }), metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 60, batchSize: 32 });
    expect((await model.evaluate(x, y)).accuracy).toBeGreaterThan(0.95);
  });

  it('binary classification from logits (linear output, fromLogits) learns the same problem', async () => {
    const { x, y } = binaryData(600, 2);
    const model = sequential({ inputSize: 2, seed: 5, engine, layers: [dense(32, { activation: 'relu' }), dense(1)] });
    model.compile({ loss: losses.binaryCrossentropy({ fromLogits: true }), optimizer: adam({ lr: 0.01 }) });
    await model.fit(x, y, { epochs: 60, batchSize: 32 });
    expect((await model.evaluate(x, y)).accuracy).toBeGreaterThan(0.93);
  });

  it('multi-class with dropout and batchNorm reaches 95% on separable blobs, and predict is deterministic', async () => {
    const data = blobs(600, 10, 4, 3);
    const model = sequential({
      inputSize: 10, seed: 8, engine,
      layers: [dense(32), batchNorm(), activation('relu'), dropout(0.2), dense(16, { activation: 'relu' }), layerNorm(), dense(4, { activation: 'softmax' })],
    });
    model.compile({ loss: losses.categoricalCrossentropy({ labelSmoothing: 0.05 }), optimizer: adam({ lr: 0.01 }), metrics: ['accuracy'] });
    await model.fit(data.x, data.y, { epochs: 20, batchSize: 32 });
    expect((await model.evaluate(data.x, data.y)).accuracy).toBeGreaterThan(0.95);
    expect(await model.predict(data.x)).toEqual(await model.predict(data.x));
  });

  it('a frozen layer keeps its weights through fit while the others change', async () => {
    const data = blobs(200, 6, 3, 4);
    const model = sequential({ inputSize: 6, seed: 2, engine, layers: [dense(8, { activation: 'relu', trainable: false, name: 'base' }), dense(3, { activation: 'softmax', name: 'head' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.05, weightDecay: 0.1 }) });
    const before = model.getWeights();
    await model.fit(data.x, data.y, { epochs: 3, batchSize: 16 });
    const after = model.getWeights();
    expect(after[0].data).toEqual(before[0].data);
    expect(after[1].data).toEqual(before[1].data);
    expect(after[2].data).not.toEqual(before[2].data);
  });

  it('L2 on the kernel adds l2·Σw² to the reported loss', async () => {
    const data = blobs(64, 4, 2, 5);
    const plain = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(2, { activation: 'softmax' })] });
    const reg = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(2, { activation: 'softmax', kernelRegularizer: l2(0.5) })] });
    for (const m of [plain, reg]) m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1 }) });
    const kernel = plain.getWeights()[0].data;
    const penalty = 0.5 * kernel.reduce((s, w) => s + w * w, 0);
    const a = await plain.evaluate(data.x, data.y);
    const b = await reg.evaluate(data.x, data.y);
    expect(b.loss - a.loss).toBeCloseTo(penalty, 5);
  });

  it('classWeight counts a class as many times as its weight', async () => {
    const data = blobs(60, 4, 2, 6);
    const model = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(2, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1 }) });
    const w = Float32Array.from(data.y, (c) => (c === 1 ? 3 : 1));
    const weighted = await model.evaluate(data.x, data.y, { sampleWeight: w });
    // The same loss by repeating class-1 rows three times.
    const rows: number[] = [];
    data.y.forEach((c, i) => {
      for (let k = 0; k < (c === 1 ? 3 : 1); k++) rows.push(i);
    });
    const x = new Float32Array(rows.length * 4);
    rows.forEach((r, i) => x.set(data.x.subarray(r * 4, r * 4 + 4), i * 4));
    const repeated = await model.evaluate(x, Int32Array.from(rows, (r) => data.y[r]));
    expect(weighted.loss).toBeCloseTo(repeated.loss, 5);
  });

  it('a model with every kind of layer saves and loads with identical predictions and summary', async () => {
    const data = blobs(64, 5, 3, 7);
    const model = sequential({
      inputSize: 5, seed: 4, engine,
      layers: [dense(8, { activation: 'leakyRelu', alpha: 0.2, kernelRegularizer: l2(0.01) }), batchNorm(), dropout(0.1), activation('mish'), layerNorm(), dense(3, { activation: 'softmax', useBias: false })],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    await model.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
    const dir = join(root, `all-${engine}`);
    await model.save(dir);
    const again = await loadModel(dir, { engine });
    expect(await again.predict(data.x)).toEqual(await model.predict(data.x));
    expect(again.summary()).toBe(model.summary());
  });
});

describe.each(engineNames())('%s engine: misuse is refused before training', (engine) => {
  it('batchNorm with a batch size that leaves a 1-row batch is a RangeError', async () => {
    const data = blobs(33, 4, 2, 1);
    const model = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(4), batchNorm(), dense(2, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1 }) });
    await expect(model.fit(data.x, data.y, { batchSize: 16 })).rejects.toThrow(/fit\(options.batchSize\): expected a batch size that leaves no batch of 1 row \(batchNorm needs ≥ 2 rows per training batch\), received 16 for 33 rows/);
    await expect(model.fit(data.x, data.y, { batchSize: 1 })).rejects.toThrow(RangeError);
  });

  it('fromLogits with a softmax output is a RangeError', () => {
    const model = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(2, { activation: 'softmax' })] });
    expect(() => model.compile({ loss: losses.categoricalCrossentropy({ fromLogits: true }), optimizer: sgd({ lr: 0.1 }) })).toThrow(/fromLogits expects raw scores, received a network whose last layer applies 'softmax'/);
  });

  it('categoricalCrossentropy on one output is a RangeError pointing to binaryCrossentropy', () => {
    const model = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(1, { activation: 'sigmoid' })] });
    expect(() => model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1 }) })).toThrow(/≥ 2 outputs.*binaryCrossentropy/);
  });

  it('labels outside the loss range are a RangeError from fit', async () => {
    const model = sequential({ inputSize: 2, seed: 1, engine, layers: [dense(1, { activation: 'sigmoid' })] });
    model.compile({ loss: 'binaryCrossentropy', optimizer: sgd({ lr: 0.1 }) });
    await expect(model.fit(new Float32Array(4), [0, 3])).rejects.toThrow(/fit\(y\): expected a target in \[0, 1\] for the 'binaryCrossentropy' loss, received 3 at row 1/);
  });
});

describe('summary', () => {
  it("the seed network's table (Table 7): 242,762 parameters", () => {
    const model = sequential({
      inputSize: 784, seed: 1, engine: 'js',
      layers: [dense(256, { activation: 'relu' }), dense(128, { activation: 'relu' }), dense(64, { activation: 'relu' }), dense(10, { activation: 'softmax' })],
    });
    const text = model.summary();
    expect(text).toMatch(/dense_1 \(dense, relu\)\s+\[n, 256\]\s+200,960/);
    expect(text).toMatch(/dense_4 \(dense, softmax\)\s+\[n, 10\]\s+650/);
    expect(text).toMatch(/total params: 242,762/);
    expect(text).toMatch(/non-trainable params: 0/);
  });

  it('counts frozen layers and batchNorm statistics as non-trainable', () => {
    const model = sequential({ inputSize: 4, seed: 1, engine: 'js', layers: [dense(3, { trainable: false }), batchNorm(), dropout(0.5), dense(2)] });
    const text = model.summary();
    expect(text).toMatch(/total params: 35/);
    expect(text).toMatch(/trainable params: 14/);
    expect(text).toMatch(/non-trainable params: 21/);
    expect(text).toMatch(/dropout_3 \(dropout\)\s+\[n, 3\]\s+0/);
  });
});

describe.each(engineNames())('%s engine: class metrics of a one-output binary model', (engine) => {
  it('precision, recall and F1 treat the output as the probability of class 1', async () => {
    const model = sequential({ inputSize: 1, seed: 1, engine, layers: [dense(1, { activation: 'sigmoid', kernelInitializer: 'ones' })] });
    model.compile({ loss: 'binaryCrossentropy', optimizer: sgd({ lr: 0.1 }), metrics: ['accuracy', { name: 'precision', average: 'binary', key: 'precision' }, { name: 'recall', average: 'binary', key: 'recall' }] });
    // sigmoid(x) > 0.5 ⟺ x > 0: predictions 1, 1, 0, 0 against truth 1, 0, 1, 0.
    const scores = await model.evaluate(Float32Array.from([2, 1, -1, -2]), Float32Array.from([1, 0, 1, 0]));
    expect(scores.accuracy).toBe(0.5);
    expect(scores.precision).toBeCloseTo(0.5, 10);
    expect(scores.recall).toBeCloseTo(0.5, 10);
  });
});
