/**
 * report.html: a self-contained training report (inline SVG charts, no scripts, no network):
 * loss/accuracy/learning-rate curves, test metrics, a confusion heat map, a 2-D PCA projection
 * of the last hidden layer's features, the model summary, timings and the engine.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toInputs, toTargets } from '../data.js';
import { typeError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { argmax } from '../metrics.js';
import type { Sequential } from '../model.js';
import type { Callback, History } from '../train/callbacks.js';
import { checkInteger, checkKnownKeys, checkObject } from '../validate.js';
import { confusionChart, lineChart, renderSvg, scatterChart } from './charts.js';
import { pca } from './pca.js';

export interface ReportOptions {
  /** Held-out [x, y] for the metrics, confusion matrix and projection. */
  testData?: [unknown, unknown];
  /** Class names by index (default "0", "1", …). */
  classNames?: string[];
  /** Test rows shown in the projection. Default 500. */
  sample?: number;
  /** Report title. Default "downhill training report". */
  title?: string;
}

export interface TestSummary {
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: number[][];
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Confusion counts and macro-averaged precision/recall/F1 (a class never predicted has precision 0). */
export function confusionSummary(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number) {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]]++;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c][c];
    const predictedC = confusion.reduce((s, row) => s + row[c], 0);
    const actualC = confusion[c].reduce((s, v) => s + v, 0);
    const p = predictedC ? tp / predictedC : 0;
    const r = actualC ? tp / actualC : 0;
    precision += p / classes;
    recall += r / classes;
    f1 += (p + r ? (2 * p * r) / (p + r) : 0) / classes;
  }
  return { confusion, precision, recall, f1 };
}

/** Everything the report shows, computed from a trained model (predictions on the engine). */
export async function writeReport(dir: string, model: Sequential, history: History, options: ReportOptions & { trainSeconds?: number } = {}): Promise<string> {
  const k = model.outputSize;
  const classes = options.classNames ?? Array.from({ length: k }, (_, i) => String(i));
  const charts: string[] = [];
  const epochs = history.epochs;
  const series = (pick: (e: (typeof epochs)[number]) => number | undefined, name: string) =>
    epochs.flatMap((e) => (pick(e) === undefined ? [] : [{ epoch: e.epoch, value: pick(e)!, series: name }]));
  charts.push(await renderSvg(lineChart('Loss', 'loss', [...series((e) => e.loss, 'train'), ...series((e) => e.valLoss, 'validation')])));
  charts.push(await renderSvg(lineChart('Accuracy', 'accuracy', [...series((e) => e.accuracy, 'train'), ...series((e) => e.valAccuracy, 'validation')])));
  charts.push(await renderSvg(lineChart('Learning rate (last step of each epoch)', 'learning rate', series((e) => e.lr, 'lr'))));
  let test: TestSummary | undefined;
  let confusionSvg = '';
  let projectionSvg = '';
  if (options.testData) {
    const data = toInputs('report(options.testData[0])', options.testData[0], model.inputSize);
    const t = toTargets('report(options.testData[1])', options.testData[1], data.n, k);
    const truth = t.labels ?? Int32Array.from({ length: data.n }, (_, r) => argmax(t.targets!, r, k));
    const scores = await model.evaluate(data.x, t.labels ?? t.targets!);
    const probs = await model.predict(data.x);
    const predicted = Int32Array.from({ length: data.n }, (_, r) => argmax(probs, r, k));
    const summary = confusionSummary(truth, predicted, k);
    test = { loss: scores.loss, accuracy: scores.accuracy, ...summary };
    confusionSvg = await renderSvg(confusionChart(summary.confusion, classes));
    const layers = model.layerSummary();
    const sample = Math.min(data.n, options.sample ?? 500);
    const features = layers.length >= 2 ? await model.activations(data.x.subarray(0, sample * model.inputSize), layers.length - 2) : data.x.subarray(0, sample * model.inputSize);
    const width = layers.length >= 2 ? layers[layers.length - 2].outputs : model.inputSize;
    const { coords, explained } = pca(features, width, 2);
    const points = Array.from({ length: sample }, (_, r) => ({ x: coords[2 * r], y: coords[2 * r + 1] ?? 0, label: classes[truth[r]] }));
    const where = layers.length >= 2 ? `layer ${layers[layers.length - 2].name}` : 'the inputs';
    projectionSvg = await renderSvg(
      scatterChart(`Features of ${where}: PCA of ${sample} test rows`, points, `PC1 (${(explained[0] * 100).toFixed(1)}% of variance)`, `PC2 (${((explained[1] ?? 0) * 100).toFixed(1)}%)`),
    );
  }
  const info = model.engineInfo;
  const last = epochs[epochs.length - 1];
  const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '–' : v.toFixed(digits));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(options.title ?? 'downhill training report')}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#5a6475} .grid{display:flex;flex-wrap:wrap;gap:18px} .chart{border:1px solid #e4e8ef;border-radius:6px;padding:8px;background:#fff}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #e0e4ea;padding:3px 10px;text-align:right} th{background:#f3f5f8}
