/** The public model: sequential layers over one flat parameter arena, trained by an engine plan. */
import { AbortError, DownhillError, ShapeError, describe, rangeError, typeError } from './errors.js';
import { toInputs } from './data.js';
import { initOptimizerState, lastActivation, paramCount, stateSlots, type LossSpec, type PlanSpec, type Plan, type Engine, type EngineInfo, type LayerSpec, type Targets } from './engine/engine.js';
import { engineChoices, selectEngine, type EngineChoice } from './engine/select.js';
import { MAX_UNITS, type Layer } from './layers.js';
import { toLoss, type Loss } from './losses.js';
import { buildLayerSpecs, initializeParams, layerConfig, namedTensors, type NamedTensor } from './model-layers.js';
import { classCount, lossTargets, rowWeights, toClassWeight, toSampleWeight } from './targets.js';
import type { TargetData } from './data.js';
import { computeMetrics, toMetric, type Metric, type MetricSpec } from './metrics.js';
import { bindOptimizer, type Optimizer } from './optim/optimizer.js';
import { Rng, epochOrder } from './random.js';
import type { Callback, EpochLog, History } from './train/callbacks.js';
import { runFit } from './train/fit.js';
import { runSecondOrderFit } from './train/fit-second-order.js';
import { isSecondOrder, type SecondOrderOptimizer } from './optim/second-order.js';
import { vectorsFor } from './second-order/engine-vectors.js';
import type { MethodState } from './second-order/state.js';
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
/**
 * Below this many multiply-adds (~10–20 µs of native work), `await predict` runs on the calling
 * thread as predictSync does: the hop to the engine's thread and back, with the copies that
 * make the inputs safe there, costs more (~0.07 ms on the development machine) than the forward.
 */
const INLINE_PREDICT_MACS = 1 << 21;

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
  /** A loss name ('categoricalCrossentropy', 'mse', …) or losses.*(…) with settings. */
  loss: Loss;
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
  /** [x, y] or [x, y, sampleWeight] evaluated after each epoch (valLoss, valAccuracy). */
  validationData?: [unknown, unknown] | [unknown, unknown, unknown];
  /** A weight ≥ 0 per row of x: the loss is Σ w·l / Σ w. */
  sampleWeight?: Float32Array | number[];
  /** A weight per class ({ 0: 1, 1: 5 } or an array; classes 0/1 for one output), multiplied into each row's weight. */
  classWeight?: Record<number, number> | number[];
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
  loss: LossSpec;
  optimizer: Optimizer;
  metrics: MetricSpec[];
  /** The validated metrics (keys and options). */
  metricList: Metric[];
  state: Float32Array;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationData', 'callbacks', 'onEpochEnd', 'schedule', 'signal', 'checkFinite', 'validationSplit', 'initialEpoch', 'verbose', 'progressEvery', 'sampleWeight', 'classWeight'];
/** A stream's batches set the batch size, order and weights: no batchSize, shuffle, progressEvery or sampleWeight. */
const STREAM_FIT_KEYS = FIT_KEYS.filter((k) => k !== 'batchSize' && k !== 'shuffle' && k !== 'validationSplit' && k !== 'progressEvery' && k !== 'sampleWeight');

