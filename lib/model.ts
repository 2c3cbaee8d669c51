/** The public model: sequential layers over one flat parameter arena, trained by an engine plan. */
import { AbortError, DownhillError, ShapeError, describe, rangeError, typeError } from './errors.js';
import { toInputs, toTargets } from './data.js';
import { initOptimizerState, paramCount, stateSlots, type PlanSpec, type Plan, type Engine, type EngineInfo, type LayerSpec, type Targets } from './engine/engine.js';
import { engineChoices, selectEngine, type EngineChoice } from './engine/select.js';
import { initialize } from './init.js';
import { MAX_UNITS, type Layer } from './layers.js';
import { crossEntropySum, losses, type LossName } from './losses.js';
import { computeMetrics, countCorrect, toMetric, type Metric, type MetricSpec } from './metrics.js';
import { bindOptimizer, type Optimizer } from './optim/optimizer.js';
import { Rng } from './random.js';
import type { Callback, EpochLog, History } from './train/callbacks.js';
import { runFit } from './train/fit.js';
import { lrSource, takeRows, validationRows, verboseCallback } from './train/options.js';
import type { Schedule } from './schedules/index.js';
import { arraySource, streamSource, type EpochSource } from './train/sources.js';
import { writeCheckpoint, type CheckpointData } from './io/checkpoint.js';
import type { Tensor } from './io/safetensors.js';
import { encodeOnnx } from './io/onnx.js';
import { VERSION } from './version.js';
import { isPreprocess, type Preprocess } from './preprocess.js';
import { checkBoolean, checkInteger, checkKnownKeys, checkObject, checkOneOf } from './validate.js';

/** Largest parameter arena (elements) a model may have: 2³⁰ float32 values, 4 GiB. */
const MAX_PARAMS = 2 ** 30;
/** Largest activation buffer (rows × units) a plan may preallocate. */
const MAX_ACTIVATIONS = 2 ** 30;
/** Rows per plan when only predicting. */
const DEFAULT_PREDICT_BATCH = 256;

export interface SequentialOptions {
  /** Values per input row. */
  inputSize: number;
  layers: Layer[];
  /** Fitted input preprocessing (standardize/normalize) to apply to every input. */
  preprocess?: Preprocess;
  /** Seeds initialisation and shuffling; default: a random seed. */
  seed?: number;
  /** 'auto' (native when it loads, else pure TS), 'native' or 'js'. Default 'auto'. */
  engine?: EngineChoice;
}

export interface CompileOptions {
  loss: LossName;
  optimizer: Optimizer;
  /** Metric names or { name, average, k, key } (lib/metrics.ts); reported by evaluate and as val<Key> per epoch. */
  metrics?: MetricSpec[];
}

export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Rows per step, 1 ≤ batchSize ≤ n. Default 32. */
  batchSize?: number;
  /** Visit rows in a seeded random order each epoch. Default true. */
  shuffle?: boolean;
  /** [x, y] evaluated after each epoch (valLoss, valAccuracy). */
  validationData?: [unknown, unknown];
  callbacks?: Callback[];
  /** Shortcut for a callback with only onEpochEnd. */
  onEpochEnd?: Callback['onEpochEnd'];
  /** A schedule (schedules.cosine({ … }), …) or a function (step, epoch) => lr, both 0-based; default: the optimizer's lr. */
  schedule?: Schedule | ((step: number, epoch: number) => number);
  /** Fraction of the rows, in (0, 1), held out for validation after a seeded shuffle (not the last rows). */
  validationSplit?: number;
  /**
   * Report progress (onProgress/onBatchEnd) at least every this many batches. By default an
   * engine call covers up to 4096 rows and reports once; smaller values mean more, shorter
   * engine calls (and a quicker response to an AbortSignal).
   */
  progressEvery?: number;
  /** Resume at this epoch (Keras): trains epochs initialEpoch + 1 … `epochs`, numbering logs, shuffles and schedules from there. */
  initialEpoch?: number;
  /** 0 silent (default), 1 progress + a line per epoch, 2 a line per epoch (stdout). */
  verbose?: 0 | 1 | 2;
  /** Cancels between batches; fit rejects with an AbortError. */
  signal?: AbortSignal;
  /** Reject NaN/Inf in x and y. Default true. */
  checkFinite?: boolean;
}

export interface Scores {
  loss: number;
  accuracy: number;
  /** The compiled metrics, by key (precision, f1, top3Accuracy, …). */
  [metric: string]: number;
}

