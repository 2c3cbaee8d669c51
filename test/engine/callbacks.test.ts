// fit options (validationSplit, initialEpoch, verbose, schedule objects) and the built-in
// callbacks (earlyStopping with restoreBestWeights, reduceLrOnPlateau, modelCheckpoint,
// csvLogger, jsonlLogger, terminateOnNaN), once per engine.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adam, csvLogger, dense, earlyStopping, jsonlLogger, loadModel, modelCheckpoint, NonFiniteLossError, reduceLrOnPlateau,
  schedules, sequential, sgd, terminateOnNaN, type Callback, type EpochLog,
} from '../../lib/index.js';
import { verboseCallback } from '../../lib/train/options.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

const train = blobs(200, 8, 3, 21);
const valid = blobs(100, 8, 3, 22);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'downhill-cb-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function model(engine: 'native' | 'js', lr = 0.05, seed = 4) {
  const m = sequential({ inputSize: 8, seed, engine, layers: [dense(16, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr }), metrics: ['accuracy', 'f1', { name: 'precision', average: 'weighted' }] });
  return m;
}

/** A callback that rewrites valLoss with a scripted sequence (so the best epoch is known). */
function scripted(values: number[]): Callback {
  return { onEpochEnd: (log) => void (log.valLoss = values[log.epoch - 1]) };
}

