import type { ColumnSchema } from '@plumb/sdk';
import { jensenShannon, ks2samp, psi, wasserstein } from '@plumb/stats';
import type { AnalyticsEngine } from '../../../storage/analytics/duckdb-engine.js';
import { quoteIdent } from '../../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from '../dataset-source.js';
import { missingColumn, type Verdict } from './checks.js';
import { isNumericType, isTemporalType } from './column-types.js';
import type { ExpectationOf } from './validation-suite.js';

export interface DriftSide {
  source: DatasetSource;
  columns: ColumnSchema[];
}

/** Quantile bins of the reference for PSI (and Jensen–Shannon) on numeric columns. */
const NUMERIC_BINS = 10;
/** PSI's stand-in for an empty bin or category, as @plumb/stats psi uses. */
const PSI_EPSILON = 1e-4;
/**
 * Distinct values beyond which a text column is an identifier rather than a category:
 * drift over it would be noise, and its counts would not belong in memory.
 */
const MAX_CATEGORIES = 100_000;

/**
 * Drift of one column between the reference and the current version. Numeric (and date or
 * time, as epoch seconds) columns are streamed into Float64Arrays for the exact tests; text and
 * boolean columns are compared through their category counts. Nulls, NaN and infinities are
 * left out of both sides and counted in `observed`.
 */
export async function checkDrift(
  engine: AnalyticsEngine,
  exp: ExpectationOf<'drift'>,
  current: DriftSide,
  reference: DriftSide | undefined,
): Promise<Verdict> {
  if (!reference) {
    return failed(
      'drift needs a reference version: set `reference:` in the suite or pass one when validating',
    );
  }
  const curType = current.columns.find((c) => c.name === exp.column)?.type;
  const refType = reference.columns.find((c) => c.name === exp.column)?.type;
  if (curType === undefined) return missingColumn(exp.column, typeMap(current.columns));
  if (refType === undefined)
    return missingColumn(exp.column, typeMap(reference.columns), 'the reference version');
  const kind = kindOf(curType);
  if (kind !== kindOf(refType)) {
    return failed(
      `"${exp.column}" holds ${curType} here but ${refType} in the reference; drift compares like with like`,
    );
  }
  return kind === 'categorical'
    ? categoricalDrift(engine, exp, curType, current.source, reference.source)
    : numericDrift(engine, exp, kind, current.source, reference.source);
}

type Kind = 'numeric' | 'temporal' | 'categorical';

function kindOf(type: string): Kind {
  return isNumericType(type) ? 'numeric' : isTemporalType(type) ? 'temporal' : 'categorical';
}

async function numericDrift(
  engine: AnalyticsEngine,
  exp: ExpectationOf<'drift'>,
  kind: 'numeric' | 'temporal',
  current: DatasetSource,
  reference: DatasetSource,
): Promise<Verdict> {
  const [ref, cur] = await Promise.all([
    readNumbers(engine, reference, exp.column, kind),
    readNumbers(engine, current, exp.column, kind),
  ]);
  const counts = {
    referenceValues: ref.values.length,
    currentValues: cur.values.length,
    ignored: ref.ignored + cur.ignored,
  };
  if (ref.values.length === 0 || cur.values.length === 0) {
    return failed(
      `"${exp.column}" has no values to compare in the ${ref.values.length === 0 ? 'reference' : 'current'} version`,
      counts,
    );
  }
  let value: number;
  let extra: Record<string, number> = {};
  switch (exp.test) {
    case 'psi':
      value = psi(ref.values, cur.values, { bins: NUMERIC_BINS }).value;
      break;
    case 'jensen_shannon': {
      const bins = psi(ref.values, cur.values, { bins: NUMERIC_BINS });
      value = jensenShannon(bins.refCounts, bins.curCounts);
      break;
    }
    case 'ks': {
      const result = ks2samp(ref.values, cur.values);
      value = result.statistic;
      extra = { pValue: result.pValue };
      break;
    }
    case 'wasserstein':
      value = wasserstein(ref.values, cur.values);
      break;
  }
  return judge(exp, value, { kind, ...counts, ...extra });
}

