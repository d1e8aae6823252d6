import type {
  AgreementReport,
  LabelQuestion,
  LabelSchema,
  LabelValue,
  PairAgreement,
  QuestionAgreement,
} from '@plumb/sdk';
import {
  cohenKappa,
  fleissKappaFromRatings,
  krippendorffAlpha,
  type Label,
  pairwiseAgreement,
  percentAgreement,
  type Span,
  spanF1,
} from '@plumb/stats';

/** One item's labels, by annotator. */
export interface LabelledItem {
  labels: { annotator: string; value: LabelValue }[];
}

type Level = QuestionAgreement['level'];

export function levelOf(q: LabelQuestion): Level {
  switch (q.type) {
    case 'single_choice':
    case 'multiple_choice':
      return 'nominal';
    case 'scale':
      return q.level;
    case 'span':
      return 'span';
    case 'free_text':
      return 'none';
  }
}

/** An answer as one comparable value for the nominal, ordinal and interval coefficients. */
function keyOf(q: LabelQuestion, v: unknown): Label {
  return q.type === 'scale' ? (v as number) : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A coefficient that is undefined for these labels (a single category, no pairable unit) is null. */
function defined(f: () => number): number | null {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/**
 * Agreement per question, over the items at least two annotators labelled, and per pair of
 * annotators over the items both labelled; every figure comes from @plumb/stats. Fleiss' κ
 * needs the same number of ratings per item, so it uses the items labelled `overlap` times.
 */
export function agreementReport(
  schema: LabelSchema,
  items: LabelledItem[],
  overlap: number,
): AgreementReport {
  const shared = items.filter((i) => i.labels.length >= 2);
  const annotators = [...new Set(shared.flatMap((i) => i.labels.map((l) => l.annotator)))].sort();
  return { questions: schema.questions.map((q) => questionAgreement(q, shared, annotators, overlap)) };
}

function questionAgreement(
  q: LabelQuestion,
  items: LabelledItem[],
  annotators: string[],
  overlap: number,
): QuestionAgreement {
  const level = levelOf(q);
  const none = {
    percentAgreement: null,
    fleissKappa: null,
    krippendorffAlpha: null,
    spanF1Exact: null,
    spanF1Overlap: null,
  };
  const base = { question: q.name, type: q.type, level, items: items.length };
  if (level === 'none' || items.length === 0) return { ...base, ...none, pairs: [] };
  const keys = items.map((i) => i.labels.map((l) => keyOf(q, l.value[q.name])));
  const pairs: PairAgreement[] = [];
  const spanPairs: { a: Span[]; b: Span[] }[] = [];
  for (let x = 0; x < annotators.length; x++) {
    for (let y = x + 1; y < annotators.length; y++) {
      const a = annotators[x]!;
      const b = annotators[y]!;
      const both = items.flatMap((i) => {
        const la = i.labels.find((l) => l.annotator === a);
        const lb = i.labels.find((l) => l.annotator === b);
        return la && lb ? [{ a: la.value[q.name], b: lb.value[q.name] }] : [];
      });
      if (both.length === 0) continue;
      const ka = both.map((p) => keyOf(q, p.a));
      const kb = both.map((p) => keyOf(q, p.b));
      const spans = level === 'span' ? both.map((p) => ({ a: p.a as Span[], b: p.b as Span[] })) : [];
      spanPairs.push(...spans);
      pairs.push({
        a,
        b,
        items: both.length,
        percentAgreement: percentAgreement(ka, kb),
        cohenKappa: level === 'span' ? null : defined(() => cohenKappa(ka, kb, kappaOptions(q))),
        spanF1Exact: level === 'span' ? defined(() => spanF1(spans, 'exact').f1) : null,
        spanF1Overlap: level === 'span' ? defined(() => spanF1(spans, 'overlap').f1) : null,
      });
    }
  }
  const full = keys.filter((k) => k.length === overlap);
  const units = items.map((i) => new Map(i.labels.map((l) => [l.annotator, keyOf(q, l.value[q.name])])));
  return {
    ...base,
    percentAgreement: pairwiseAgreement(keys),
    fleissKappa:
      level === 'span' || overlap < 2 || full.length === 0
        ? null
        : defined(() => fleissKappaFromRatings(full)),
    krippendorffAlpha:
      level === 'span'
        ? null
        : defined(() =>
            krippendorffAlpha(
              annotators.map((a) => units.map((u) => u.get(a) ?? null)),
              { level: level as 'nominal' | 'ordinal' | 'interval' },
            ),
          ),
    spanF1Exact: level === 'span' ? defined(() => spanF1(spanPairs, 'exact').f1) : null,
    spanF1Overlap: level === 'span' ? defined(() => spanF1(spanPairs, 'overlap').f1) : null,
    pairs,
  };
}

/** Ordinal scales weigh disagreements by distance, interval ones by squared distance. */
function kappaOptions(q: LabelQuestion): Parameters<typeof cohenKappa>[2] {
  if (q.type !== 'scale') return {};
  const labels = Array.from({ length: q.max - q.min + 1 }, (_, i) => q.min + i);
  return { labels, weights: q.level === 'interval' ? 'quadratic' : 'linear' };
}

/**
 * One item's agreement: the lowest over the compared questions of the share of agreeing
 * annotator pairs (for spans, the mean pairwise exact F1, two empty answers agreeing). Null
 * with fewer than two labels or nothing to compare.
 */
export function itemAgreement(schema: LabelSchema, values: LabelValue[]): number | null {
  if (values.length < 2) return null;
  let lowest: number | null = null;
  for (const q of schema.questions) {
    const level = levelOf(q);
    if (level === 'none') continue;
    let share: number;
    if (level === 'span') {
      let sum = 0;
      let n = 0;
      for (let x = 0; x < values.length; x++) {
        for (let y = x + 1; y < values.length; y++) {
          const a = values[x]![q.name] as Span[];
          const b = values[y]![q.name] as Span[];
          sum += a.length + b.length === 0 ? 1 : spanF1([{ a, b }], 'exact').f1;
          n += 1;
        }
      }
      share = sum / n;
    } else {
      share = pairwiseAgreement([values.map((v) => keyOf(q, v[q.name]))]);
    }
    lowest = lowest === null ? share : Math.min(lowest, share);
  }
  return lowest;
}

/**
 * The majority answer per question and the smallest majority share among the compared
 * questions; a tie for first place has no majority (share 0). Spans in the consensus are those
 * more than half the annotators marked exactly; free text takes its most common answer.
 */
export function majority(schema: LabelSchema, values: LabelValue[]): { value: LabelValue; share: number } {
  const value: LabelValue = {};
  let share = 1;
  const n = values.length;
  for (const q of schema.questions) {
    if (q.type === 'span') {
      const counts = new Map<string, { span: Span; n: number }>();
      for (const v of values) {
        for (const s of v[q.name] as Span[]) {
          const k = `${s.start}:${s.end}:${s.label}`;
          counts.set(k, { span: s, n: (counts.get(k)?.n ?? 0) + 1 });
        }
      }
      value[q.name] = [...counts.values()]
        .filter((c) => c.n * 2 > n)
        .map((c) => c.span)
        .sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : 1));
      continue;
    }
    const counts = new Map<string, { answer: unknown; n: number }>();
    for (const v of values) {
      const k = JSON.stringify(v[q.name]);
      counts.set(k, { answer: v[q.name], n: (counts.get(k)?.n ?? 0) + 1 });
    }
    const ranked = [...counts.values()].sort((a, b) => b.n - a.n);
    const top = ranked[0]!;
    const tie = ranked.length > 1 && ranked[1]!.n === top.n;
    value[q.name] = tie && q.type === 'free_text' ? null : top.answer;
    if (q.type !== 'free_text') share = Math.min(share, tie ? 0 : top.n / n);
  }
  return { value, share };
}