describe.each(engineNames())('%s engine', (engine) => {
  it('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const m = model(engine);
    const weightsAt: Float32Array[][] = [];
    const es = earlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
    const h = await m.fit(train.x, train.y, {
      epochs: 20,
      batchSize: 20,
      validationData: [valid.x, valid.y],
      callbacks: [scripted([1, 0.8, 0.5, 0.6, 0.55, 0.4, 0.7]), { onEpochEnd: () => void weightsAt.push(m.getWeights().map((w) => w.data)) }, es],
    });
    // best 0.5 at epoch 3; epochs 4 and 5 do not improve → stop after epoch 5.
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(es.bestEpoch).toBe(3);
    expect(es.stoppedEpoch).toBe(5);
    expect(m.getWeights().map((w) => w.data)).toEqual(weightsAt[2]);
    expect(m.getWeights().map((w) => w.data)).not.toEqual(weightsAt[4]);
  });

  it('earlyStopping with minDelta and mode max; without restoreBestWeights the last weights stay', async () => {
    const m = model(engine);
    const es = earlyStopping({ monitor: 'valLoss', mode: 'max', minDelta: 0.1, patience: 2 });
    const before = m.getWeights();
    const h = await m.fit(train.x, train.y, { epochs: 10, batchSize: 50, validationData: [valid.x, valid.y], callbacks: [scripted([1, 1.05, 1.3, 1.35, 1.38, 2]), es] });
    expect(h.epochs.length).toBe(5);
    expect(m.getWeights()).not.toEqual(before);
    expect(es.bestEpoch).toBe(3);
  });

  it('reduceLrOnPlateau (callback) scales the lr on a plateau; the schedule form does the same through fit', async () => {
    const m = model(engine, 0.01);
    const h = await m.fit(train.x, train.y, { epochs: 6, batchSize: 50, validationData: [valid.x, valid.y], callbacks: [scripted([1, 1, 1, 1, 1, 1]), reduceLrOnPlateau({ patience: 1, factor: 0.5 })] });
    // PyTorch rule: epochs 2 and 3 are bad → after epoch 3 the lr halves; cooldown 0 → again after epoch 5.
    h.epochs.forEach((e, i) => expect(e.lr).toBeCloseTo([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025][i], 12));
    const m2 = model(engine, 0.01);
    const h2 = await m2.fit(train.x, train.y, { epochs: 6, batchSize: 50, schedule: schedules.reduceLrOnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, threshold: 10 }) });
    h2.epochs.forEach((e, i) => expect(e.lr).toBeCloseTo([0.01, 0.005, 0.0025, 0.00125, 0.000625, 0.0003125][i], 12));
  });

  it('a schedule object gives per-step rates and its state is saved with the optimizer', async () => {
    const m = sequential({ inputSize: 8, seed: 4, engine, layers: [dense(3, { activation: 'softmax' })] });
    const opt = sgd({ lr: 0.1 });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: opt });
    const plateau = schedules.reduceLrOnPlateau({ monitor: 'loss', patience: 0, threshold: 10 });
    const h = await m.fit(train.x, train.y, { epochs: 2, batchSize: 100, schedule: plateau });
    expect(h.epochs[1].lr).toBeCloseTo(0.01, 12);
    const dict = opt.stateDict();
    expect(dict.step).toBe(4);
    expect(dict.schedule).toEqual({ name: 'reduceLrOnPlateau', state: { lr: expect.closeTo(0.001, 12), best: null, badEpochs: 0, cooldownLeft: 0 } }); // threshold 10: nothing counts as better
    const h2 = await m.fit(train.x, train.y, { epochs: 1, batchSize: 100, schedule: schedules.cosine({ totalSteps: 100 }) });
    expect(h2.epochs[0].lr).toBeCloseTo(0.1 * (1 + Math.cos((Math.PI * 5) / 100)) / 2, 6); // global step 5 (0-based)
  });

  it('validationSplit holds out a seeded, shuffled fraction (valLoss reported, deterministic, rejects bad values)', async () => {
    const a = model(engine);
    const ha = await a.fit(train.x, train.y, { epochs: 2, batchSize: 20, validationSplit: 0.25 });
    expect(ha.epochs[0].valLoss).toBeGreaterThan(0);
    expect(ha.epochs[0].valF1).toBeGreaterThanOrEqual(0);
    expect(ha.epochs[0].valPrecisionWeighted).toBeGreaterThanOrEqual(0);
    const b = model(engine);
    const hb = await b.fit(train.x, train.y, { epochs: 2, batchSize: 20, validationSplit: 0.25 });
    expect(hb.epochs.map((e) => e.valLoss)).toEqual(ha.epochs.map((e) => e.valLoss));
    // Not "the last rows": the held-out loss differs from training on the first 150 and validating on the last 50.
    const c = model(engine);
    const hc = await c.fit(train.x.subarray(0, 150 * 8), train.y.subarray(0, 150), { epochs: 2, batchSize: 20, validationData: [train.x.subarray(150 * 8), train.y.subarray(150)] });
    expect(hc.epochs[1].valLoss).not.toBe(ha.epochs[1].valLoss);
    await expect(a.fit(train.x, train.y, { validationSplit: 1 })).rejects.toThrow(/^fit\(options\.validationSplit\): expected a number in \(0, 1\), received 1$/);
    await expect(a.fit(train.x, train.y, { validationSplit: 0.2, validationData: [valid.x, valid.y] })).rejects.toThrow(/expected either validationSplit or validationData, received both/);
  });

  it('initialEpoch resumes the numbering (Keras): epochs initialEpoch+1 … epochs', async () => {
    const m = model(engine);
    const begun: number[] = [];
    const h = await m.fit(train.x, train.y, { epochs: 5, initialEpoch: 3, batchSize: 50, callbacks: [{ onEpochBegin: (e) => void begun.push(e) }] });
    expect(h.epochs.map((e) => e.epoch)).toEqual([4, 5]);
    expect(begun).toEqual([4, 5]);
    await expect(m.fit(train.x, train.y, { epochs: 2, initialEpoch: 3 })).rejects.toThrow(/^fit\(options\.initialEpoch\): expected an integer in \[0, 2\], received 3$/);
  });

  it('onBatchEnd reports at engine-call granularity with the control', async () => {
    const m = model(engine);
    const seen: number[] = [];
    await m.fit(train.x, train.y, { epochs: 1, batchSize: 10, callbacks: [{ onBatchEnd: (p, control) => { seen.push(p.step); expect(control.lrScale).toBe(1); } }] });
    expect(seen[seen.length - 1]).toBe(20);
  });

  it('modelCheckpoint saves every N epochs or the best only, loadable with loadModel', async () => {
    const dir = tmp();
    const every = modelCheckpoint({ path: join(dir, 'ep-{epoch}'), every: 2 });
    const best = modelCheckpoint({ path: join(dir, 'best'), monitor: 'valLoss', saveBestOnly: true });
    const m = model(engine);
    await m.fit(train.x, train.y, { epochs: 5, batchSize: 50, validationData: [valid.x, valid.y], callbacks: [scripted([3, 2, 2.5, 1, 4]), every, best] });
    expect(every.saved).toEqual([join(dir, 'ep-2'), join(dir, 'ep-4')]);
    expect(best.saved).toEqual([join(dir, 'best'), join(dir, 'best'), join(dir, 'best')]);
    expect(existsSync(join(dir, 'ep-3'))).toBe(false);
    const again = await loadModel(join(dir, 'ep-4'), { engine });
    expect(again.getWeights().length).toBe(4);
  });

  it('csvLogger and jsonlLogger write one row per epoch', async () => {
    const dir = tmp();
    const m = model(engine);
    await m.fit(train.x, train.y, { epochs: 3, batchSize: 50, validationData: [valid.x, valid.y], callbacks: [csvLogger(join(dir, 'log.csv')), jsonlLogger(join(dir, 'sub', 'log.jsonl'))] });
    const csv = readFileSync(join(dir, 'log.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',')).toEqual(['epoch', 'loss', 'accuracy', 'lr', 'seconds', 'valLoss', 'valAccuracy', 'valF1', 'valPrecisionWeighted']);
    expect(csv.length).toBe(4);
    expect(csv[3].startsWith('3,')).toBe(true);
    const rows = readFileSync(join(dir, 'sub', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochLog);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(typeof rows[2].valLoss).toBe('number');
  });

  it('terminateOnNaN stops on a non-finite validation value; a non-finite training loss always stops', async () => {
    const m = model(engine);
    const err = await m.fit(train.x, train.y, { epochs: 3, batchSize: 50, callbacks: [scripted([1, NaN, 1]), terminateOnNaN()], validationData: [valid.x, valid.y] }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err.epoch).toBe(2);
  });

  it('evaluate reports the compiled metrics', async () => {
    const m = model(engine);
    await m.fit(train.x, train.y, { epochs: 3, batchSize: 20 });
    const s = await m.evaluate(valid.x, valid.y);
    expect(Object.keys(s).sort()).toEqual(['accuracy', 'f1', 'loss', 'precisionWeighted']);
  });
});

describe('verbose', () => {
  it('writes one line per epoch (2) and rejects other values', async () => {
    let text = '';
    const out = new Writable({ write: (chunk, _e, cb) => ((text += String(chunk)), cb()) });
    const cb = verboseCallback(2, out)!;
    cb.onEpochEnd!({ epoch: 1, loss: 0.5, accuracy: 0.75, lr: 0.001, seconds: 0.25, valLoss: 0.6 }, undefined as never);
    expect(text).toBe('epoch 1: loss 0.5000, accuracy 0.7500, lr 0.0010, valLoss 0.6000 (0.25 s)\n');
    expect(() => verboseCallback(3)).toThrow(/^fit\(options\.verbose\): expected one of 0, 1, 2, received 3$/);
  });
});
