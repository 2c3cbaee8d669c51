/** Error classes and the one helper that words every validation message. */

/** A runtime failure with a stable `code` (e.g. ERR_DOWNHILL_PLAN_BUSY). */
export class DownhillError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownhillError';
    this.code = code;
  }
}

/** A value whose shape or length does not fit: `{ argument, expected, actual }`. */
export class ShapeError extends RangeError {
  readonly argument: string;
  readonly expected: string;
  readonly actual: string;
  constructor(argument: string, expected: string, actual: string) {
    super(formatMessage(argument, expected, actual));
    this.name = 'ShapeError';
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Training stopped because a loss or gradient stopped being finite. */
export class NonFiniteLossError extends DownhillError {
  readonly epoch: number;
  readonly step: number;
  readonly loss: number;
  constructor(epoch: number, step: number, loss: number) {
    super(
      'ERR_DOWNHILL_NON_FINITE_LOSS',
      `fit: the loss became ${loss} at epoch ${epoch}, step ${step}; training stopped and the weights hold the last finite step (lower the learning rate or check the data for NaN/Inf)`,
    );
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.step = step;
    this.loss = loss;
  }
}

/** The name issue readers and Keras users look for: the same class as NonFiniteLossError. */
export const DivergenceError = NonFiniteLossError;

/** Rejection of an aborted fit, as Node's own APIs do. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** `fit(x): expected …, received …` */
export function formatMessage(argument: string, expected: string, actual: string): string {
  return `${argument}: expected ${expected}, received ${actual}`;
}

/** A short description of any value for an error message: `Float32Array(1000)`, `string "abc"`, `NaN`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'function';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    return 'length' in value ? `${name}(${(value as unknown as { length: number }).length})` : name;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  const ctor = (value as object).constructor;
  return ctor && ctor !== Object ? `${ctor.name} object` : 'object';
}

export function typeError(argument: string, expected: string, value: unknown): TypeError {
  return new TypeError(formatMessage(argument, expected, describe(value)));
}

export function rangeError(argument: string, expected: string, value: unknown): RangeError {
  return new RangeError(formatMessage(argument, expected, describe(value)));
}

/**
 * A checkpoint that cannot be read: missing, truncated, corrupt, of another format version, or
 * not matching the model. `code` says which; `file` names the file.
 */
export class CheckpointError extends DownhillError {
  readonly file: string;
  constructor(code: string, file: string, reason: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${reason}`, options);
    this.name = 'CheckpointError';
    this.file = file;
  }
}

/** A data file that cannot be read as asked: names the file (and row/column where it applies). */
export class DataError extends DownhillError {
  readonly file: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_DOWNHILL_DATA', `${file}: ${reason}`, options);
    this.name = 'DataError';
    this.file = file;
  }
}
