// The native and pure-TS engines agree from the same initial weights and batches.
import { describe, expect, it } from 'vitest';
import { adam, dense, sequential, sgd, type Optimizer } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

const both = engineNames().includes('native');

describe.runIf(both)('native vs pure-TS engine', () => {
  const data = blobs(1600, 30, 5, 3);

  async function losses(engine: 'native' | 'js', optimizer: Optimizer) {
    const m = sequential({ inputSize: 30, seed: 5, engine, layers: [dense(40, { activation: 'relu' }), dense(24, { activation: 'relu' }), dense(5, { activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer });
    const perStep: number[] = [];
    // batch 8 over 1600 rows: 200 steps, recorded one step per epoch of 8 rows.
    for (let s = 0; s < 200; s++) {
      const h = await m.fit(data.x.subarray(s * 8 * 30, (s + 1) * 8 * 30), data.y.subarray(s * 8, (s + 1) * 8), { epochs: 1, batchSize: 8, shuffle: false });
      perStep.push(h.epochs[0].loss);
    }
    const predictions = await m.predict(data.x.subarray(0, 100 * 30));
    m.dispose();
    return { perStep, predictions };
  }

  for (const [name, make] of [['Adam', () => adam({ lr: 3e-3 })], ['SGD + momentum', () => sgd({ lr: 0.05, momentum: 0.9 })]] as const) {
    it(`${name}: 200 steps, per-step loss within rel 1e-4 and predictions within 1e-4`, async () => {
      const a = await losses('native', make());
      const b = await losses('js', make());
      for (let s = 0; s < 200; s++) {
        expect(Math.abs(a.perStep[s] - b.perStep[s]) / Math.abs(b.perStep[s])).toBeLessThanOrEqual(1e-4);
      }
      let worst = 0;
      for (let i = 0; i < a.predictions.length; i++) worst = Math.max(worst, Math.abs(a.predictions[i] - b.predictions[i]));
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }
});