export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface Compiled {
  loss: LossName;
  optimizer: Optimizer;
  metrics: MetricSpec[];
  /** The validated metrics (keys and options). */
  metricList: Metric[];
  state: Float32Array;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationData', 'callbacks', 'onEpochEnd', 'schedule', 'signal', 'checkFinite', 'validationSplit', 'initialEpoch', 'verbose', 'progressEvery'];
/** A stream's batches set the batch size and order: no batchSize, shuffle or progressEvery. */
const STREAM_FIT_KEYS = FIT_KEYS.filter((k) => k !== 'batchSize' && k !== 'shuffle' && k !== 'validationSplit' && k !== 'progressEvery');

/** One batch of a stream. */
export interface Batch {
  x: Float32Array | number[][];
  y: Targets | Uint8Array | number[] | number[][];
}

/** Training data as a stream: an (async) iterable of batches, or a function giving each epoch's. */
export type BatchSource = AsyncIterable<Batch> | Iterable<Batch> | ((epoch: number) => AsyncIterable<Batch> | Iterable<Batch>);

export type StreamFitOptions = Omit<FitOptions, 'batchSize' | 'shuffle'>;

/** True for what fit treats as a stream (not an array of rows or a typed array). */
function isBatchSource(value: unknown): value is BatchSource {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  return Symbol.asyncIterator in value || Symbol.iterator in value;
}

export class Sequential {
  /** The engine this model runs on. */
  readonly engine: Engine;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly seed: number;
  private readonly layerSpecs: LayerSpec[];
  private readonly layerConfigs: Layer[];
  private readonly names: string[];
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private compiled: Compiled | undefined;
  /** The engine plan, held in a box the finalizer can reach without keeping the model alive. */
  private readonly planBox: { plan?: Plan } = {};
  private planBatch = 0;
  private busy = false;
  private disposed = false;
  /** trainSteps calls in flight: the engine is writing the arenas. */
  private training = 0;
  /** Reused copies for async native predict (see pinned). */
  private scratch = { input: new Float32Array(0), output: new Float32Array(0) };
  /** The last plan wrapped by trackTraining, and its wrapper. */
  private tracked: { plan: Plan; wrapper: Plan } | undefined;
  /** fit is awaiting one of its callbacks (the engine is idle). */
  private callbackDepth = 0;
  /** A predict/evaluate running inside a fit callback. */
  private nested = false;
  /** Epochs and optimizer steps completed over all fits (the fit loop advances them). */
  private readonly counters = { epochs: 0, steps: 0 };

  /** Fitted input preprocessing applied by fit/predict/evaluate, saved with the model. */
  readonly preprocess: Preprocess | undefined;

  /** Use `sequential()`. */
  constructor(options: SequentialOptions) {
    const o = checkObject('sequential(options)', options);
    checkKnownKeys('sequential(options)', o, ['inputSize', 'layers', 'seed', 'engine', 'preprocess']);
    const { inputSize: inputValue, layers: layersValue, seed: seedValue, engine: engineValue, preprocess: preValue } = o;
    this.inputSize = checkInteger('sequential(options.inputSize)', inputValue, 1, MAX_UNITS);
    if (!Array.isArray(layersValue) || layersValue.length === 0) {
      throw typeError('sequential(options.layers)', 'a non-empty array of layers such as dense(10)', layersValue);
    }
    if (preValue !== undefined) {
      if (!isPreprocess(preValue)) throw typeError('sequential(options.preprocess)', 'a step made by standardize() or normalize()', preValue);
      if (preValue.shift.length !== this.inputSize) throw new ShapeError('sequential(options.preprocess)', `a step fitted on ${this.inputSize} features`, `one fitted on ${preValue.shift.length}`);
    }
    this.preprocess = preValue as Preprocess | undefined;
    this.seed = seedValue === undefined ? Math.floor(Math.random() * 2 ** 32) : checkInteger('sequential(options.seed)', seedValue, 0);
    const choice = engineValue === undefined ? 'auto' : checkOneOf('sequential(options.engine)', engineValue, engineChoices);
    this.layerSpecs = [];
    this.layerConfigs = [...(layersValue as Layer[])];
    this.names = [];
    let inputs = this.inputSize;
    layersValue.forEach((layer: unknown, i: number) => {
      const arg = `sequential(options.layers[${i}])`;
      if (layer === null || typeof layer !== 'object' || (layer as Layer).kind !== 'dense') {
        throw typeError(arg, 'a layer made by dense()', layer);
      }
      const l = layer as Layer;
      if (l.activation === 'softmax' && i !== layersValue.length - 1) {
        throw new RangeError(`${arg}: expected softmax only on the last layer, received it on layer ${i} of ${layersValue.length}`);
      }
      const name = l.name ?? `dense_${i + 1}`;
      if (this.names.includes(name)) throw rangeError(`${arg}.name`, 'a name no other layer has', name);
      this.names.push(name);
      this.layerSpecs.push({ kind: 'dense', inputs, units: l.units, activation: l.activation });
      inputs = l.units;
    });
    this.outputSize = inputs;
    const count = paramCount({ layers: this.layerSpecs });
    if (count > MAX_PARAMS) throw rangeError('sequential(options.layers)', `at most ${MAX_PARAMS} parameters in all`, count);
    this.engine = selectEngine(choice);
    this.params = new Float32Array(count);
    this.grads = new Float32Array(count);
    forgotten.register(this, this.planBox, this.planBox);
    const rng = new Rng(this.seed);
    let offset = 0;
    this.layerSpecs.forEach((spec, i) => {
      const kernel = this.params.subarray(offset, offset + spec.inputs * spec.units);
      initialize(layersValue[i].kernelInitializer, kernel, spec.inputs, spec.units, rng);
      offset += spec.inputs * spec.units + spec.units;
    });
  }

  /** Engine name, instruction set and threads this model runs on. */
  get engineInfo(): EngineInfo {
    return this.engine.info();
  }

  /**
   * Sets the loss, optimizer and metrics. Recompiling resets the optimizer state.
   * @example model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] })
   */
  compile(options: CompileOptions): void {
    this.checkUsable('compile');
    const o = checkObject('compile(options)', options);
    checkKnownKeys('compile(options)', o, ['loss', 'optimizer', 'metrics']);
    const { loss: lossValue, optimizer: optValue, metrics: metricsValue } = o;
    const loss = checkOneOf('compile(options.loss)', lossValue, losses);
    const last = this.layerSpecs[this.layerSpecs.length - 1];
    if (loss === 'categoricalCrossentropy' && last.activation !== 'softmax') {
      throw new RangeError(`compile(options.loss): expected a softmax last layer for 'categoricalCrossentropy', received a '${last.activation}' last layer`);
    }
    const optimizer = optValue as Optimizer;
    if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.spec !== 'object' || typeof optimizer.lr !== 'number') {
      throw typeError('compile(options.optimizer)', 'an optimizer made by sgd(), adam(), … or lion()', optValue);
    }
    let metrics: MetricSpec[] = [];
    let metricList: Metric[] = [];
    if (metricsValue !== undefined) {
      if (!Array.isArray(metricsValue)) throw typeError('compile(options.metrics)', 'an array of metric names', metricsValue);
      metricList = metricsValue.map((m, i) => toMetric(`compile(options.metrics[${i}])`, m));
      metrics = metricsValue.map((m) => (typeof m === 'string' ? m : { ...m })) as MetricSpec[];
    }
    this.disposePlan();
    const state = new Float32Array(stateSlots(optimizer.spec) * this.params.length);
    initOptimizerState(optimizer.spec, state);
    this.compiled = { loss, optimizer, metrics, metricList, state };
    bindOptimizer(optimizer, { state, paramCount: this.params.length, counters: this.counters });
    this.counters.steps = 0;
  }

  /**
   * Trains the model. Resolves with the history of epochs; rejects with an AbortError when
   * the signal aborts, a NonFiniteLossError when the loss stops being finite.
   * Data is either in memory (`fit(x, y, options)`) or a stream of `{ x, y }` batches
   * (`fit(source, options)`: an async iterable, a Node Readable in object mode, or a function
   * returning a fresh one per epoch), pulled as training goes, with backpressure.
   * @example await model.fit(x, y, { epochs: 10, batchSize: 64, validationData: [xv, yv] })
   * @example await model.fit(() => readBatches('train.jsonl'), { epochs: 3 })
   */
  async fit(x: Float32Array | number[][], y: Targets | Uint8Array | number[] | number[][], options?: FitOptions): Promise<History>;
  async fit(source: BatchSource, options?: StreamFitOptions): Promise<History>;
  async fit(x: unknown, y?: unknown, options?: unknown): Promise<History> {
    const compiled = this.checkCompiled('fit');
    const streaming = isBatchSource(x);
    const o = checkObject('fit(options)', (streaming ? y : options) ?? {});
    checkKnownKeys('fit(options)', o, streaming ? STREAM_FIT_KEYS : FIT_KEYS);
    const { epochs: epochsValue, batchSize: batchValue, shuffle: shuffleValue, validationData, callbacks: cbValue } = o;
    const { onEpochEnd, schedule, signal, checkFinite: finiteValue, validationSplit, initialEpoch: initialValue, verbose } = o;
    const checkFinite = finiteValue === undefined ? true : checkBoolean('fit(options.checkFinite)', finiteValue);
    let source: EpochSource;
    let batchSize: number;
    let heldOut: { x: Float32Array; n: number; labels: Int32Array | null; targets: Float32Array | null } | undefined;
    if (streaming) {
      source = this.streamSource(x, checkFinite);
      batchSize = 1;
    } else {
      let data = this.inputs('fit(x)', x, checkFinite);
      let targets = toTargets('fit(y)', y, data.n, this.outputSize, checkFinite);
      if (validationSplit !== undefined) {
        if (validationData !== undefined) throw new TypeError('fit(options.validationSplit): expected either validationSplit or validationData, received both');
        const split = validationRows(validationSplit, data.n, this.seed);
        const k = this.outputSize;
        const whole = data;
        const part = (rows: Int32Array) => ({
          x: takeRows(whole.x, this.inputSize, rows),
          labels: targets.labels && takeRows(targets.labels, 1, rows),
          targets: targets.targets && takeRows(targets.targets, k, rows),
        });
        const v = part(split.validation);
        heldOut = { x: v.x, n: split.validation.length, labels: v.labels, targets: v.targets };
        const t = part(split.train);
        data = { x: t.x, n: split.train.length };
        targets = { labels: t.labels, targets: t.targets };
      }
      batchSize = batchValue === undefined ? Math.min(32, data.n) : checkInteger('fit(options.batchSize)', batchValue, 1);
      if (batchSize > data.n) throw rangeError('fit(options.batchSize)', `an integer in [1, ${data.n}] (the number of rows)`, batchSize);
      const shuffle = shuffleValue === undefined ? true : checkBoolean('fit(options.shuffle)', shuffleValue);
      const yData = targets.labels ?? targets.targets!;
      const every = o.progressEvery === undefined ? undefined : checkInteger('fit(options.progressEvery)', o.progressEvery, 1);
      source = arraySource(this.pinned(data.x, x), this.pinned(yData, y), data.n, batchSize, shuffle, this.seed, every);
    }
    const epochs = epochsValue === undefined ? 1 : checkInteger('fit(options.epochs)', epochsValue, 0, 1e9);
    const callbacks = this.checkCallbacks(cbValue, onEpochEnd);
    const lrs = lrSource(schedule, compiled.optimizer.lr);
    const logger = verboseCallback(verbose);
    if (logger) callbacks.push(logger);
    const initialEpoch = initialValue === undefined ? undefined : checkInteger('fit(options.initialEpoch)', initialValue, 0, epochs);
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('fit(options.signal)', 'an AbortSignal', signal);
    let validate: (() => Promise<Scores>) | undefined;
    if (heldOut) {
      const v = heldOut;
      const out = new Float32Array(v.n * this.outputSize);
      validate = async () => {
        await this.planFor(batchSize).predict(v.x, out);
        return this.score(out, v.labels, v.targets);
      };
    }
    if (validationData !== undefined) {
      if (!Array.isArray(validationData) || validationData.length !== 2) {
        throw typeError('fit(options.validationData)', 'an array [x, y]', validationData);
      }
      const xvRaw = this.inputs('fit(options.validationData[0])', validationData[0], checkFinite);
      const xv = { x: this.pinned(xvRaw.x, validationData[0]), n: xvRaw.n };
      const yv = toTargets('fit(options.validationData[1])', validationData[1], xv.n, this.outputSize, checkFinite);
      const out = new Float32Array(xv.n * this.outputSize);
      validate = async () => {
        await this.planFor(batchSize).predict(xv.x, out);
        return this.score(out, yv.labels, yv.targets);
      };
    }
    if ((signal as AbortSignal | undefined)?.aborted) throw new AbortError('fit was aborted', { cause: (signal as AbortSignal).reason });
    const release = this.acquire('fit');
    bindOptimizer(compiled.optimizer, { state: compiled.state, paramCount: this.params.length, counters: this.counters, schedule: lrs.schedule });
    if (initialEpoch !== undefined) this.counters.epochs = initialEpoch;
    try {
      return await runFit({
        planFor: (batch) => this.trackTraining(this.planFor(batch)),
        source,
        epochs: initialEpoch === undefined ? epochs : epochs - initialEpoch,
        lrAt: lrs.lrAt,
        observe: lrs.observe,
        model: this.callbackModel(),
        callbacks: this.guardCallbacks(callbacks),
        signal: signal as AbortSignal | undefined,
        validate,
        counters: this.counters,
      });
    } finally {
      release();
    }
  }

  /** Batches of a stream, checked one by one as they arrive (`fit(source)[batch 3].x: …`). */
  private streamSource(source: BatchSource, checkFinite: boolean): EpochSource {
    let used = false;
    const open = (epoch: number): AsyncIterable<unknown> | Iterable<unknown> => {
      const iterable = typeof source === 'function' ? source(epoch) : source;
      if (!isBatchSource(iterable) || typeof iterable === 'function') throw typeError('fit(source)', 'a function returning an (async) iterable of { x, y } batches', iterable);
      if (typeof source !== 'function' && used) return [];
      used = true;
      return iterable;
    };
    const prepare = (batch: unknown, index: number) => {
      const arg = `fit(source)[batch ${index}]`;
      if (batch === null || typeof batch !== 'object') throw typeError(arg, 'an object { x, y }', batch);
      const { x: bx, y: by } = batch as { x?: unknown; y?: unknown };
      const data = this.inputs(`${arg}.x`, bx, checkFinite);
      const t = toTargets(`${arg}.y`, by, data.n, this.outputSize, checkFinite);
      return { x: data.x, labels: t.labels, targets: t.targets, n: data.n };
    };
    return streamSource(open, prepare, this.inputSize, this.outputSize);
  }

  /**
   * Outputs for each row of x (softmax probabilities for a softmax last layer), row-major n × outputs.
   * @example const probs = await model.predict(xTest)
   */
  async predict(x: Float32Array | number[][], options: { out?: Float32Array } = {}): Promise<Float32Array> {
    this.checkUsable('predict');
    const data = this.inputs('predict(x)', x);
    const out = this.checkOut('predict', options, data.n);
    const release = this.acquire('predict');
    try {
      const userOut = options.out !== undefined && this.engine.name === 'native';
      const target = userOut ? this.scratchOut(out.length) : out;
      await this.planFor(Math.min(data.n, DEFAULT_PREDICT_BATCH)).predict(this.pinned(data.x, x, true), target);
      if (target !== out) out.set(target);
      checkFiniteOutputs('predict', out, this.outputSize);
      return out;
    } finally {
      release();
    }
  }

  /** predict on the calling thread, without a promise: for a few rows on a latency-bound path. */
  predictSync(x: Float32Array | number[][], options: { out?: Float32Array } = {}): Float32Array {
    this.checkUsable('predictSync');
    const data = this.inputs('predictSync(x)', x);
    const out = this.checkOut('predictSync', options, data.n);
    const release = this.acquire('predictSync');
    try {
      this.planFor(Math.min(data.n, DEFAULT_PREDICT_BATCH)).predictSync(data.x, out);
      checkFiniteOutputs('predictSync', out, this.outputSize);
      return out;
    } finally {
      release();
    }
  }

  /**
   * Loss and metrics over a dataset, with the compiled loss ('mean' reduction).
   * @example const { loss, accuracy } = await model.evaluate(xTest, yTest)
   */
  async evaluate(x: Float32Array | number[][], y: Targets | Uint8Array | number[] | number[][]): Promise<Scores> {
    this.checkCompiled('evaluate');
    const data = this.inputs('evaluate(x)', x);
    const targets = toTargets('evaluate(y)', y, data.n, this.outputSize);
    const out = new Float32Array(data.n * this.outputSize);
    const release = this.acquire('evaluate');
    try {
      await this.planFor(Math.min(data.n, DEFAULT_PREDICT_BATCH)).predict(this.pinned(data.x, x, true), out);
      checkFiniteOutputs('evaluate', out, this.outputSize);
    } finally {
      release();
    }
    return this.score(out, targets.labels, targets.targets);
  }

  /** Copies of every weight tensor in layer order: `<layer>/kernel` [in, out], `<layer>/bias` [out]. */
  getWeights(): WeightTensor[] {
    this.checkUsable('getWeights');
    const list: WeightTensor[] = [];
    let offset = 0;
    this.layerSpecs.forEach((spec, i) => {
      const k = spec.inputs * spec.units;
      list.push({ name: `${this.names[i]}/kernel`, shape: [spec.inputs, spec.units], data: this.params.slice(offset, offset + k) });
      list.push({ name: `${this.names[i]}/bias`, shape: [spec.units], data: this.params.slice(offset + k, offset + k + spec.units) });
      offset += k + spec.units;
    });
    return list;
  }

  /** Sets every weight tensor from a list shaped like getWeights() (same names, shapes and order). */
  setWeights(weights: WeightTensor[]): void {
    this.checkUsable('setWeights');
    if (this.busy) throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', 'setWeights: the model is running fit or predict');
    const expected = this.getWeights();
    if (!Array.isArray(weights)) throw typeError('setWeights(weights)', `an array of ${expected.length} weight tensors`, weights);
    if (weights.length !== expected.length) throw new ShapeError('setWeights(weights)', `${expected.length} tensors`, `${weights.length}`);
    weights.forEach((w, i) => {
      const e = expected[i];
      const arg = `setWeights(weights[${i}])`;
      if (w === null || typeof w !== 'object') throw typeError(arg, `a tensor { name: '${e.name}', shape, data }`, w);
      if (w.name !== e.name) throw rangeError(`${arg}.name`, `'${e.name}'`, w.name);
      if (!Array.isArray(w.shape) || w.shape.length !== e.shape.length || w.shape.some((d, j) => d !== e.shape[j])) {
        throw new ShapeError(`${arg}.shape`, `[${e.shape.join(', ')}]`, Array.isArray(w.shape) ? `[${w.shape.join(', ')}]` : describe(w.shape));
      }
      if (!(w.data instanceof Float32Array)) throw typeError(`${arg}.data`, `a Float32Array(${e.data.length})`, w.data);
      if (w.data.length !== e.data.length) throw new ShapeError(`${arg}.data`, `${e.data.length} values`, describe(w.data));
      for (let j = 0; j < w.data.length; j++) {
        if (!Number.isFinite(w.data[j])) throw rangeError(`${arg}.data[${j}]`, 'a finite number', w.data[j]);
      }
    });
    let offset = 0;
    for (const w of weights) {
      this.params.set(w.data, offset);
      offset += w.data.length;
    }
  }

  /**
   * Saves topology, compile configuration, counters, weights and optimizer state to `dir`
   * (model.json + safetensors), atomically: a crash mid-save leaves the previous save loadable.
   * Allowed between batches of a running fit (e.g. from onEpochEnd).
   * @example await model.save('out/model'); const again = await loadModel('out/model');
   */
  async save(dir: string): Promise<void> {
    this.checkUsable('save');
    if (typeof dir !== 'string' || dir === '') throw typeError('save(dir)', 'a folder path', dir);
    if (this.training > 0) throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', 'save: the engine is running a training step; save from a callback or after fit');
    await writeCheckpoint(dir, this.snapshot());
  }

  /** Model description and tensors, copied now (so a later step cannot tear them). */
  private snapshot(): CheckpointData {
    const compiled = this.compiled;
    const weights = this.getWeights();
    const tensors: Tensor[] = [...weights];
    if (compiled) {
      for (let k = 0; k < this.optimizerSlots; k++) {
        let offset = 0;
        for (const w of weights) {
          const base = k * this.params.length + offset;
          tensors.push({ name: `optimizer/${k}/${w.name}`, shape: w.shape, data: compiled.state.slice(base, base + w.data.length) });
          offset += w.data.length;
        }
      }
    }
    if (this.preprocess) {
      tensors.push({ name: 'preprocess/shift', shape: [this.inputSize], data: this.preprocess.shift.slice() });
      tensors.push({ name: 'preprocess/scale', shape: [this.inputSize], data: this.preprocess.scale.slice() });
    }
    const model = {
      inputSize: this.inputSize,
      seed: this.seed,
      preprocess: this.preprocess?.kind ?? null,
      layers: this.layerConfigs.map((l, i) => ({ kind: l.kind, units: l.units, activation: l.activation, kernelInitializer: l.kernelInitializer, name: this.names[i] })),
      compile: compiled
        ? {
            loss: compiled.loss,
            metrics: compiled.metrics,
            optimizer: { name: compiled.optimizer.name, lr: compiled.optimizer.lr, spec: compiled.optimizer.spec },
            // The learning-rate schedule's position (e.g. reduceLrOnPlateau's best and patience count).
            schedule: compiled.optimizer.stateDict().schedule ?? null,
          }
        : null,
      counters: { ...this.counters },
    };
    return { model, tensors };
  }

  /**
   * @internal Used by loadModel: sets optimizer state and counters after weights were set.
   * `state` holds every slot back to back, as the engine arenas do.
   */
  restoreTrainingState(state: Float32Array, counters: { epochs: number; steps: number }): void {
    const compiled = this.checkCompiled('restoreTrainingState');
    if (state.length !== compiled.state.length) throw new ShapeError('restoreTrainingState(state)', `${compiled.state.length} values`, describe(state));
    compiled.state.set(state);
    this.counters.epochs = counters.epochs;
    this.counters.steps = counters.steps;
  }

  /** Optimizer state slots per parameter (0 when not compiled). */
  get optimizerSlots(): number {
    return this.compiled ? this.compiled.state.length / this.params.length : 0;
  }

  /** Wraps a plan so the model knows while the engine writes its arenas. */
  private trackTraining(plan: Plan): Plan {
    // fit asks for its plan once per engine call: wrap each plan once, not per call.
    if (this.tracked?.plan === plan) return this.tracked.wrapper;
    const wrapper: Plan = {
      trainSteps: async (request) => {
        this.training++;
        try {
          return await plan.trainSteps(request);
        } finally {
          this.training--;
        }
      },
      predict: (x, out) => plan.predict(x, out),
      predictSync: (x, out) => plan.predictSync(x, out),
      lossAndGrad: (x, y, indices) => plan.lossAndGrad(x, y, indices),
      cancel: () => plan.cancel(),
      dispose: () => plan.dispose(),
    };
    this.tracked = { plan, wrapper };
    return wrapper;
  }

  /** One row per layer: name, kind, activation, output width and parameter count. */
  layerSummary(): { name: string; kind: string; activation: string; outputs: number; params: number }[] {
    return this.layerSpecs.map((l, i) => ({ name: this.names[i], kind: l.kind, activation: l.activation, outputs: l.units, params: l.inputs * l.units + l.units }));
  }

  /**
   * A table of the layers, their output shapes and parameter counts, with the total.
   * @example console.log(model.summary())
   */
  summary(): string {
    const rows = this.layerSummary().map((r) => [`${r.name} (${r.kind}, ${r.activation})`, `[n, ${r.outputs}]`, r.params.toLocaleString('en-US')]);
    const header = ['layer', 'output shape', 'params'];
    const all = [[`input`, `[n, ${this.inputSize}]`, '0'], ...rows];
    const widths = header.map((h, c) => Math.max(h.length, ...all.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const total = this.params.length.toLocaleString('en-US');
    return [line(header), rule, ...all.map(line), rule, `total params: ${total}`].join('\n');
  }

  /**
   * Outputs of layer `layer` (0-based; after its activation) for each row of x: the learned
   * features of a hidden layer, row-major n × units.
   * @example const features = await model.activations(x, model.layerSummary().length - 2)
   */
  async activations(x: Float32Array | number[][], layer: number): Promise<Float32Array> {
    this.checkUsable('activations');
    checkInteger('activations(layer)', layer, 0, this.layerSpecs.length - 1);
    const data = this.inputs('activations(x)', x);
    const head = new Sequential({
      inputSize: this.inputSize,
      seed: this.seed,
      engine: this.engine.name,
      layers: this.layerConfigs.slice(0, layer + 1),
    });
    try {
      head.setWeights(this.getWeights().slice(0, 2 * (layer + 1)));
      return await head.predict(data.x);
    } finally {
      head.dispose();
    }
  }

  /**
   * The network as an ONNX model (opset 13): input "input" [N, inputSize], output "output".
   * @example await writeFile('model.onnx', model.toOnnx())
   */
  toOnnx(): Uint8Array {
    this.checkUsable('toOnnx');
    const weights = this.getWeights();
    return encodeOnnx(
      this.inputSize,
      this.layerSpecs.map((l, i) => ({ name: this.names[i], inputs: l.inputs, units: l.units, activation: l.activation, kernel: weights[2 * i].data, bias: weights[2 * i + 1].data })),
      VERSION,
      this.preprocess,
    );
  }

  /** Frees the engine plan. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    if (this.busy) throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', 'dispose: the model is running fit or predict; abort it first');
    this.disposePlan();
    forgotten.unregister(this.planBox);
    this.disposed = true;
  }

  /**
   * The buffer a background native job reads: the user's own buffer could be transferred or
   * detached while the job runs (its memory freed under the engine), so the job gets a copy
   * made now (reused across calls when `reuse`). Copies we made ourselves, SharedArrayBuffers
   * (never detached) and the pure-TS engine need none.
   */
  private pinned<T extends Float32Array | Int32Array>(view: T, user: unknown, reuse = false): T {
    if (this.engine.name !== 'native' || view !== user || view.buffer instanceof SharedArrayBuffer) return view;
    if (reuse && view instanceof Float32Array) {
      if (this.scratch.input.length < view.length) this.scratch.input = new Float32Array(view.length);
      const copy = this.scratch.input.subarray(0, view.length);
      copy.set(view);
      return copy as T;
    }
    return view.slice() as T;
  }

  /** A reused buffer for async native output that is then copied to the caller's `out`. */
  private scratchOut(length: number): Float32Array {
    if (this.scratch.output.length < length) this.scratch.output = new Float32Array(length);
    return this.scratch.output.subarray(0, length);
  }

  /** Checked inputs, with the model's preprocessing applied (a copy) when it has one. */
  private inputs(argument: string, x: unknown, checkFinite = true): { x: Float32Array; n: number } {
    const data = toInputs(argument, x, this.inputSize, checkFinite);
    return this.preprocess ? { x: this.preprocess.apply(data.x), n: data.n } : data;
  }

  private score(out: Float32Array, labels: Int32Array | null, targets: Float32Array | null): Scores {
    const n = out.length / this.outputSize;
    const extra = (this.compiled?.metricList ?? []).filter((m) => m.key !== 'accuracy' && m.key !== 'loss');
    return {
      loss: crossEntropySum(out, this.outputSize, labels, targets) / n,
      accuracy: countCorrect(out, this.outputSize, labels, targets) / n,
      ...computeMetrics(extra, out, this.outputSize, labels, targets),
    };
  }

  /** What callbacks may do while fit runs (between engine calls: nothing is writing the arenas). */
  private callbackModel() {
    return {
      getWeights: () => this.getWeights(),
      setWeights: (weights: WeightTensor[]) => {
        const busy = this.busy;
        this.busy = false; // fit holds the model, but no engine call runs while a callback does
        try {
          this.setWeights(weights);
        } finally {
          this.busy = busy;
        }
      },
      save: (dir: string) => this.save(dir),
    };
  }

  private checkOut(method: string, options: { out?: Float32Array }, n: number): Float32Array {
    const o = checkObject(`${method}(options)`, options);
    checkKnownKeys(`${method}(options)`, o, ['out']);
    const outValue = o.out;
    if (outValue === undefined) return new Float32Array(n * this.outputSize);
    if (!(outValue instanceof Float32Array)) throw typeError(`${method}(options.out)`, `a Float32Array(${n * this.outputSize})`, outValue);
    if (outValue.length !== n * this.outputSize) throw new ShapeError(`${method}(options.out)`, `${n}·${this.outputSize} values`, describe(outValue));
    return outValue;
  }

  private checkCallbacks(value: unknown, onEpochEnd: unknown): Callback[] {
    const list: Callback[] = [];
    if (value !== undefined) {
      if (!Array.isArray(value)) throw typeError('fit(options.callbacks)', 'an array of callback objects', value);
      value.forEach((cb, i) => {
        if (cb === null || typeof cb !== 'object') throw typeError(`fit(options.callbacks[${i}])`, 'a callback object', cb);
        list.push(cb as Callback);
      });
    }
    if (onEpochEnd !== undefined) {
      if (typeof onEpochEnd !== 'function') throw typeError('fit(options.onEpochEnd)', 'a function (log, control) => void', onEpochEnd);
      list.push({ onEpochEnd: onEpochEnd as Callback['onEpochEnd'] });
    }
    return list;
  }

  private checkUsable(method: string): void {
    if (this.disposed) throw new DownhillError('ERR_DOWNHILL_DISPOSED', `${method}: the model was disposed`);
  }

  private checkCompiled(method: string): Compiled {
    this.checkUsable(method);
    if (!this.compiled) throw new DownhillError('ERR_DOWNHILL_NOT_COMPILED', `${method}: call model.compile({ loss, optimizer }) first`);
    return this.compiled;
  }

  /**
   * Claims the model for one job; the returned function releases it. While fit waits on one
   * of its callbacks the engine is idle, so predict/evaluate may run from inside a callback.
   */
  private acquire(method: string): () => void {
    if (this.busy) {
      if (method !== 'fit' && this.callbackDepth > 0 && !this.nested) {
        this.nested = true;
        return () => void (this.nested = false);
      }
      throw new DownhillError('ERR_DOWNHILL_PLAN_BUSY', `${method}: the model is already running fit or predict (one job at a time)`);
    }
    this.busy = true;
    return () => void (this.busy = false);
  }

  /** Wraps fit's callbacks so the model knows when fit is waiting on one (every hook, sync or async). */
  private guardCallbacks(callbacks: Callback[]): Callback[] {
    return callbacks.map(
      (cb) =>
        new Proxy(cb, {
          get: (target, key, receiver) => {
            const value = Reflect.get(target, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              this.callbackDepth++;
              let result: unknown;
              try {
                result = value.apply(target, args);
              } catch (err) {
                this.callbackDepth--;
                throw err;
              }
              if (result && typeof (result as Promise<unknown>).then === 'function') {
                return (result as Promise<unknown>).finally(() => this.callbackDepth--);
              }
              this.callbackDepth--;
              return result;
            };
          },
        }),
    );
  }



  /** The engine plan, rebuilt when a call needs more rows per batch than it was sized for. */
  private planFor(batch: number): Plan {
    const current = this.planBox.plan;
    if (current && batch <= this.planBatch) return current;
    const maxBatch = Math.max(batch, this.planBatch);
    const widest = Math.max(this.inputSize, ...this.layerSpecs.map((l) => l.units));
    if (maxBatch * widest > MAX_ACTIVATIONS) throw rangeError('batchSize', `at most ${Math.floor(MAX_ACTIVATIONS / widest)} rows for this network`, maxBatch);
    this.disposePlan();
    const optimizer = this.compiled?.optimizer.spec ?? { kind: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };
    const spec: PlanSpec = {
      inputSize: this.inputSize,
      layers: this.layerSpecs,
      loss: this.compiled?.loss ?? 'categoricalCrossentropy',
      optimizer,
      maxBatch,
    };
    const state = this.compiled?.state ?? new Float32Array(0);
    const plan = this.engine.createPlan(spec, { params: this.params, grads: this.grads, state });
    this.planBox.plan = plan;
    this.planBatch = maxBatch;
    livePlans++;
    return plan;
  }

  private disposePlan(): void {
    const plan = this.planBox.plan;
    this.planBox.plan = undefined;
    this.tracked = undefined;
    this.planBatch = 0;
    if (plan) {
      livePlans--;
      plan.dispose();
    }
  }
}

/**
 * Finite inputs and weights can still overflow float32 inside the network (|x| ~ 1e30):
 * report it instead of returning NaN/Inf as if they were predictions.
 */
function checkFiniteOutputs(method: string, out: Float32Array, k: number): void {
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (v - v !== 0) {
      throw new DownhillError(
        'ERR_DOWNHILL_NON_FINITE_OUTPUT',
        `${method}: the output of row ${Math.floor(i / k)} is ${v}: the network overflowed float32 (inputs or weights too large; standardize the inputs)`,
      );
    }
  }
}

/** Engine plans alive in this thread (created and not yet disposed or finalized). */
let livePlans = 0;

/** Frees the plan of a model that was dropped without dispose(). */
const forgotten = new FinalizationRegistry<{ plan?: Plan }>((box) => {
  const plan = box.plan;
  box.plan = undefined;
  if (plan) {
    livePlans--;
    try {
      plan.dispose();
    } catch {
      // A plan still running a job is released by its own finalizer when the job ends.
    }
  }
});

/** Engine plans currently alive in this thread: 0 once every model is disposed or collected. */
export function livePlanCount(): number {
  return livePlans;
}

/**
 * Builds a sequential model; weights are initialised at once from the seed.
 * @example sequential({ inputSize: 784, seed: 42, layers: [dense(128, { activation: 'relu' }), dense(10, { activation: 'softmax' })] })
 */
export function sequential(options: SequentialOptions): Sequential {
  return new Sequential(options);
}

export type { EpochLog, History, Callback };
