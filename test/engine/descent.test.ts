// TESTING O4: every optimizer × every schedule goes downhill on a convex problem (softmax
// regression: one dense softmax layer, cross-entropy), on every engine; clipping too.
import { describe, expect, it } from 'vitest';
import { createOptimizer, dense, isSecondOrder, optimizerNames, schedules, sequential, type Schedule } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

const data = blobs(96, 6, 3, 11);
const STEPS = 24; // 4 epochs of 6 batches of 16

const lrs: Record<string, number> = { sgd: 0.2, adam: 0.02, adamw: 0.02, adagrad: 0.2, adadelta: 1, rmsprop: 0.01, adamax: 0.04, nadam: 0.02, radam: 0.02, lion: 0.005 };
const scheduleCases: [string, () => Schedule][] = [
  ['constant', () => schedules.constant()],
  ['stepDecay', () => schedules.stepDecay({ stepSize: 6, gamma: 0.7 })],
  ['multiStep', () => schedules.multiStep({ milestones: [8, 16] })],
  ['exponential', () => schedules.exponential({ gamma: 0.97 })],
  ['polynomial', () => schedules.polynomial({ totalSteps: STEPS })],
  ['cosine', () => schedules.cosine({ totalSteps: STEPS })],
  ['cosineWarmRestarts', () => schedules.cosineWarmRestarts({ t0: 8 })],
  ['warmup + cosine', () => schedules.warmup({ warmupSteps: 4, then: schedules.cosine({ totalSteps: STEPS - 4 }) })],
  ['oneCycle', () => schedules.oneCycle({ totalSteps: STEPS })],
  ['cyclic', () => schedules.cyclic({ baseLr: 0.001, maxLr: 0.01, stepSizeUp: 6 })],
  ['reduceLrOnPlateau', () => schedules.reduceLrOnPlateau({ monitor: 'loss', patience: 0, factor: 0.5 })],
];

describe.each(engineNames())('%s engine', (engine) => {
  // First-order optimizers (the second-order ones have their own tests: they take no schedule).
  const firstOrder = optimizerNames.filter((n) => !isSecondOrder(createOptimizer(n, {})));
  it.each(firstOrder.map((n) => [n]))('%s lowers the loss under every schedule', async (name) => {
    for (const [label, make] of scheduleCases) {
      const m = sequential({ inputSize: 6, seed: 3, engine, layers: [dense(3, { activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: createOptimizer(name, { lr: lrs[name] }) });
      const before = (await m.evaluate(data.x, data.y)).loss;
      await m.fit(data.x, data.y, { epochs: 4, batchSize: 16, schedule: make() });
      const after = (await m.evaluate(data.x, data.y)).loss;
      expect(after, `${name} with ${label}`).toBeLessThan(before);
      m.dispose();
    }
  });

  it('clipNorm and clipValue keep training finite under a huge learning rate and still descend', async () => {
    for (const options of [{ lr: 0.5, clipNorm: 0.1 }, { lr: 0.5, clipValue: 0.01 }]) {
      const m = sequential({ inputSize: 6, seed: 3, engine, layers: [dense(3, { activation: 'softmax' })] });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: createOptimizer('sgd', { ...options, momentum: 0.9 }) });
      const before = (await m.evaluate(data.x, data.y)).loss;
      await m.fit(data.x, data.y, { epochs: 4, batchSize: 16 });
      expect((await m.evaluate(data.x, data.y)).loss).toBeLessThan(before);
    }
  });
});