async function readNumbers(
  engine: AnalyticsEngine,
  source: DatasetSource,
  column: string,
  kind: 'numeric' | 'temporal',
): Promise<{ values: Float64Array; ignored: number }> {
  const c = quoteIdent(column);
  // Dates and times are compared as epoch seconds (so wasserstein is in seconds).
  const value = kind === 'temporal' ? `epoch(${c})` : `CAST(${c} AS DOUBLE)`;
  const sql = `SELECT ${value} AS v FROM ${tableSql(source)} WHERE ${c} IS NOT NULL`;
  let values = new Float64Array(1 << 16);
  let n = 0;
  let ignored = 0;
  for await (const chunk of engine.stream(sql)) {
    const column = chunk.values[0]!;
    if (n + column.length > values.length) {
      const grown = new Float64Array(Math.max(values.length * 2, n + column.length));
      grown.set(values.subarray(0, n));
      values = grown;
    }
    for (const cell of column) {
      if (typeof cell === 'number' && Number.isFinite(cell)) values[n++] = cell;
      else ignored++;
    }
  }
  return { values: values.slice(0, n), ignored };
}

async function categoricalDrift(
  engine: AnalyticsEngine,
  exp: ExpectationOf<'drift'>,
  type: string,
  current: DatasetSource,
  reference: DatasetSource,
): Promise<Verdict> {
  if (exp.test === 'ks' || exp.test === 'wasserstein') {
    return failed(
      `${exp.test} compares numbers and "${exp.column}" holds ${type}: use psi or jensen_shannon`,
    );
  }
  const [ref, cur] = await Promise.all([
    countCategories(engine, reference, exp.column),
    countCategories(engine, current, exp.column),
  ]);
  if (ref === null || cur === null) {
    return failed(`"${exp.column}" has more than ${MAX_CATEGORIES} distinct values: it is not a category`);
  }
  const categories = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  const p = categories.map((k) => ref.get(k) ?? 0);
  const q = categories.map((k) => cur.get(k) ?? 0);
  const refTotal = sum(p);
  const curTotal = sum(q);
  const counts = {
    kind: 'categorical',
    referenceValues: refTotal,
    currentValues: curTotal,
    categories: categories.length,
  };
  if (refTotal === 0 || curTotal === 0) {
    return failed(
      `"${exp.column}" has no values to compare in the ${refTotal === 0 ? 'reference' : 'current'} version`,
      counts,
    );
  }
  const value = exp.test === 'psi' ? categoryPsi(p, q, refTotal, curTotal) : jensenShannon(p, q);
  return judge(exp, value, counts);
}

/**
 * PSI over categories, the same sum as @plumb/stats psi over bins: Σ (q - p) ln(q / p) with a
 * proportion of exactly 0 replaced by epsilon and no renormalising. Computed from counts so
 * a category column never has to be expanded into one number per row.
 */
function categoryPsi(refCounts: number[], curCounts: number[], refTotal: number, curTotal: number): number {
  let value = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = refCounts[i]! / refTotal || PSI_EPSILON;
    const q = curCounts[i]! / curTotal || PSI_EPSILON;
    value += (q - p) * Math.log(q / p);
  }
  return value;
}

async function countCategories(
  engine: AnalyticsEngine,
  source: DatasetSource,
  column: string,
): Promise<Map<string, number> | null> {
  const c = quoteIdent(column);
  const rows = await engine.query(
    `SELECT CAST(${c} AS VARCHAR) AS k, count(*) AS n FROM ${tableSql(source)} WHERE ${c} IS NOT NULL GROUP BY 1 LIMIT ${MAX_CATEGORIES + 1}`,
  );
  if (rows.length > MAX_CATEGORIES) return null;
  return new Map(rows.map((r) => [String(r.k), Number(r.n)]));
}

function judge(exp: ExpectationOf<'drift'>, value: number, observed: Record<string, unknown>): Verdict {
  const passed = value <= exp.max;
  const shown = Number(value.toPrecision(4));
  return {
    passed,
    observed: { test: exp.test, value, max: exp.max, ...observed },
    message: `${exp.test} of "${exp.column}" is ${shown}${passed ? ` (max ${exp.max})` : `, above the max ${exp.max}`}`,
  };
}

function failed(message: string, observed: unknown = null): Verdict {
  return { passed: false, observed, message };
}

function typeMap(columns: ColumnSchema[]): Map<string, string> {
  return new Map(columns.map((c) => [c.name, c.type]));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
