import { ColumnProfile, quantileBins, type SketchItem } from '@plumb/stats';
import { PlumbError } from '../../core/errors.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteIdent } from '../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from '../datasets/dataset-source.js';
import { isNumericType, isTemporalType } from '../datasets/validation/column-types.js';
import type { BinSpec } from './feature-window.js';
import type { FeatureReference } from './monitor-spec.js';

/** Categories (or discrete numeric values) a reference keeps exact counts of. */
export const MAX_CATEGORIES = 256;
/** Numeric values kept exactly; above, the reference CDF is its quantile sketch. */
export const EXACT_REFERENCE_VALUES = 20_000;
/** PSI's reference-quantile bins, as `psi`'s default. */
export const PSI_BINS = 10;

export interface ReferenceColumn {
  feature: string;
  column: string;
  type: string;
}

/**
 * Reads a reference dataset version once through DuckDB and keeps, per feature, what its tests
 * need: exact value counts of small columns, the sorted values of numeric columns up to
 * EXACT_REFERENCE_VALUES (above that a quantile sketch), the moments, and frozen bins with the
 * reference's exact counts in them (a second, SQL-only pass for sketch-binned columns).
 */
export async function buildReference(
  engine: AnalyticsEngine,
  source: DatasetSource,
  columns: ReferenceColumn[],
): Promise<FeatureReference[]> {
  if (columns.length === 0) throw new PlumbError('invalid_argument', 'a monitor needs at least one feature');
  const numeric = columns.map((c) => isNumericType(c.type) || isTemporalType(c.type));
  const list = columns.map((c, i) => `${selectExpression(c, numeric[i]!)} AS c${i}`).join(', ');
  const states = columns.map(() => ({
    profile: new ColumnProfile(),
    counts: new Map<SketchItem, number>() as Map<SketchItem, number> | null,
    values: [] as number[] | null,
  }));
  for await (const chunk of engine.stream(`SELECT ${list} FROM ${tableSql(source)}`)) {
    columns.forEach((_, i) => {
      const s = states[i]!;
      for (const raw of chunk.values[i]!) {
        const v = typeof raw === 'number' && Number.isNaN(raw) ? null : raw;
        s.profile.update(v);
        if (v === null) continue;
        if (s.counts) {
          s.counts.set(v, (s.counts.get(v) ?? 0) + 1);
          if (s.counts.size > MAX_CATEGORIES) s.counts = null;
        }
        if (s.values && typeof v === 'number') {
          s.values.push(v);
          if (s.values.length > EXACT_REFERENCE_VALUES) s.values = null;
        }
      }
    });
  }
  const refs = columns.map((c, i) => {
    const s = states[i]!;
    const p = s.profile;
    const count = p.numericCount + p.categoricalCount;
    if (count === 0)
      throw new PlumbError('failed_precondition', `reference column ${c.column} has no values`);
    const valueCounts = s.counts ? [...s.counts].sort((a, b) => compareItems(a[0], b[0])) : null;
    const values = numeric[i] && s.values ? Float64Array.from(s.values).sort() : null;
    const ref: FeatureReference = {
      feature: c.feature,
      column: c.column,
      kind: numeric[i] ? 'numeric' : 'categorical',
      count,
      nulls: p.nulls,
      distinct: valueCounts ? valueCounts.length : Math.round(p.distinct?.estimate() ?? 0),
      valueCounts,
      values: values ? [...values] : null,
      profile: Buffer.from(p.serialize()).toString('base64'),
      mean: p.finiteCount > 0 ? p.mean : null,
      std: p.finiteCount > 0 ? Math.sqrt(p.populationVariance) : null,
      min: p.quantileSketch ? p.min : null,
      max: p.quantileSketch ? p.max : null,
      bins: null,
      binCounts: null,
    };
    return ref;
  });
  await countBins(engine, source, columns, refs);
  return refs;
}

