// Krippendorff's alpha from the coincidence matrix, following Krippendorff (2011), "Computing
// Krippendorff's Alpha-Reliability" (Annenberg School for Communication, University of
// Pennsylvania): α = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
import { compareLabels, type Label } from '../metrics/labels.js';

export type MeasurementLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export interface KrippendorffOptions {
  /** Metric for the differences δ²; default 'nominal'. */
  level?: MeasurementLevel;
}

/**
 * α for `data` given as coders x units, `null` (or undefined) marking a missing value. Units
 * with fewer than two values are not pairable and are ignored. 'nominal' accepts strings or
 * numbers; 'ordinal' and 'interval' need numbers (ordinal uses only their order), 'ratio'
 * numbers >= 0. Throws RangeError when no unit has two values or only one distinct value is
 * pairable (expected disagreement 0, α undefined), TypeError for ragged data or bad values.
 */
export function krippendorffAlpha(
  data: readonly (readonly (Label | null | undefined)[])[],
  options: KrippendorffOptions = {},
): number {
  const level = options.level ?? 'nominal';
  if (!['nominal', 'ordinal', 'interval', 'ratio'].includes(level)) {
    throw new RangeError(`krippendorffAlpha: unknown level '${String(level)}'`);
  }
  if (!Array.isArray(data as unknown) || data.length === 0) {
    throw new TypeError('krippendorffAlpha: data must be a non-empty array of coders');
  }
  const units = data[0]?.length ?? 0;
  for (const [c, row] of data.entries()) {
    if (!Array.isArray(row as unknown) || row.length !== units) {
      throw new TypeError(`krippendorffAlpha: coder ${c} must rate all ${units} units (null when missing)`);
    }
    for (const [u, v] of row.entries()) {
      if (v === null || v === undefined) continue;
      if (level === 'nominal' ? typeof v !== 'string' && typeof v !== 'number' : typeof v !== 'number') {
        throw new TypeError(
          `krippendorffAlpha: data[${c}][${u}] must be a ${level === 'nominal' ? 'label' : 'number'}`,
        );
      }
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new RangeError(`krippendorffAlpha: data[${c}][${u}] is not finite`);
      }
      if (level === 'ratio' && (v as number) < 0) {
        throw new RangeError(`krippendorffAlpha: data[${c}][${u}] is negative, not on a ratio scale`);
      }
    }
  }

  // Pairable values per unit.
  const pairable: Label[][] = [];
  const seen = new Set<Label>();
  for (let u = 0; u < units; u++) {
    const vals: Label[] = [];
    for (const row of data) {
      const v = row[u];
      if (v !== null && v !== undefined) vals.push(v);
    }
    if (vals.length >= 2) {
      pairable.push(vals);
      for (const v of vals) seen.add(v);
    }
  }
  if (pairable.length === 0) throw new RangeError('krippendorffAlpha: no unit has two or more values');
  const values = [...seen].sort(compareLabels);
  const k = values.length;
  const index = new Map(values.map((v, i) => [v, i]));

  // Coincidence matrix: each ordered pair of values within a unit, weighted 1 / (m_u - 1).
  const o = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const vals of pairable) {
    const m = vals.length;
    const counts = new Map<number, number>();
    for (const v of vals) counts.set(index.get(v)!, (counts.get(index.get(v)!) ?? 0) + 1);
    for (const [c, nc] of counts) {
      for (const [d, nd] of counts) o[c]![d]! += (c === d ? nc * (nc - 1) : nc * nd) / (m - 1);
    }
  }
  const n = o.map((row) => row.reduce((s, v) => s + v, 0));
  const total = n.reduce((s, v) => s + v, 0);

  const delta2 = (c: number, d: number): number => {
    if (c === d) return 0;
    switch (level) {
      case 'nominal':
        return 1;
      case 'ordinal': {
        const lo = Math.min(c, d);
        const hi = Math.max(c, d);
        let s = 0;
        for (let g = lo; g <= hi; g++) s += n[g]!;
        return (s - (n[c]! + n[d]!) / 2) ** 2;
      }
      case 'interval':
        return ((values[c] as number) - (values[d] as number)) ** 2;
      default: {
        const x = values[c] as number;
        const y = values[d] as number;
        return ((x - y) / (x + y)) ** 2;
      }
    }
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < k; d++) {
      const w = delta2(c, d);
      if (w === 0) continue;
      observed += o[c]![d]! * w;
      expected += n[c]! * n[d]! * w;
    }
  }
  if (expected === 0) {
    throw new RangeError('krippendorffAlpha: only one distinct value is pairable, so alpha is undefined');
  }
  return 1 - ((total - 1) * observed) / expected;
}
