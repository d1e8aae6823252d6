import type { ColumnSchema } from '@plumb/sdk';
import { ColumnProfile, type ColumnProfileSummary } from '@plumb/stats';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { type Cell, quoteIdent } from '../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from './dataset-source.js';
import { isNumericType, isTemporalType, nestedKind } from './validation/column-types.js';

/**
 * Distinct values counted exactly per column before the count falls back to the HyperLogLog
 * estimate. 4,096 covers dates over a decade and most category columns, and costs at most
 * that many entries (and EXACT_DISTINCT_CHARS of text) per column while profiling.
 */
export const EXACT_DISTINCT_LIMIT = 4096;
const EXACT_DISTINCT_CHARS = 1_000_000;
const MAX_EXACT_STRING = 10_000;

/** How a column's values are fed to its profile. */
function selectExpression(column: ColumnSchema): string {
  const c = quoteIdent(column.name);
  // Lists, structs and maps are profiled as categories over their JSON text.
  if (nestedKind(column.type)) return `CAST(to_json(${c}) AS VARCHAR)`;
  // Times are profiled as epoch milliseconds so their quantiles and drift mean something.
  if (isTemporalType(column.type)) return `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`;
  // Profiles hold doubles; converting in DuckDB avoids a BigInt per value on the JS side.
  if (isNumericType(column.type)) return `CAST(${c} AS DOUBLE)`;
  if (column.type === 'BOOLEAN' || column.type === 'VARCHAR') return c;
  return `CAST(${c} AS VARCHAR)`;
}

/** A version's column profiles, with exact distinct counts for the columns that stayed small. */
export class VersionProfile extends Map<string, ColumnProfile> {
  /** Column → exact number of distinct non-null values, for columns with at most EXACT_DISTINCT_LIMIT. */
  readonly exactDistinct = new Map<string, number>();
}

/**
 * The set of a column's values while it is small; null once it is not. Checked per chunk of
 * values rather than per value, which keeps the cost to one Set insertion per value (about a
 * tenth of a profile's time); a set may pass the limit by one chunk before it is dropped.
 */
class ExactDistinct {
  private values: Set<Cell> | null = new Set();
  private chars = 0;

  add(values: Cell[]): void {
    const set = this.values;
    if (set === null) return;
    const before = set.size;
    let long = false;
    for (const v of values) {
      if (v === null) continue;
      set.add(v);
      if (typeof v === 'string' && v.length > MAX_EXACT_STRING) long = true;
    }
    // NaN is a missing value to the profile, not a distinct value.
    set.delete(Number.NaN);
    if (set.size > before && typeof values.find((v) => v !== null) === 'string') {
      // Text is counted in full only while it is short: long free text is rarely a category.
      this.chars += [...set].slice(before).reduce((n: number, v) => n + String(v).length, 0);
    }
    if (long || set.size > EXACT_DISTINCT_LIMIT || this.chars > EXACT_DISTINCT_CHARS) this.values = null;
  }

  get count(): number | null {
    return this.values?.size ?? null;
  }
}

/**
 * Streams the whole source once through DuckDB and feeds every value to a ColumnProfile per
 * column. Memory stays bounded by the sketches' sizes, not the data's.
 */
export async function profileSource(
  engine: AnalyticsEngine,
  source: DatasetSource,
  schema: ColumnSchema[],
  onProgress?: (rows: number) => void,
  /** The version's row count: the stream is checked against it instead of by a second pass. */
  expectedRows?: number,
): Promise<VersionProfile> {
  const profiles = new VersionProfile(schema.map((c) => [c.name, new ColumnProfile()] as const));
  const exact = schema.map(() => new ExactDistinct());
  const list = schema.map((c, i) => `${selectExpression(c)} AS c${i}`).join(', ');
  let rows = 0;
  const sql = `SELECT ${list} FROM ${tableSql(source)}`;
  for await (const chunk of engine.stream(sql, expectedRows === undefined ? {} : { expectedRows })) {
    schema.forEach((column, i) => {
      const profile = profiles.get(column.name)!;
      const values = chunk.values[i]!;
      for (const value of values) profile.update(value);
      exact[i]!.add(values);
    });
    rows += chunk.rows;
    onProgress?.(rows);
  }
  schema.forEach((column, i) => {
    const count = exact[i]!.count;
    if (count !== null) profiles.exactDistinct.set(column.name, count);
  });
  return profiles;
}

/**
 * A column's summary as the API shows it: the profile's, with `distinct` exact when it was
 * counted exactly, and saying which it is. An estimate's relative standard error is the
 * HyperLogLog's, 1.04 / √(2^precision) (0.81% at precision 14).
 */
export interface ColumnSummary extends ColumnProfileSummary {
  distinctExact: boolean;
  /** 0 when exact. */
  distinctRelativeError: number;
}

export function hllRelativeError(precision: number): number {
  return 1.04 / Math.sqrt(2 ** precision);
}

/** What a version stores for its profile: the sketches (for drift) and their summary (for people). */
export function storedProfile(profiles: Map<string, ColumnProfile>): {
  profile: string;
  profile_summary: string;
} {
  return {
    profile: serializeProfiles(profiles),
    profile_summary: JSON.stringify(summarizeProfiles(profiles)),
  };
}

export function serializeProfiles(profiles: Map<string, ColumnProfile>): string {
  return JSON.stringify(
    Object.fromEntries(
      [...profiles].map(([name, p]) => [name, Buffer.from(p.serialize()).toString('base64')]),
    ),
  );
}

export function deserializeProfiles(text: string): Map<string, ColumnProfile> {
  const parsed = JSON.parse(text) as Record<string, string>;
  return new Map(
    Object.entries(parsed).map(([name, b64]) => [
      name,
      ColumnProfile.deserialize(Buffer.from(b64, 'base64')),
    ]),
  );
}

export function summarizeProfiles(profiles: Map<string, ColumnProfile>): Record<string, ColumnSummary> {
  const exact = profiles instanceof VersionProfile ? profiles.exactDistinct : new Map<string, number>();
  return Object.fromEntries(
    [...profiles].map(([name, p]) => {
      const count = exact.get(name);
      const summary = p.toJSON();
      return [
        name,
        count === undefined
          ? {
              ...summary,
              distinctExact: false,
              distinctRelativeError: hllRelativeError(p.options.hllPrecision),
            }
          : { ...summary, distinct: count, distinctExact: true, distinctRelativeError: 0 },
      ];
    }),
  );
}
