/** Training callbacks and the records fit produces. */

/** One row of the training history. Validation keys are present when validationData was given. */
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
}

/** Reported after each engine call (a chunk of batches). */
export interface Progress {
  epoch: number;
  /** Steps of this epoch completed so far. */
  step: number;
  /** Known for in-memory data; undefined for a stream. */
  stepsPerEpoch: number | undefined;
  /** Mean loss of the epoch's completed steps. */
  loss: number;
}

/** Lets a callback end training after the current epoch. */
export interface TrainingControl {
  stop(): void;
}

export interface Callback {
  onTrainBegin?(): void | Promise<void>;
  onProgress?(progress: Progress): void;
  onEpochEnd?(log: EpochLog, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}

export interface History {
  epochs: EpochLog[];
}
