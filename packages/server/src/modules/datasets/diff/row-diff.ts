import { PlumbError } from '../../../core/errors.js';
import type { AnalyticsEngine } from '../../../storage/analytics/duckdb-engine.js';
import { type Cell, quoteIdent } from '../../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from '../dataset-source.js';

/** Rows shown of each side: enough to see what changed, small enough for a response. */
const SAMPLE_ROWS = 5;

export interface RowDiff {
  rowsA: number;
  rowsB: number;
  /** Rows of `b` beyond their count in `a` (a row twice in `a` and five times in `b` adds 3). */
  added: number;
  /** Rows of `a` beyond their count in `b`. */
  removed: number;
  /** Rows present in both, counted as many times as the fewer side holds them. */
  unchanged: number;
  /** Distinct added rows of `b` (at most 5), with the compared columns only. */
  sampleAdded: Record<string, Cell>[];
  /** Distinct removed rows of `a` (at most 5), with the compared columns only. */
  sampleRemoved: Record<string, Cell>[];
}

/**
 * Compares two versions as multisets of rows over `columns`, entirely inside DuckDB: each
 * row's identity is `hash()` of those columns, and only per-hash counts are aggregated, so
 * neither version is held in memory. Both sides go through one UNION ALL first, which gives
 * each column the common type of its two sides (a BIGINT 1 and a DOUBLE 1.0 are the same
 * value). Two different rows share a 64-bit hash with probability about n² / 2⁶⁵ (3 in 10⁸
 * for a million rows); such a pair would count as one row.
 *
 * With no columns in common nothing can match: every row of `a` is removed and every row of
 * `b` added. Samples are picked in hash order, so they are stable but not the first rows.
 */
export async function diffRows(
  engine: AnalyticsEngine,
  a: DatasetSource,
  b: DatasetSource,
  columns: string[],
): Promise<RowDiff> {
  if (new Set(columns).size !== columns.length) {
    throw new PlumbError('invalid_argument', 'the compared columns name a column twice');
  }
  if (columns.length === 0) return disjoint(engine, a, b);

  const keys = columns.map((_, i) => `k${i}`);
  const pick = (source: DatasetSource, side: number) =>
    `SELECT ${columns.map((name, i) => `${quoteIdent(name)} AS k${i}`).join(', ')}, ${side} AS s FROM ${tableSql(source)}`;
  const union = `u AS (${pick(a, 1)} UNION ALL ${pick(b, 2)})`;
  const hashed = `hash(${keys.join(', ')})`;

  // The totals and the hashes to sample come out of one aggregation; hashes travel as text
  // because a UBIGINT above 2^53 would not survive the trip through a JavaScript number.
  const rows = await engine.query(
    `WITH ${union},
     c AS (SELECT ${hashed} AS h, count(*) FILTER (WHERE s = 1) AS na, count(*) FILTER (WHERE s = 2) AS nb FROM u GROUP BY 1)
     SELECT 0 AS side, coalesce(sum(na), 0) AS rows_a, coalesce(sum(nb), 0) AS rows_b,
            coalesce(sum(greatest(nb - na, 0)), 0) AS added, coalesce(sum(greatest(na - nb, 0)), 0) AS removed,
            coalesce(sum(least(na, nb)), 0) AS unchanged, NULL AS h
     FROM c
     UNION ALL (SELECT 2, NULL, NULL, NULL, NULL, NULL, CAST(h AS VARCHAR) FROM c WHERE nb > na ORDER BY h LIMIT ${SAMPLE_ROWS})
     UNION ALL (SELECT 1, NULL, NULL, NULL, NULL, NULL, CAST(h AS VARCHAR) FROM c WHERE na > nb ORDER BY h LIMIT ${SAMPLE_ROWS})`,
  );
  const totals = rows.find((r) => r.side === 0)!;
  const result: RowDiff = {
    rowsA: Number(totals.rows_a),
    rowsB: Number(totals.rows_b),
    added: Number(totals.added),
    removed: Number(totals.removed),
    unchanged: Number(totals.unchanged),
    sampleAdded: [],
    sampleRemoved: [],
  };
  const picked = rows.filter((r) => r.side !== 0);
  if (picked.length === 0) return result;

  // A second pass reads the rows behind the sampled hashes: the aggregation kept only counts,
  // rather than carrying every row's values through it.
  const params: string[] = [];
  const wanted = [2, 1]
    .map((side) => {
      const hashes = picked
        .filter((r) => r.side === side)
        .map((r) => `CAST($${params.push(String(r.h))} AS UBIGINT)`);
      return hashes.length ? `(s = ${side} AND ${hashed} IN (${hashes.join(', ')}))` : null;
    })
    .filter(Boolean);
  const sample = await engine.query(
    `WITH ${union}
     SELECT DISTINCT ON (s, ${hashed}) s AS side, ${keys.join(', ')} FROM u WHERE ${wanted.join(' OR ')}
     ORDER BY s DESC, ${hashed}`,
    params,
  );
  for (const row of sample) {
    const named = Object.fromEntries(columns.map((name, i) => [name, row[`k${i}`] ?? null]));
    (row.side === 2 ? result.sampleAdded : result.sampleRemoved).push(named);
  }
  return result;
}

async function disjoint(engine: AnalyticsEngine, a: DatasetSource, b: DatasetSource): Promise<RowDiff> {
  const [countA, countB, sampleA, sampleB] = await Promise.all([
    engine.query(`SELECT count(*) AS n FROM ${tableSql(a)}`),
    engine.query(`SELECT count(*) AS n FROM ${tableSql(b)}`),
    engine.query(`SELECT * FROM ${tableSql(a)} LIMIT ${SAMPLE_ROWS}`),
    engine.query(`SELECT * FROM ${tableSql(b)} LIMIT ${SAMPLE_ROWS}`),
  ]);
  const rowsA = Number(countA[0]!.n);
  const rowsB = Number(countB[0]!.n);
  return {
    rowsA,
    rowsB,
    added: rowsB,
    removed: rowsA,
    unchanged: 0,
    sampleAdded: sampleB,
    sampleRemoved: sampleA,
  };
}
