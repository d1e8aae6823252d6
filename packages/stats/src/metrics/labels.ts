// Class labels shared by the classification metrics and the agreement statistics: numbers or
// strings, never both in one call (scikit-learn refuses the mix too), ordered as numpy.unique
// orders them (numbers ascending, strings by code point).

export type Label = string | number;

/** Throws unless `values` is an array of strings or finite numbers. */
export function checkLabels(values: readonly Label[], name: string): void {
  if (!Array.isArray(values as unknown)) throw new TypeError(`${name} must be an array of labels`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      if (Number.isNaN(v)) throw new RangeError(`${name}[${i}] is NaN`);
      if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] is not a finite label`);
    } else if (typeof v !== 'string') {
      throw new TypeError(`${name}[${i}] must be a string or a number`);
    }
  }
}

/** Throws unless both arrays are label arrays of one non-zero length. */
export function checkPair(a: readonly Label[], b: readonly Label[], names: [string, string]): void {
  checkLabels(a, names[0]);
  checkLabels(b, names[1]);
  if (a.length !== b.length) {
    throw new RangeError(`${names[0]} and ${names[1]} differ in length (${a.length} vs ${b.length})`);
  }
  if (a.length === 0) throw new RangeError(`${names[0]} and ${names[1]} must not be empty`);
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Orders labels as numpy does; throws TypeError for a mix of numbers and strings. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a !== typeof b) throw new TypeError('labels mix numbers and strings');
  if (typeof a === 'number') return a - (b as number);
  return compareCodePoints(a, b as string);
}

/** Sorted distinct labels of all the given arrays (sklearn's unique_labels). */
export function uniqueLabels(...arrays: readonly (readonly Label[])[]): Label[] {
  const seen = new Set<Label>();
  for (const arr of arrays) for (const v of arr) seen.add(v);
  return [...seen].sort(compareLabels);
}

/** Label -> position lookup. */
export function labelIndex(labels: readonly Label[]): Map<Label, number> {
  return new Map(labels.map((l, i) => [l, i]));
}

/** Checks user-supplied labels: a non-empty, duplicate-free array of labels. */
export function checkLabelList(labels: readonly Label[], name: string): void {
  checkLabels(labels, name);
  if (labels.length === 0) throw new RangeError(`${name} must not be empty`);
  if (new Set(labels).size !== labels.length) throw new RangeError(`${name} contains duplicates`);
  uniqueLabels(labels);
}

/**
 * Positive class for binary metrics when none is given: 1 if every label is 0/1 (or -1/1),
 * as scikit-learn and fairlearn choose it; otherwise the caller must say.
 */
export function defaultPositive(labels: readonly Label[], fn: string): Label {
  const ok = labels.every((l) => l === 0 || l === 1) || labels.every((l) => l === -1 || l === 1);
  if (!ok) {
    throw new RangeError(
      `${fn}: labels are not {0, 1} or {-1, 1}; pass positiveLabel (found ${labels.join(', ')})`,
    );
  }
  return 1;
}
