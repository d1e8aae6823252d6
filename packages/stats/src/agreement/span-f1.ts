// Agreement on spans as the F-measure between two annotators (Hripcsak & Rothschild 2005,
// "Agreement, the F-measure, and reliability in information retrieval", JAMIA 12(3)): kappa
// needs a count of negatives, which spans over free text do not have, and F1 is symmetric in
// the two annotators, so either may play the reference.

/** A labelled span of characters, `start` inclusive and `end` exclusive. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

export type SpanMatch = 'exact' | 'overlap';

export interface SpanAgreement {
  /** Share of b's spans matched by one of a's. */
  precision: number;
  /** Share of a's spans matched by one of b's. */
  recall: number;
  f1: number;
}

/**
 * Pooled (micro) precision, recall and F1 of b's spans against a's over a list of items.
 * 'exact': same start, end and label; 'overlap': same label and at least one shared character.
 * Throws RangeError when neither annotator marked any span (F1 is then undefined), TypeError
 * for a malformed span.
 */
export function spanF1(
  items: readonly { a: readonly Span[]; b: readonly Span[] }[],
  match: SpanMatch = 'exact',
): SpanAgreement {
  if (match !== 'exact' && match !== 'overlap') {
    throw new RangeError(`spanF1: unknown match '${String(match)}'`);
  }
  let aTotal = 0;
  let bTotal = 0;
  let aMatched = 0;
  let bMatched = 0;
  for (const [i, item] of items.entries()) {
    const a = dedupe(item.a, `spanF1: items[${i}].a`);
    const b = dedupe(item.b, `spanF1: items[${i}].b`);
    const hit = (x: Span, y: Span) =>
      x.label === y.label &&
      (match === 'exact' ? x.start === y.start && x.end === y.end : x.start < y.end && y.start < x.end);
    aTotal += a.length;
    bTotal += b.length;
    for (const x of a) if (b.some((y) => hit(x, y))) aMatched += 1;
    for (const y of b) if (a.some((x) => hit(x, y))) bMatched += 1;
  }
  if (aTotal + bTotal === 0) throw new RangeError('spanF1: neither annotator marked a span');
  const precision = bTotal === 0 ? 0 : bMatched / bTotal;
  const recall = aTotal === 0 ? 0 : aMatched / aTotal;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** Checks the spans and drops repeats: marking the same span twice is marking it once. */
function dedupe(spans: readonly Span[], name: string): Span[] {
  if (!Array.isArray(spans as unknown)) throw new TypeError(`${name} must be an array of spans`);
  const seen = new Map<string, Span>();
  for (const [j, s] of spans.entries()) {
    if (
      typeof s !== 'object' ||
      s === null ||
      !Number.isInteger(s.start) ||
      !Number.isInteger(s.end) ||
      typeof s.label !== 'string'
    ) {
      throw new TypeError(`${name}[${j}] must be { start, end, label } with integer offsets`);
    }
    if (s.start < 0 || s.end <= s.start) {
      throw new RangeError(`${name}[${j}] must have 0 <= start < end`);
    }
    seen.set(`${s.start}\u0000${s.end}\u0000${s.label}`, s);
  }
  return [...seen.values()];
}
