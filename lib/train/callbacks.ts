/** Training callbacks and the records fit produces. */

/**
 * One row of the training history. Validation keys are present when validation data was
 * given (validationData or validationSplit); compiled metrics other than accuracy appear as
 * `val<Key>` (valPrecision, valF1, valTop3Accuracy, …), computed on the validation data.
 */
export interface EpochLog {
  /** 1-based epoch number, counted over every fit of the model. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  /** Fraction of training samples classified right during the epoch. */
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  [metric: string]: number | undefined;
}

/** Reported after each engine call (a chunk of batches): the granularity the engine reports at. */
export interface Progress {
  epoch: number;
  /** Steps of this epoch completed so far. */
  step: number;
  /** Known for in-memory data; undefined for a stream. */
  stepsPerEpoch: number | undefined;
  /** Mean loss of the epoch's completed steps. */
  loss: number;
}

/** A weight tensor as getWeights() returns it. */
export interface WeightTensorLike {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The model as callbacks see it while fit runs (between engine calls, so reads and writes are safe). */
export interface CallbackModel {
  getWeights(): WeightTensorLike[];
  setWeights(weights: WeightTensorLike[]): void;
  /** model.save(dir). */
  save(dir: string): Promise<void>;
}

/** Lets a callback steer training. */
export interface TrainingControl {
  /** Ends training after the current epoch. */
  stop(): void;
  /** Multiplies every learning rate from the next step on (the reduceLrOnPlateau callback sets it). Starts at 1. */
  lrScale: number;
  /** The model being trained. */
  model: CallbackModel;
}

export interface Callback {
  onTrainBegin?(control: TrainingControl): void | Promise<void>;
  /** `epoch` is 1-based, as in the logs. */
  onEpochBegin?(epoch: number, control: TrainingControl): void | Promise<void>;
  /** After each engine call (several batches at once for small batches). */
  onBatchEnd?(progress: Progress, control: TrainingControl): void;
  /** Same as onBatchEnd (the name it had first). */
  onProgress?(progress: Progress): void;
  onEpochEnd?(log: EpochLog, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: History, control: TrainingControl): void | Promise<void>;
}

export interface History {
  epochs: EpochLog[];
}