pre{background:#f6f8fa;padding:10px;border-radius:6px;overflow:auto}
</style></head><body>
<h1>${escape(options.title ?? 'downhill training report')}</h1>
<p class="meta">engine ${escape(info.name)} (isa ${escape(info.isa)}, ${info.threads} thread${info.threads === 1 ? '' : 's'}, downhill ${escape(info.version)}) ·
${epochs.length} epochs${options.trainSeconds !== undefined ? ` in ${options.trainSeconds.toFixed(2)} s` : ''} · generated ${new Date().toISOString()}</p>
<h2>Training curves</h2>
<div class="grid">${charts.map((svg) => `<div class="chart" data-chart>${svg}</div>`).join('')}</div>
${test ? `<h2>Test set</h2>
<table><tr><th>loss</th><th>accuracy</th><th>precision (macro)</th><th>recall (macro)</th><th>F1 (macro)</th></tr>
<tr><td>${fmt(test.loss)}</td><td>${fmt(test.accuracy)}</td><td>${fmt(test.precision)}</td><td>${fmt(test.recall)}</td><td>${fmt(test.f1)}</td></tr></table>
<div class="grid"><div class="chart" data-chart="confusion">${confusionSvg}</div><div class="chart" data-chart="projection">${projectionSvg}</div></div>` : ''}
<h2>Model</h2>
<pre>${escape(model.summary())}</pre>
<h2>Epochs</h2>
<table><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>lr</th><th>seconds</th></tr>
${epochs.map((e) => `<tr><td>${e.epoch}</td><td>${fmt(e.loss)}</td><td>${fmt(e.accuracy)}</td><td>${fmt(e.valLoss)}</td><td>${fmt(e.valAccuracy)}</td><td>${e.lr.toExponential(2)}</td><td>${e.seconds.toFixed(2)}</td></tr>`).join('\n')}
</table>
${last ? `<p class="meta">final training loss ${fmt(last.loss)}${last.valLoss !== undefined ? `, validation loss ${fmt(last.valLoss)}` : ''}</p>` : ''}
</body></html>
`;
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.html');
  await writeFileAtomic(path, Buffer.from(html));
  return path;
}

/**
 * A fit callback that writes `<dir>/report.html` when training ends.
 * @example await model.fit(x, y, { epochs: 10, callbacks: [report('out', { model, testData: [xt, yt] })] })
 */
export function report(dir: string, options: ReportOptions & { model: Sequential }): Callback {
  if (typeof dir !== 'string' || dir === '') throw typeError('report(dir)', 'a folder path', dir);
  const o = checkObject('report(options)', options);
  checkKnownKeys('report(options)', o, ['model', 'testData', 'classNames', 'sample', 'title']);
  if (o.model === null || typeof o.model !== 'object' || typeof (o.model as Sequential).summary !== 'function') throw typeError('report(options.model)', 'the model being trained', o.model);
  if (o.sample !== undefined) checkInteger('report(options.sample)', o.sample, 1);
  let started = 0;
  return {
    onTrainBegin() {
      started = performance.now();
    },
    async onTrainEnd(history) {
      await writeReport(dir, options.model, history, { ...options, trainSeconds: (performance.now() - started) / 1000 });
    },
  };
}
