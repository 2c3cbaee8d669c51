// Trains one network of each kind and prints its test score as JSON:
// regression (linear + mse), binary (sigmoid + binary cross-entropy) and multi-class on the
// bundled MNIST digits (batchNorm + dropout + softmax + categorical cross-entropy).
// Run: node examples/networks.mjs   (DOWNHILL_ENGINE=js for the pure-TS engine)
import { activation, adam, batchNorm, dense, dropout, loadMnist, losses, sequential, splitData } from 'downhill';

/** A seeded uniform [0, 1) generator (mulberry32), so the data is the same every run. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function regressionData(n, r) {
  const x = new Float32Array(n * 3);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[i * 3 + j] = 4 * r() - 2;
    y[i] = Math.sin(x[i * 3]) + (x[i * 3 + 1] * x[i * 3 + 2]) / 2;
  }
  return { x, y };
}

function binaryData(n, r) {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 2] = 2 * r() - 1;
    x[i * 2 + 1] = 2 * r() - 1;
    y[i] = x[i * 2] ** 2 + x[i * 2 + 1] > 0.5 ? 1 : 0;
  }
  return { x, y };
}

const r = random(7);
const results = {};

// Regression: linear output + mean squared error.
{
  const train = regressionData(1000, r);
  const test = regressionData(300, r);
  const model = sequential({ inputSize: 3, seed: 1, layers: [dense(32, { activation: 'tanh' }), dense(32, { activation: 'gelu' }), dense(1)] });
  model.compile({ loss: 'mse', optimizer: adam({ lr: 0.01 }) });
  await model.fit(train.x, train.y, { epochs: 60, batchSize: 32 });
  const mean = test.y.reduce((a, b) => a + b, 0) / test.y.length;
  const variance = test.y.reduce((a, b) => a + (b - mean) ** 2, 0) / test.y.length;
  const { loss } = await model.evaluate(test.x, test.y);
  results.regression = { testMse: loss, r2: 1 - loss / variance };
}

// Binary classification: sigmoid output + binary cross-entropy, class 1 weighted twice.
{
  const train = binaryData(1000, r);
  const test = binaryData(300, r);
  const model = sequential({ inputSize: 2, seed: 1, layers: [dense(32, { activation: 'relu' }), dense(16, { activation: 'silu' }), dense(1, { activation: 'sigmoid' })] });
  model.compile({ loss: 'binaryCrossentropy', optimizer: adam({ lr: 0.01 }), metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs: 60, batchSize: 32, classWeight: { 0: 1, 1: 2 } });
  results.binary = await model.evaluate(test.x, test.y);
}

// Multi-class with batchNorm and dropout on the bundled MNIST digits.
{
  const split = splitData(loadMnist(), 784, 42);
  const model = sequential({
    inputSize: 784, seed: 1,
    layers: [dense(256), batchNorm(), activation('relu'), dropout(0.2), dense(128, { activation: 'relu' }), dropout(0.2), dense(10, { activation: 'softmax' })],
  });
  model.compile({ loss: losses.categoricalCrossentropy({ labelSmoothing: 0.1 }), optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  await model.fit(split.train.x, split.train.y, { epochs: 5, batchSize: 64 });
  results.multiClass = await model.evaluate(split.test.x, split.test.y);
  results.summary = model.summary();
}

console.log(JSON.stringify(results));
