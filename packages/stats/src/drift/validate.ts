// Input checks shared by the drift tests. A NaN has no place in an ordering, so it is always an
// error; infinities are accepted only where the statistic depends on order alone.

export type NumericInput = ArrayLike<number>;

export interface CheckOptions {
  /** Reject ±Infinity too (for statistics that use the values' magnitudes). */
  finite?: boolean;
  /** Smallest accepted length; default 1. */
  minLength?: number;
}

/** Copies `values` into a Float64Array after checking type, length and NaN/Infinity. */
export function toFloat64(values: NumericInput, name: string, options: CheckOptions = {}): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new TypeError(`${name} must be an array of numbers`);
  }
  const minLength = options.minLength ?? 1;
  if (values.length < minLength) {
    throw new RangeError(`${name} must have at least ${minLength} value${minLength === 1 ? '' : 's'}`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}] is not a number`);
    if (Number.isNaN(v)) throw new RangeError(`${name}[${i}] is NaN`);
    if (options.finite && !Number.isFinite(v)) throw new RangeError(`${name}[${i}] is not finite`);
    out[i] = v;
  }
  return out;
}

/** Sorted copy; Float64Array#sort is numeric and much faster than a comparator sort. */
export function sortedCopy(values: NumericInput, name: string, options: CheckOptions = {}): Float64Array {
  return toFloat64(values, name, options).sort();
}