/**
 * Bins: the reference's values when it has few (their exact counts are the bin counts), else ten
 * reference-quantile bins (numpy's quantiles on the exact values, the sketch's above
 * EXACT_REFERENCE_VALUES) counted exactly by DuckDB.
 */
async function countBins(
  engine: AnalyticsEngine,
  source: DatasetSource,
  columns: ReferenceColumn[],
  refs: FeatureReference[],
): Promise<void> {
  const pending: string[] = [];
  refs.forEach((ref, i) => {
    const id = `${ref.feature}`;
    if (ref.valueCounts) {
      ref.bins = { id, kind: 'categories', values: ref.valueCounts.map(([v]) => v) };
      ref.binCounts = [...ref.valueCounts.map(([, n]) => n), 0];
      return;
    }
    if (ref.kind !== 'numeric') {
      // A categorical column with more than MAX_CATEGORIES values: its most frequent ones, exactly counted below.
      const top =
        ColumnProfile.deserialize(Buffer.from(ref.profile, 'base64')).frequentItems?.top(MAX_CATEGORIES) ??
        [];
      ref.bins = { id, kind: 'categories', values: top.map((t) => t.item).sort(compareItems) };
    } else {
      const edges = ref.values
        ? quantileBins(ref.values, { bins: PSI_BINS })
        : sketchEdges(ColumnProfile.deserialize(Buffer.from(ref.profile, 'base64')));
      ref.bins = { id, kind: 'edges', edges };
    }
    const c = quoteIdent(columns[i]!.column);
    const numericExpr = selectExpression(columns[i]!, ref.kind === 'numeric');
    const spec = ref.bins;
    const filters =
      spec.kind === 'edges'
        ? [
            ...spec.edges.map((e, k) =>
              k === 0
                ? `${numericExpr} < ${e}`
                : `${numericExpr} >= ${spec.edges[k - 1]} AND ${numericExpr} < ${e}`,
            ),
            `${numericExpr} >= ${spec.edges[spec.edges.length - 1]}`,
            'false',
          ]
        : [
            ...spec.values.map((v) => `CAST(${c} AS VARCHAR) = ${sqlString(String(v))}`),
            `${c} IS NOT NULL AND CAST(${c} AS VARCHAR) NOT IN (${spec.values.map((v) => sqlString(String(v))).join(', ') || "''"})`,
          ];
    pending.push(...filters.map((f, k) => `count(*) FILTER (WHERE ${f}) AS b${i}_${k}`));
  });
  if (pending.length === 0) return;
  const [row] = await engine.query(`SELECT ${pending.join(', ')} FROM ${tableSql(source)}`);
  refs.forEach((ref, i) => {
    if (ref.binCounts || !ref.bins) return;
    const n = ref.bins.kind === 'edges' ? ref.bins.edges.length + 2 : ref.bins.values.length + 1;
    ref.binCounts = Array.from({ length: n }, (_, k) => Number(row?.[`b${i}_${k}`] ?? 0));
  });
}

function sketchEdges(profile: ColumnProfile): number[] {
  const q = profile.quantileSketch;
  if (!q) return [];
  const edges: number[] = [];
  for (let k = 1; k < PSI_BINS; k++) {
    const e = q.quantile(k / PSI_BINS);
    if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
  }
  return edges;
}

/** Numbers as doubles (times as epoch milliseconds), everything else as text, as events carry them. */
function selectExpression(column: ReferenceColumn, numeric: boolean): string {
  const c = quoteIdent(column.column);
  if (isTemporalType(column.type)) return `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`;
  if (numeric) return `CAST(${c} AS DOUBLE)`;
  if (column.type === 'BOOLEAN') return c;
  return `CAST(${c} AS VARCHAR)`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Numbers before booleans before strings; each in natural order (Evidently sorts keys). */
export function compareItems(a: SketchItem, b: SketchItem): number {
  const rank = (v: SketchItem) => (typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

export type { BinSpec };
