/** Weight penalties (Keras semantics): the loss gains l1·Σ|w| + l2·Σw², the gradient l1·sign(w) + 2·l2·w. */
import { checkNonNegative, checkObject, checkKnownKeys } from './validate.js';

export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
}

/** L1 penalty l1·Σ|w|. @example dense(64, { kernelRegularizer: l1(1e-4) }) */
export function l1(factor = 0.01): Regularizer {
  return Object.freeze({ l1: checkNonNegative('l1(factor)', factor), l2: 0 });
}

/** L2 penalty l2·Σw² (no ½: Keras's definition). @example dense(64, { kernelRegularizer: l2(1e-4) }) */
export function l2(factor = 0.01): Regularizer {
  return Object.freeze({ l1: 0, l2: checkNonNegative('l2(factor)', factor) });
}

/** Both penalties. @example l1l2({ l1: 1e-5, l2: 1e-4 }) */
export function l1l2(options: { l1?: number; l2?: number } = {}): Regularizer {
  const o = checkObject('l1l2(options)', options);
  checkKnownKeys('l1l2(options)', o, ['l1', 'l2']);
  return Object.freeze({
    l1: o.l1 === undefined ? 0.01 : checkNonNegative('l1l2(options.l1)', o.l1),
    l2: o.l2 === undefined ? 0.01 : checkNonNegative('l1l2(options.l2)', o.l2),
  });
}

/** Checks a regularizer option (null/undefined: none). */
export function toRegularizer(argument: string, value: unknown): Regularizer | null {
  if (value === undefined || value === null) return null;
  const o = checkObject(argument, value);
  checkKnownKeys(argument, o, ['l1', 'l2']);
  return Object.freeze({ l1: checkNonNegative(`${argument}.l1`, o.l1 ?? 0), l2: checkNonNegative(`${argument}.l2`, o.l2 ?? 0) });
}
