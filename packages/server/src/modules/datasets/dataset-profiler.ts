import type { ColumnSchema } from '@plumb/sdk';
import { ColumnProfile, type ColumnProfileSummary } from '@plumb/stats';
import { type AnalyticsEngine, quoteIdent } from '../../storage/analytics/duckdb-engine.js';
import { type DatasetSource, tableSql } from './dataset-source.js';

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

/** How a column's values are fed to its profile. */
function selectExpression(column: ColumnSchema): string {
  const c = quoteIdent(column.name);
  // Times are profiled as epoch milliseconds so their quantiles and drift mean something.
  if (/^(DATE|TIMESTAMP)/.test(column.type)) return `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`;
  // Profiles hold doubles; converting in DuckDB avoids a BigInt per value on the JS side.
  if (NUMERIC.test(column.type)) return `CAST(${c} AS DOUBLE)`;
  if (column.type === 'BOOLEAN' || column.type === 'VARCHAR') return c;
  return `CAST(${c} AS VARCHAR)`;
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
): Promise<Map<string, ColumnProfile>> {
  const profiles = new Map(schema.map((c) => [c.name, new ColumnProfile()] as const));
  const list = schema.map((c, i) => `${selectExpression(c)} AS c${i}`).join(', ');
  let rows = 0;
  const sql = `SELECT ${list} FROM ${tableSql(source)}`;
  for await (const chunk of engine.stream(sql, expectedRows === undefined ? {} : { expectedRows })) {
    schema.forEach((column, i) => {
      const profile = profiles.get(column.name)!;
      for (const value of chunk.values[i]!) profile.update(value);
    });
    rows += chunk.rows;
    onProgress?.(rows);
  }
  return profiles;
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

export function summarizeProfiles(
  profiles: Map<string, ColumnProfile>,
): Record<string, ColumnProfileSummary> {
  return Object.fromEntries([...profiles].map(([name, p]) => [name, p.toJSON()]));
}
