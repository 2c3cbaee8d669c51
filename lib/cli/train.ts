/** `downhill train`: the seed's network on the bundled MNIST digits, with a table per epoch. */
import { isSecondOrder } from '../optim/second-order.js';
import type { WriteStream } from 'node:tty';
import { loadTrainingData } from './data-source.js';
import { writeReport } from '../report/report.js';
import { dense } from '../layers.js';
import { sequential } from '../model.js';
import { earlyStopping } from '../train/builtin-callbacks.js';
import { cliOptimizer, cliSchedule, type OptimizerFlags } from './train-options.js';
import type { EngineChoice } from '../engine/select.js';
import { ProgressBar } from './progress.js';
import { formatHeader, formatRow, type Column } from './table.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number | undefined;
  /** Any optimizer name (sgd, adam, adamw, adagrad, adadelta, rmsprop, adamax, nadam, radam, lion). */
  optimizer: string;
  /** Its hyper-parameters from flags (--momentum, --beta1, …, --clip-norm). */
  optimizerFlags?: OptimizerFlags;
  /** --schedule NAME (lib/cli/train-options.ts CLI_SCHEDULES). */
  schedule?: string;
  /** --early-stopping PATIENCE: stop when valLoss has not improved for that many epochs, keep the best weights. */
  earlyStopping?: number;
  /** --validation-split F: validate on a seeded fraction of the training + validation rows instead of the fixed 15%. */
  validationSplit?: number;
  layers: number[];
  seed: number;
  engine: EngineChoice;
  json: boolean;
  /** 'mnist' (bundled), an IDX folder, or a CSV file. */
  data: string;
  /** Label column of a CSV file. */
  label: string | undefined;
  /** Where to save the trained model, if anywhere. */
  save: string | undefined;
  /** Where to write report.html, if anywhere. */
  out: string | undefined;
}

export interface TrainReport {
  engine: string;
  isa: string;
  threads: number;
  epochs: { epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number; lr: number; seconds: number }[];
  test: { loss: number; accuracy: number; precision: number; recall: number; f1: number };
  trainSeconds: number;
  samplesPerSecond: number;
}

const COLUMNS: Column[] = [
  { title: 'epoch', width: 5 },
  { title: 'loss', width: 8 },
  { title: 'accuracy', width: 8 },
  { title: 'val loss', width: 8 },
  { title: 'val acc', width: 8 },
  { title: 'lr', width: 9 },
  { title: 'seconds', width: 7 },
];

/** Trains and reports; writes the table (or one JSON document) to `out`. */
export async function train(options: TrainOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<TrainReport> {
  const data = loadTrainingData(options.data, options.label, options.seed);
  const hidden = options.layers.map((units) => dense(units, { activation: 'relu' }));
  const model = sequential({
    inputSize: data.width,
    preprocess: data.preprocess,
    seed: options.seed,
    engine: options.engine,
    layers: [...hidden, dense(data.classes, { activation: 'softmax' })],
  });
  const optimizer = cliOptimizer(options.optimizer, { ...options.optimizerFlags, lr: options.lr });
  // Test report: accuracy, precision, recall and F1, macro-averaged over the classes.
  model.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy', 'precision', 'recall', 'f1'] });
  let trainX = data.train.x;
  let trainY: Int32Array = data.train.y;
  if (options.validationSplit !== undefined) {
    trainX = new Float32Array(data.train.x.length + data.validation.x.length);
    trainX.set(data.train.x);
    trainX.set(data.validation.x, data.train.x.length);
    trainY = new Int32Array(data.train.n + data.validation.n);
    trainY.set(data.train.y);
    trainY.set(data.validation.y, data.train.n);
  }
  const trainRows = trainY.length - (options.validationSplit === undefined ? 0 : Math.round(trainY.length * options.validationSplit));
  const schedule = options.schedule === undefined ? undefined : cliSchedule(options.schedule, { epochs: options.epochs, stepsPerEpoch: Math.ceil(trainRows / options.batchSize), lr: optimizer.lr });
  const info = model.engineInfo;
  const say = (line: string) => !options.json && out.write(line + '\n');
  say(`downhill: ${[data.width, ...options.layers, data.classes].join('-')} on ${data.name} (${data.train.n} train / ${data.validation.n} validation / ${data.test.n} test), ${options.optimizer} lr ${optimizer.lr}, batch ${options.batchSize}, seed ${options.seed}`);
  say(`engine: ${info.name} (isa ${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})\n`);
  say(model.summary() + '\n');
  say(formatHeader(COLUMNS));
  const tty = err as WriteStream;
  const bar = !options.json && tty.isTTY ? new ProgressBar(tty) : undefined;
  const started = performance.now();
  const history = await model.fit(trainX, trainY, {
    epochs: options.epochs,
    // L-BFGS, CG and Newton-CG take the whole training set per step.
    batchSize: isSecondOrder(optimizer) && optimizer.fullBatch ? undefined : options.batchSize,
    shuffle: true,
    ...(options.validationSplit === undefined ? { validationData: [data.validation.x, data.validation.y] as [Float32Array, Int32Array] } : { validationSplit: options.validationSplit }),
    schedule,
    callbacks: [
      ...(options.earlyStopping === undefined ? [] : [earlyStopping({ monitor: 'valLoss', patience: options.earlyStopping, restoreBestWeights: true })]),
      {
        onProgress: (p) => bar?.update(`epoch ${p.epoch}`, p.step, p.stepsPerEpoch ?? p.step, `loss ${p.loss.toFixed(4)}`),
        onEpochEnd: (log) => {
          bar?.clear();
          say(formatRow(COLUMNS, [
            String(log.epoch), log.loss.toFixed(4), log.accuracy.toFixed(4), log.valLoss!.toFixed(4),
            log.valAccuracy!.toFixed(4), log.lr.toExponential(2), log.seconds.toFixed(2),
          ]));
        },
      },
    ],
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const scores = await model.evaluate(data.test.x, data.test.y);
  const test = { loss: scores.loss, accuracy: scores.accuracy, precision: scores.precision, recall: scores.recall, f1: scores.f1 };
  if (options.save) await model.save(options.save);
  if (options.out) {
    const path = await writeReport(options.out, model, history, { testData: [data.test.x, data.test.y], trainSeconds, title: `downhill: ${data.name}` });
    if (!options.json) err.write(`report: ${path}\n`);
  }
  model.dispose();
  const samplesPerSecond = (trainRows * history.epochs.length) / trainSeconds;
  const report: TrainReport = {
    engine: info.name,
    isa: info.isa,
    threads: info.threads,
    epochs: history.epochs.map((e) => ({
      epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, valLoss: e.valLoss!, valAccuracy: e.valAccuracy!, lr: e.lr, seconds: e.seconds,
    })),
    test,
    trainSeconds,
    samplesPerSecond,
  };
  if (options.json) {
    out.write(JSON.stringify(report) + '\n');
  } else {
    say(`\ntest: loss ${test.loss.toFixed(4)}, accuracy ${(test.accuracy * 100).toFixed(2)}%, precision ${test.precision.toFixed(4)}, recall ${test.recall.toFixed(4)}, F1 ${test.f1.toFixed(4)} (macro)`);
    say(`trained ${history.epochs.length} epochs in ${trainSeconds.toFixed(2)} s (validation included): ${Math.round(samplesPerSecond)} samples/s`);
    say(`engine: ${info.name}, isa ${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  }
  return report;
}
