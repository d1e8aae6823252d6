import type { ColumnSchema } from '@plumb/sdk';
import { ColumnProfile, type ColumnProfileSummary } from '@plumb/stats';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteIdent } from '../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from './dataset-source.js';
import { isNumericType, isTemporalType, nestedKind } from './validation/column-types.js';

/**
 * Distinct values counted exactly per column before the count is left to the HyperLogLog
 * estimate: 4,096 covers dates over a decade and most category columns.
 */
export const EXACT_DISTINCT_LIMIT = 4096;
/**
 * Columns whose estimate is at most this far above the limit are counted exactly. At the
 * estimate's 0.81% standard error, a column of 4,096 values estimated above 4,506 is a
 * twelve-sigma event.
 */
const CANDIDATE_MARGIN = 1.1;

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
  const list = schema.map((c, i) => `${selectExpression(c)} AS c${i}`).join(', ');
  let rows = 0;
  const sql = `SELECT ${list} FROM ${tableSql(source)}`;
  for await (const chunk of engine.stream(sql, expectedRows === undefined ? {} : { expectedRows })) {
    schema.forEach((column, i) => {
      const profile = profiles.get(column.name)!;
      const values = chunk.values[i]!;
      for (const value of values) profile.update(value);
    });
    rows += chunk.rows;
    onProgress?.(rows);
  }
  await countSmallColumns(engine, source, schema, profiles);
  return profiles;
}

/**
 * Counts exactly the distinct values of the columns the sketches found small, in one more
 * DuckDB pass over just those columns, which DuckDB spreads over its threads instead of adding
 * a Set insertion per value to the profile's JavaScript loop. On flights-3m, four of whose five
 * columns are small, it adds about a quarter to the profile (bench/datasets/exact-distinct.mjs).
 * The values are the profile's (times as epoch milliseconds, nested values as JSON text), and
 * NaN is missing, as it is to the profile.
 */
async function countSmallColumns(
  engine: AnalyticsEngine,
  source: DatasetSource,
  schema: ColumnSchema[],
  profiles: VersionProfile,
): Promise<void> {
  const counted: string[] = [];
  const names: string[] = [];
  schema.forEach((column, i) => {
    const sketch = profiles.get(column.name)!.distinct;
    if (sketch === null) profiles.exactDistinct.set(column.name, 0);
    else if (sketch.estimate() <= EXACT_DISTINCT_LIMIT * CANDIDATE_MARGIN) {
      const e = selectExpression(column);
      const value = e.endsWith(' AS DOUBLE)') ? `CASE WHEN isnan(${e}) THEN NULL ELSE ${e} END` : e;
      counted.push(`count(DISTINCT ${value}) AS d${i}`);
      names.push(column.name);
    }
  });
  if (counted.length === 0) return;
  const [row] = await engine.query(`SELECT ${counted.join(', ')} FROM ${tableSql(source)}`);
  const values = Object.values(row ?? {});
  names.forEach((name, k) => {
    const n = Number(values[k]);
    if (n <= EXACT_DISTINCT_LIMIT) profiles.exactDistinct.set(name, n);
  });
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
