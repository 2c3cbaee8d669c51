// A hybrid run: Adam on mini-batches first, then L-BFGS on the full batch polishes the same
// weights (recompiling keeps them). Prints the loss after each phase as JSON.
// Run: node examples/hybrid.mjs   (DOWNHILL_ENGINE=js for the pure-TS engine)
import { adam, dense, lbfgs, sequential } from 'downhill';

/** Friedman #1 regression data (Friedman 1991), seeded. */
function friedman1(n, seed) {
  let s = seed >>> 0;
  const r = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * 10);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 10; j++) x[i * 10 + j] = r();
    const v = x.subarray(i * 10, i * 10 + 10);
    y[i] = 10 * Math.sin(Math.PI * v[0] * v[1]) + 20 * (v[2] - 0.5) ** 2 + 10 * v[3] + 5 * v[4];
  }
  return { x, y };
}

const { x, y } = friedman1(2000, 3);
const model = sequential({ inputSize: 10, seed: 1, layers: [dense(32, { activation: 'tanh' }), dense(32, { activation: 'tanh' }), dense(1)] });

model.compile({ loss: 'mse', optimizer: adam({ lr: 0.01 }) });
await model.fit(x, y, { epochs: 20, batchSize: 64 });
const afterAdam = (await model.evaluate(x, y)).loss;

// Same weights, now full-batch L-BFGS: each epoch is one step of up to 20 iterations.
model.compile({ loss: 'mse', optimizer: lbfgs({ lineSearch: 'strongWolfe', historySize: 20 }) });
const history = await model.fit(x, y, { epochs: 10 });
const afterLbfgs = (await model.evaluate(x, y)).loss;

console.log(JSON.stringify({ afterAdam, afterLbfgs, lbfgsIterations: history.epochs.reduce((s, e) => s + e.iterations, 0) }));