/** One batch of a stream. */
export interface Batch {
  x: Float32Array | number[][];
  y: Targets | Uint8Array | number[] | number[][];
  /** Optional weight ≥ 0 per row. */
  sampleWeight?: Float32Array | number[];
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
  /** Multiply-adds of one row's forward pass through the dense layers. */
  private readonly forwardMacsPerRow: number;
  private readonly layerConfigs: Layer[];
  private readonly names: string[];
  /** Weight tensors in arena order (names, shapes, offsets). */
  private readonly tensors: NamedTensor[];
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
  /**
   * fit's copy of x, held weakly: back-to-back fits (one epoch per call, the usual loop in a
   * pipeline) refill it instead of page-faulting a fresh dataset-sized buffer each time, and
   * the GC may still take it back between fits.
   */
  private fitCopy: WeakRef<Float32Array> | undefined;
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
    const built = buildLayerSpecs('sequential(options.layers)', this.inputSize, layersValue);
    this.layerSpecs = built.specs;
    this.names = built.names;
    this.layerConfigs = [...(layersValue as Layer[])];
    this.tensors = namedTensors(this.layerSpecs, this.names);
    this.outputSize = this.layerSpecs[this.layerSpecs.length - 1].units;
    this.forwardMacsPerRow = this.layerSpecs.reduce((sum, l) => sum + (l.kind === 'dense' ? l.inputs * l.units : 0), 0);
    const count = paramCount({ layers: this.layerSpecs });
    if (count > MAX_PARAMS) throw rangeError('sequential(options.layers)', `at most ${MAX_PARAMS} parameters in all`, count);
    this.engine = selectEngine(choice);
    this.params = new Float32Array(count);
    this.grads = new Float32Array(count);
    forgotten.register(this, this.planBox, this.planBox);
    initializeParams(this.layerSpecs, this.layerConfigs, this.params, new Rng(this.seed));
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
    const loss = toLoss('compile(options.loss)', lossValue);
    this.checkLossFits(loss);
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
    if (isSecondOrder(optimizer)) optimizer.reset();
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
    const classWeight = toClassWeight('fit(options.classWeight)', o.classWeight, classCount(this.outputSize));
    let source: EpochSource;
    let batchSize: number;
    let heldOut: { x: Float32Array; n: number; data: TargetData; weights: Float32Array | null } | undefined;
    const secondOrder = isSecondOrder(compiled.optimizer) ? compiled.optimizer : undefined;
    let arrays: { x: Float32Array; y: Targets; weights: Float32Array | null; n: number; shuffle: boolean } | undefined;
    if (streaming && secondOrder) {
      throw new TypeError(`fit(source): ${secondOrder.name} works on in-memory data (fit(x, y)), received a stream of batches`);
    }
    if (streaming) {
      source = this.streamSource(x, checkFinite, classWeight);
      batchSize = 1;
    } else {
      let data = this.inputs('fit(x)', x, checkFinite);
      let targets = lossTargets('fit(y)', y, data.n, this.outputSize, compiled.loss, checkFinite);
      let sampleWeight = toSampleWeight('fit(options.sampleWeight)', o.sampleWeight, data.n);
      if (validationSplit !== undefined) {
        if (validationData !== undefined) throw new TypeError('fit(options.validationSplit): expected either validationSplit or validationData, received both');
        const split = validationRows(validationSplit, data.n, this.seed);
        const k = this.outputSize;
        const whole = data;
        const wholeWeight = sampleWeight;
        const part = (rows: Int32Array) => ({
          x: takeRows(whole.x, this.inputSize, rows),
          data: { labels: targets.labels && takeRows(targets.labels, 1, rows), targets: targets.targets && takeRows(targets.targets, k, rows) },
          weights: wholeWeight && takeRows(wholeWeight, 1, rows),
        });
        const v = part(split.validation);
        heldOut = { x: v.x, n: split.validation.length, data: v.data, weights: v.weights };
        const t = part(split.train);
        data = { x: t.x, n: split.train.length };
        targets = t.data;
        sampleWeight = t.weights;
      }
      batchSize = batchValue === undefined ? (secondOrder?.fullBatch ? data.n : Math.min(32, data.n)) : checkInteger('fit(options.batchSize)', batchValue, 1);
      if (batchSize > data.n) throw rangeError('fit(options.batchSize)', `an integer in [1, ${data.n}] (the number of rows)`, batchSize);
      if (secondOrder && batchSize < data.n && !secondOrder.miniBatch) {
        throw new RangeError(
          `fit(options.batchSize): ${secondOrder.name} needs the full batch (batchSize ${data.n}, the default for it), received ${batchSize}; create it with { miniBatch: true } to run it on mini-batches`,
        );
      }
      if (this.hasBatchNorm() && (batchSize === 1 || data.n % batchSize === 1)) {
        throw new RangeError(
          `fit(options.batchSize): expected a batch size that leaves no batch of 1 row (batchNorm needs ≥ 2 rows per training batch), received ${batchSize} for ${data.n} rows`,
        );
      }
      const shuffle = shuffleValue === undefined ? true : checkBoolean('fit(options.shuffle)', shuffleValue);
      const yData = targets.labels ?? targets.targets!;
      const weights = rowWeights(sampleWeight, classWeight, targets, data.n, this.outputSize);
      const every = o.progressEvery === undefined ? undefined : checkInteger('fit(options.progressEvery)', o.progressEvery, 1);
      const xs = this.pinnedFitInput(data.x, x);
      const ys = this.pinned(yData, y);
      source = arraySource(xs, ys, weights, data.n, batchSize, shuffle, this.seed, every);
      arrays = { x: xs, y: ys, weights, n: data.n, shuffle };
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
      validate = () => this.scoreOn(v.x, v.n, v.data, v.weights, batchSize);
    }
    if (validationData !== undefined) {
      if (!Array.isArray(validationData) || validationData.length < 2 || validationData.length > 3) {
        throw typeError('fit(options.validationData)', 'an array [x, y] or [x, y, sampleWeight]', validationData);
      }
      const xvRaw = this.inputs('fit(options.validationData[0])', validationData[0], checkFinite);
      const xv = { x: this.pinned(xvRaw.x, validationData[0]), n: xvRaw.n };
      const yv = lossTargets('fit(options.validationData[1])', validationData[1], xv.n, this.outputSize, compiled.loss, checkFinite);
      const wv = toSampleWeight('fit(options.validationData[2])', validationData[2], xv.n);
      validate = () => this.scoreOn(xv.x, xv.n, yv, wv, batchSize);
    }
    if ((signal as AbortSignal | undefined)?.aborted) throw new AbortError('fit was aborted', { cause: (signal as AbortSignal).reason });
    const release = this.acquire('fit');
    bindOptimizer(compiled.optimizer, { state: compiled.state, paramCount: this.params.length, counters: this.counters, schedule: lrs.schedule });
    if (initialEpoch !== undefined) this.counters.epochs = initialEpoch;
    try {
      if (secondOrder && arrays) return await this.fitSecondOrder(secondOrder, arrays, batchSize, epochs - (initialEpoch ?? 0), callbacks, signal as AbortSignal | undefined, validate);
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
  private streamSource(source: BatchSource, checkFinite: boolean, classWeight: Float64Array | null): EpochSource {
    const loss = this.compiled!.loss;
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
      checkKnownKeys(arg, batch as Record<string, unknown>, ['x', 'y', 'sampleWeight']);
      const { x: bx, y: by, sampleWeight: bw } = batch as { x?: unknown; y?: unknown; sampleWeight?: unknown };
      const data = this.inputs(`${arg}.x`, bx, checkFinite);
      const t = lossTargets(`${arg}.y`, by, data.n, this.outputSize, loss, checkFinite);
      const weights = rowWeights(toSampleWeight(`${arg}.sampleWeight`, bw, data.n), classWeight, t, data.n, this.outputSize);
      if (data.n === 1 && this.hasBatchNorm()) throw new RangeError(`${arg}: expected ≥ 2 rows (batchNorm normalises over the batch), received 1 row`);
      return { x: data.x, labels: t.labels, targets: t.targets, weights, n: data.n };
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
      if (this.engine.name === 'native' && data.n * this.forwardMacsPerRow <= INLINE_PREDICT_MACS) {
        this.planFor(Math.min(data.n, DEFAULT_PREDICT_BATCH)).predictSync(data.x, out);
        checkFiniteOutputs('predict', out, this.outputSize);
        return out;
      }
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
  async evaluate(x: Float32Array | number[][], y: Targets | Uint8Array | number[] | number[][], options: { sampleWeight?: Float32Array | number[] } = {}): Promise<Scores> {
    const compiled = this.checkCompiled('evaluate');
    const data = this.inputs('evaluate(x)', x);
    const targets = lossTargets('evaluate(y)', y, data.n, this.outputSize, compiled.loss);
    const o = checkObject('evaluate(options)', options);
    checkKnownKeys('evaluate(options)', o, ['sampleWeight']);
    const weights = toSampleWeight('evaluate(options.sampleWeight)', o.sampleWeight, data.n);
    const release = this.acquire('evaluate');
    try {
      return await this.scoreOn(this.pinned(data.x, x, true), data.n, targets, weights, Math.min(data.n, DEFAULT_PREDICT_BATCH));
    } finally {
      release();
    }
  }

  /**
   * Copies of every weight tensor in arena order: dense `<layer>/kernel` [in, out] and `/bias`
   * [out]; batchNorm `/gamma`, `/beta`, `/runningMean`, `/runningVar`; layerNorm `/gamma`, `/beta`.
   */
  getWeights(): WeightTensor[] {
    this.checkUsable('getWeights');
    return this.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: this.params.slice(t.offset, t.offset + t.length) }));
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
    const methodState = compiled && isSecondOrder(compiled.optimizer) ? compiled.optimizer.methodState() : null;
    if (methodState) {
      for (const [key, v] of Object.entries(methodState.vectors)) tensors.push({ name: `optimizer/state/${key}`, shape: [v.length], data: Float32Array.from(v) });
    }
    if (this.preprocess) {
      tensors.push({ name: 'preprocess/shift', shape: [this.inputSize], data: this.preprocess.shift.slice() });
      tensors.push({ name: 'preprocess/scale', shape: [this.inputSize], data: this.preprocess.scale.slice() });
    }
    const model = {
      inputSize: this.inputSize,
      seed: this.seed,
      preprocess: this.preprocess?.kind ?? null,
      layers: this.layerConfigs.map((l, i) => layerConfig(l, this.names[i])),
      compile: compiled
        ? {
            loss: compiled.loss,
            metrics: compiled.metrics,
            optimizer: { name: compiled.optimizer.name, lr: compiled.optimizer.lr, spec: isSecondOrder(compiled.optimizer) ? compiled.optimizer.settings : compiled.optimizer.spec },
            // The learning-rate schedule's position (e.g. reduceLrOnPlateau's best and patience count).
            schedule: compiled.optimizer.stateDict().schedule ?? null,
            // A second-order method's numbers (its vectors are the optimizer/state/* tensors).
            ...(methodState ? { methodState: { scalars: methodState.scalars, vectors: Object.keys(methodState.vectors) } } : {}),
          }
        : null,
      counters: { ...this.counters },
    };
    return { model, tensors };
  }

  /** @internal Used by loadModel: restores a second-order method's saved state. */
  restoreMethodState(state: MethodState): void {
    const compiled = this.checkCompiled('restoreMethodState');
    if (!isSecondOrder(compiled.optimizer)) throw new TypeError('restoreMethodState: the model is not compiled with a second-order optimizer');
    compiled.optimizer.method({ layers: this.layerSpecs }).importState(state, this.params.length);
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
      evaluate: (x, y, weights, out) => plan.evaluate(x, y, weights, out),
      lossAndGrad: (x, y, indices, options) => plan.lossAndGrad(x, y, indices, options),
      hessianVector: plan.hessianVector && ((x, y, indices, v, out, options) => plan.hessianVector!(x, y, indices, v, out, options)),
      cancel: () => plan.cancel(),
      dispose: () => plan.dispose(),
    };
    this.tracked = { plan, wrapper };
    return wrapper;
  }

  /** One row per layer: name, kind, activation ('' for layers without one), output width, parameter count and trainable parameters. */
  layerSummary(): { name: string; kind: string; activation: string; outputs: number; params: number; trainableParams: number }[] {
    return this.layerSpecs.map((l, i) => {
      const own = this.tensors.filter((t) => t.name.startsWith(`${this.names[i]}/`));
      return {
        name: this.names[i],
        kind: l.kind,
        activation: l.kind === 'dense' || l.kind === 'activation' ? l.activation : '',
        outputs: l.units,
        params: own.reduce((sum, t) => sum + t.length, 0),
        trainableParams: own.reduce((sum, t) => sum + (t.trainable ? t.length : 0), 0),
      };
    });
  }

  /**
   * A table of the layers, their output shapes and parameter counts, with the totals
   * (trainable and not: frozen layers and batchNorm's running statistics).
   * @example console.log(model.summary())
   */
  summary(): string {
    const layers = this.layerSummary();
    const rows = layers.map((r) => [`${r.name} (${r.kind}${r.activation ? `, ${r.activation}` : ''})`, `[n, ${r.outputs}]`, r.params.toLocaleString('en-US')]);
    const header = ['layer', 'output shape', 'params'];
    const all = [[`input`, `[n, ${this.inputSize}]`, '0'], ...rows];
    const widths = header.map((h, c) => Math.max(h.length, ...all.map((r) => r[c].length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const total = this.params.length;
    const trainable = layers.reduce((sum, r) => sum + r.trainableParams, 0);
    const fmt = (v: number) => v.toLocaleString('en-US');
    return [
      line(header), rule, ...all.map(line), rule,
      `total params: ${fmt(total)}`,
      `trainable params: ${fmt(trainable)}`,
      `non-trainable params: ${fmt(total - trainable)}`,
    ].join('\n');
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
      layers: this.layerConfigs.slice(0, layer + 1).map((l, i) => ({ ...l, name: this.names[i] })),
    });
    try {
      const kept = new Set(this.names.slice(0, layer + 1));
      head.setWeights(this.getWeights().filter((w) => kept.has(w.name.slice(0, w.name.lastIndexOf('/')))));
      return await head.predict(data.x);
    } finally {
      head.dispose();
    }
  }

  /**
   * The network as an ONNX model (opset 20, every layer of the catalog): input "input" [N, inputSize], output "output".
   * @example await writeFile('model.onnx', model.toOnnx())
   */
  toOnnx(): Uint8Array {
    this.checkUsable('toOnnx');
    const weights = new Map(this.getWeights().map((w) => [w.name, w.data]));
    return encodeOnnx(
      this.inputSize,
      this.layerSpecs.map((spec, i) => {
        const prefix = `${this.names[i]}/`;
        const tensors: Record<string, Float32Array> = {};
        for (const [name, data] of weights) if (name.startsWith(prefix)) tensors[name.slice(prefix.length)] = data;
        return { name: this.names[i], spec, tensors };
      }),
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

  /** `pinned` for fit's inputs, into the weakly held reusable copy when fit is not already running. */
  private pinnedFitInput(view: Float32Array, user: unknown): Float32Array {
    if (this.engine.name !== 'native' || view !== user || view.buffer instanceof SharedArrayBuffer || this.busy) return this.pinned(view, user);
    let buffer = this.fitCopy?.deref();
    if (!buffer || buffer.length < view.length) {
      buffer = new Float32Array(view.length);
      this.fitCopy = new WeakRef(buffer);
    }
    const copy = buffer.subarray(0, view.length);
    // On the engine's threads when it has them: half the time, and each core's caches get part of the rows.
    if (this.engine.vectors) this.engine.vectors.copy(view, copy);
    else copy.set(view);
    return copy;
  }

  /** A reused buffer for async native output that is then copied to the caller's `out`. */
  private scratchOut(length: number): Float32Array {
    if (this.scratch.output.length < length) this.scratch.output = new Float32Array(length);
    return this.scratch.output.subarray(0, length);
  }

  /** Checked inputs, with the model's preprocessing applied (a copy) when it has one. */
  private inputs(argument: string, x: unknown, checkFinite = true): { x: Float32Array; n: number } {
    const data = toInputs(argument, x, this.inputSize, checkFinite, this.engine.vectors?.maxAbs);
    return this.preprocess ? { x: this.preprocess.apply(data.x), n: data.n } : data;
  }

  /** fit with a second-order optimizer: whole batches, one optimizer step each per epoch. */
  private fitSecondOrder(
    optimizer: SecondOrderOptimizer,
    data: { x: Float32Array; y: Targets; weights: Float32Array | null; n: number; shuffle: boolean },
    batchSize: number,
    epochs: number,
    callbacks: Callback[],
    signal: AbortSignal | undefined,
    validate: (() => Promise<Scores>) | undefined,
  ): Promise<History> {
    const plan = () => this.trackTraining(this.planFor(batchSize));
    if (optimizer.needsHessian && !plan().hessianVector) throw new TypeError(`compile(options.optimizer): ${optimizer.name} needs Hessian-vector products, which the ${this.engine.name} engine does not provide`);
    const order = new Int32Array(data.n);
    const params = this.params;
    const grads = this.grads;
    const method = optimizer.method({ layers: this.layerSpecs });
    return runSecondOrderFit({
      method,
      vec: vectorsFor(this.engine),
      objectiveFor: (indices, step, sig) => ({
        params,
        evaluate: async (g, factors) => {
          if (sig?.aborted) throw new AbortError('fit was aborted', { cause: sig.reason });
          const loss = plan().lossAndGrad(data.x, data.y, indices, { weights: data.weights, training: true, step, factors });
          g.set(grads);
          await new Promise((resolve) => setImmediate(resolve));
          return loss;
        },
        hessianVector: optimizer.needsHessian
          ? async (v, out) => {
              if (sig?.aborted) throw new AbortError('fit was aborted', { cause: sig.reason });
              plan().hessianVector!(data.x, data.y, indices, v as Float32Array, out as Float32Array, { weights: data.weights, training: true, step });
              await new Promise((resolve) => setImmediate(resolve));
            }
          : undefined,
      }),
      batches: (epoch) => {
        epochOrder(data.n, this.seed, epoch, data.shuffle && batchSize < data.n, order);
        const list: Int32Array[] = [];
        for (let start = 0; start < data.n; start += batchSize) list.push(order.subarray(start, Math.min(data.n, start + batchSize)));
        return list;
      },
      epochs,
      counters: this.counters,
      trainAccuracy: async () => (await plan().evaluate(data.x, data.y, data.weights, null)).correct / data.n,
      validate,
      callbacks: this.guardCallbacks(callbacks),
      signal,
      model: this.callbackModel(),
      lr: optimizer.lr,
    });
  }

  /** Loss (from the engine, as training computes it), accuracy and the compiled metrics over n rows. */
  private async scoreOn(x: Float32Array, n: number, data: TargetData, weights: Float32Array | null, batch: number): Promise<Scores> {
    const out = new Float32Array(n * this.outputSize);
    const y = data.labels ?? data.targets!;
    const result = await this.planFor(batch).evaluate(x, y, weights, out);
    checkFiniteOutputs('evaluate', out, this.outputSize);
    const extra = (this.compiled?.metricList ?? []).filter((m) => m.key !== 'accuracy' && m.key !== 'loss');
    if (extra.length === 0) return { loss: result.loss, accuracy: result.correct / n };
    const binary = this.outputSize === 1 ? binaryAsTwoClasses(out, data.targets!, this.compiled!.loss) : undefined;
    return {
      loss: result.loss,
      accuracy: result.correct / n,
      ...(binary ? computeMetrics(extra, binary.p, 2, binary.labels, null) : computeMetrics(extra, out, this.outputSize, data.labels, data.targets)),
    };
  }

  /** The loss must suit the output layer (RangeError naming compile(options.loss) otherwise). */
  private checkLossFits(loss: LossSpec): void {
    const k = this.outputSize;
    const act = lastActivation({ layers: this.layerSpecs });
    const arg = 'compile(options.loss)';
    if ((loss.kind === 'categoricalCrossentropy' || loss.kind === 'categoricalHinge') && k < 2) {
      throw new RangeError(`${arg}: expected ≥ 2 outputs for '${loss.kind}', received a network with 1 output (use 'binaryCrossentropy' or 'hinge' for two classes)`);
    }
    if (loss.fromLogits && (act === 'softmax' || act === 'sigmoid')) {
      throw new RangeError(`${arg}: fromLogits expects raw scores, received a network whose last layer applies '${act}' (drop the activation or fromLogits)`);
    }
    if (loss.kind === 'kullbackLeiblerDivergence' && act !== 'softmax' && act !== 'sigmoid') {
      throw new RangeError(`${arg}: expected probabilities (a softmax or sigmoid last layer) for 'kullbackLeiblerDivergence', received a '${act}' last layer`);
    }
    if (loss.kind === 'binaryCrossentropy' && !loss.fromLogits && act !== 'sigmoid' && act !== 'softmax' && act !== 'hardSigmoid') {
      throw new RangeError(`${arg}: expected probabilities (a sigmoid last layer) for 'binaryCrossentropy', received a '${act}' last layer (or pass losses.binaryCrossentropy({ fromLogits: true }))`);
    }
    if (loss.kind === 'categoricalCrossentropy' && !loss.fromLogits && act !== 'softmax' && act !== 'sigmoid') {
      throw new RangeError(`${arg}: expected probabilities (a softmax last layer) for 'categoricalCrossentropy', received a '${act}' last layer (or pass losses.categoricalCrossentropy({ fromLogits: true }))`);
    }
  }

  private hasBatchNorm(): boolean {
    return this.layerSpecs.some((l) => l.kind === 'batchNorm');
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
      loss: this.compiled?.loss ?? { kind: 'meanSquaredError', fromLogits: false, labelSmoothing: 0, delta: 1 },
      optimizer,
      maxBatch,
      seed: this.seed >>> 0,
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

/**
 * One-output (binary) results as two classes for the class metrics: class 1 when t > 0.5, its
 * score the probability o (or sigmoid(o) for logits and hinge outputs, thresholded at 0).
 */
function binaryAsTwoClasses(out: Float32Array, targets: Float32Array, loss: LossSpec): { p: Float32Array; labels: Int32Array } {
  const logits = loss.fromLogits || loss.kind === 'hinge' || loss.kind === 'squaredHinge';
  const p = new Float32Array(out.length * 2);
  const labels = new Int32Array(out.length);
  for (let i = 0; i < out.length; i++) {
    const score = logits ? 1 / (1 + Math.exp(-out[i])) : out[i];
    p[2 * i] = 1 - score;
    p[2 * i + 1] = score;
    labels[i] = targets[i] > 0.5 ? 1 : 0;
  }
  return { p, labels };
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
