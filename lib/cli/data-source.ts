/** What `downhill train --data` trains on: the bundled MNIST digits, an IDX folder, or a CSV file. */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { loadCsv } from '../datasets/csv.js';
import { loadIdx, type ImageSet } from '../datasets/idx.js';
import { loadMnist, splitData, MNIST_CLASSES, MNIST_PIXELS, type LabeledData, type Split } from '../datasets/mnist.js';
import { standardize, type Preprocess } from '../preprocess.js';
import { Rng, shuffleInPlace } from '../random.js';
import { takeRows } from '../datasets/mnist.js';

export interface TrainingData extends Split {
  /** Features per row. */
  width: number;
  classes: number;
  /** For the header line, e.g. "MNIST" or "iris.csv". */
  name: string;
  /** Fitted on the training rows (CSV features); undefined for pixel data. */
  preprocess?: Preprocess;
}

export class UsageError extends Error {}

function labeled(set: ImageSet): LabeledData {
  return { x: set.x, y: Int32Array.from(set.y), n: set.n };
}

/** Seeded split of one set into train and validation (the rest of `validationFraction`). */
function splitTrainValidation(data: LabeledData, width: number, seed: number, validationFraction: number) {
  const order = shuffleInPlace(Int32Array.from({ length: data.n }, (_, i) => i), new Rng(seed, 0x5b117));
  const nVal = Math.round(data.n * validationFraction);
  return { validation: takeRows(data, order.subarray(0, nVal), width), train: takeRows(data, order.subarray(nVal), width) };
}

/** Loads `--data` (mnist | IDX folder | .csv file with `--label`), split with the seed. */
export function loadTrainingData(source: string, label: string | undefined, seed: number): TrainingData {
  if (source === 'mnist') {
    return { ...splitData(loadMnist(), MNIST_PIXELS, seed), width: MNIST_PIXELS, classes: MNIST_CLASSES, name: 'MNIST' };
  }
  if (!existsSync(source)) throw new UsageError(`--data: expected mnist, an IDX folder or a .csv file, received ${JSON.stringify(source)} (not found)`);
  if (statSync(source).isDirectory()) {
    const { train, test } = loadIdx(source);
    const all = labeled(train);
    const testSet = labeled(test);
    const classes = Math.max(...all.y, ...testSet.y) + 1;
    // The folder's test files are the test set; 15% of its training files validate.
    return { ...splitTrainValidation(all, train.width, seed, 0.15), test: testSet, width: train.width, classes, name: basename(source) };
  }
  if (label === undefined) throw new UsageError('--label: a CSV file needs the name of its label column (--label COLUMN)');
  const csv = loadCsv(source, { label, labelType: 'categorical' });
  const width = csv.features.length;
  const split = splitData({ x: csv.x, y: csv.y as Int32Array, n: csv.n }, width, seed);
  // Features are standardised on the training rows; the model applies and saves the step.
  const preprocess = standardize(split.train.x, width);
  return { ...split, width, classes: csv.classes.length, name: basename(source), preprocess };
}
