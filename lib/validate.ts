/** Argument checks shared by the public API. Each throws a TypeError/RangeError naming the argument. */
import { rangeError, typeError } from './errors.js';

export function checkObject(argument: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw typeError(argument, 'an object', value);
  return value as Record<string, unknown>;
}

/** Reads one option once (a getter is called once) and checks it is a finite number. */
export function checkNumber(argument: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(argument, 'a number', value);
  if (!Number.isFinite(value)) throw rangeError(argument, 'a finite number', value);
  return value;
}

export function checkInteger(argument: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(argument, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw rangeError(argument, range, value);
  }
  return value;
}

/** A number in [min, max] (or [min, max) when `maxOpen`). */
export function checkInRange(argument: string, value: unknown, min: number, max: number, maxOpen = false): number {
  const v = checkNumber(argument, value);
  if (v < min || (maxOpen ? v >= max : v > max)) {
    throw rangeError(argument, `a number in [${min}, ${max}${maxOpen ? ')' : ']'}`, v);
  }
  return v;
}

export function checkPositive(argument: string, value: unknown): number {
  const v = checkNumber(argument, value);
  if (!(v > 0)) throw rangeError(argument, 'a number > 0', v);
  return v;
}

export function checkNonNegative(argument: string, value: unknown): number {
  const v = checkNumber(argument, value);
  if (!(v >= 0)) throw rangeError(argument, 'a number ≥ 0', v);
  return v;
}

export function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(argument, 'a boolean', value);
  return value;
}

export function checkOneOf<T extends string>(argument: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    const expected = `one of ${options.map((o) => `'${o}'`).join(', ')}`;
    throw (typeof value === 'string' ? rangeError : typeError)(argument, expected, value);
  }
  return value as T;
}

/** Throws when an options object has keys this call does not know (typos must not pass silently). */
export function checkKnownKeys(argument: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${argument}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
}

/** True when the typed array's buffer has been detached (transferred). */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  return view.byteLength === 0 && buffer.byteLength === 0 && (view as unknown as { length: number }).length !== 0;
}
