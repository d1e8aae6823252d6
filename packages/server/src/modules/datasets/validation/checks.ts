import { type Cell, quoteIdent } from '../../../storage/analytics/sql-text.js';
import { isNumericType, isTemporalType, nestedKind, typeMatches } from './column-types.js';
import { formatDuration, parseDuration } from './duration.js';
import { INTERNAL, ROW } from './row-locator.js';
import type { Expectation, ExpectationOf } from './validation-suite.js';

export interface Verdict {
  passed: boolean;
  observed: unknown;
  message: string;
  /** Rows that fail the expectation, when it is about rows. */
  failingCount?: number;
}

/** Collects bound parameters; user values reach SQL only as `$n`. */
export class Params {
  readonly values: Cell[] = [];
  add(value: Cell): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface CheckContext {
  /** Column name → DuckDB type, from the version's schema. */
  types: Map<string, string>;
  rowCount: number;
  timeColumn: string | undefined;
  now: Date;
  table: string;
}

interface Failing {
  where: string;
  select?: string;
  orderBy?: string;
}

/**
 * How an expectation is evaluated: at once from the schema (`done`), by aggregates that share
 * one scan of the source with every other expectation (`scan`), or by its own one-row query
 * (`query`). `failing` selects the failing rows for the sample. `build` runs once for the
 * shared scan and again for the sample query, each numbering its own parameters, so the
 * aggregates and `failing` must bind exactly the same parameters.
 */
export type Plan =
  | { kind: 'done'; verdict: Verdict }
  | {
      kind: 'scan';
      build: (p: Params) => { aggregates: string[]; failing?: Failing };
      judge: (values: Cell[]) => Verdict;
    }
  | {
      kind: 'query';
      build: (p: Params) => { sql: string; failing?: Failing };
      judge: (row: Cell[]) => Verdict;
    };

type Row = Exclude<Expectation, { expect: 'drift' }>;

export function planCheck(exp: Row, ctx: CheckContext): Plan {
  switch (exp.expect) {
    case 'present':
    case 'type':
      return schemaCheck(exp, ctx);
    case 'row_count':
      return { kind: 'done', verdict: rowCount(exp, ctx.rowCount) };
    case 'unique':
      return unique(exp, ctx);
    case 'freshness':
      return freshness(exp, ctx);
    default:
      return valueCheck(exp, ctx);
  }
}

export function missingColumn(column: string, types: Map<string, string>, where = 'the version'): Verdict {
  const names = [...types.keys()];
  const list = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
  return {
    passed: false,
    observed: null,
    message: `column "${column}" is not in ${where} (columns: ${list})`,
  };
}

function schemaCheck(exp: ExpectationOf<'present'> | ExpectationOf<'type'>, ctx: CheckContext): Plan {
  const type = ctx.types.get(exp.column);
  if (type === undefined) return { kind: 'done', verdict: missingColumn(exp.column, ctx.types) };
  if (exp.expect === 'present') {
    return {
      kind: 'done',
      verdict: { passed: true, observed: { type }, message: `"${exp.column}" is present (${type})` },
    };
  }
  const passed = typeMatches(exp.type, type);
  const message = passed
    ? `"${exp.column}" is ${type} (${exp.type})`
    : `"${exp.column}" is ${type}, expected ${exp.type}`;
  return { kind: 'done', verdict: { passed, observed: { type }, message } };
}

function rowCount(exp: ExpectationOf<'row_count'>, n: number): Verdict {
  const passed = (exp.min === undefined || n >= exp.min) && (exp.max === undefined || n <= exp.max);
  const range = rangeText(exp.min, exp.max);
  return { passed, observed: { rowCount: n }, message: `${n} rows${passed ? '' : `, expected ${range}`}` };
}

function unique(exp: ExpectationOf<'unique'>, ctx: CheckContext): Plan {
  const names = exp.columns ?? [exp.column!];
  const missing = names.find((name) => !ctx.types.has(name));
  if (missing !== undefined) return { kind: 'done', verdict: missingColumn(missing, ctx.types) };
  const cols = names.map(quoteIdent);
  const keys = cols.join(', ');
  // A row whose key is entirely null has no key: it is not a duplicate of other such rows.
  const hasKey = `NOT (${cols.map((c) => `${c} IS NULL`).join(' AND ')})`;
  const label = names.length === 1 ? `"${names[0]}"` : `(${names.map((n) => `"${n}"`).join(', ')})`;
  return {
    kind: 'query',
    build: () => ({
      sql: `SELECT count(*) AS v0, coalesce(sum(n), 0) AS v1 FROM (SELECT count(*) AS n FROM ${ctx.table} WHERE ${hasKey} GROUP BY ${keys} HAVING count(*) > 1)`,
      failing: {
        select: `count(*) OVER (PARTITION BY ${keys}) AS "${INTERNAL}n", min(${ROW}) OVER (PARTITION BY ${keys}) AS "${INTERNAL}first"`,
        where: `"${INTERNAL}n" > 1 AND ${hasKey}`,
        orderBy: `"${INTERNAL}first", ${ROW}`,
      },
    }),
    judge: ([keysCell, rowsCell]) => {
      const duplicateKeys = Number(keysCell);
      const duplicateRows = Number(rowsCell);
      const observed = { ...(exp.columns ? { columns: names } : {}), duplicateKeys, duplicateRows };
      return duplicateKeys === 0
        ? { passed: true, observed, message: `${label} is unique` }
        : {
            passed: false,
            observed,
            message: `${label} repeats: ${duplicateKeys} value${duplicateKeys === 1 ? '' : 's'} over ${duplicateRows} rows`,
            failingCount: duplicateRows,
          };
    },
  };
}

function freshness(exp: ExpectationOf<'freshness'>, ctx: CheckContext): Plan {
  const name = exp.column ?? ctx.timeColumn;
  if (name === undefined) {
    return fail('freshness needs a column: name one, or give the version a time column');
  }
  const type = ctx.types.get(name);
  if (type === undefined) return { kind: 'done', verdict: missingColumn(name, ctx.types) };
  if (!isTemporalType(type)) return fail(`"${name}" holds ${type}, not dates or times`);
  const maxAgeMs = parseDuration(exp.max_age)!;
  return {
    kind: 'scan',
    build: () => ({ aggregates: [`max(${quoteIdent(name)})`] }),
    judge: ([newest]) => {
      const time = typeof newest === 'string' ? Date.parse(newest) : Number.NaN;
      if (newest === null)
        return { passed: false, observed: { newest: null }, message: `"${name}" has no values` };
      if (Number.isNaN(time)) {
        return {
          passed: false,
          observed: { newest },
          message: `the newest "${name}" (${newest}) is not a point in time`,
        };
      }
      // A DATE is taken as its midnight UTC, so a daily file is fresh for the whole day after.
      const ageMs = ctx.now.getTime() - time;
      const passed = ageMs <= maxAgeMs;
      const age = formatDuration(ageMs);
      return {
        passed,
        observed: { newest, ageSeconds: Math.round(ageMs / 1000), maxAge: exp.max_age },
        message: `the newest "${name}" is ${newest}, ${age} old${passed ? ` (max ${exp.max_age})` : `, older than ${exp.max_age}`}`,
      };
    },
  };
}

type ValueExpectation = ExpectationOf<
  'not_null' | 'max_null_fraction' | 'between' | 'in_set' | 'matches' | 'length'
>;

function valueCheck(exp: ValueExpectation, ctx: CheckContext): Plan {
  const type = ctx.types.get(exp.column);
  if (type === undefined) return { kind: 'done', verdict: missingColumn(exp.column, ctx.types) };
  const c = quoteIdent(exp.column);
  const label = `"${exp.column}"`;
  const numeric = isNumericType(type);
  const nested = nestedKind(type);
  if (nested && (exp.expect === 'between' || exp.expect === 'in_set')) {
    return fail(`${label} holds ${type}, a ${nested}: ${exp.expect} compares single values`);
  }
  switch (exp.expect) {
    case 'not_null':
    case 'max_null_fraction':
      return {
        kind: 'scan',
        build: () => ({
          aggregates: [`count(*) FILTER (WHERE ${c} IS NULL)`],
          failing: { where: `${c} IS NULL` },
        }),
        judge: ([cell]) => {
          const nulls = Number(cell);
          const fraction = ctx.rowCount === 0 ? 0 : nulls / ctx.rowCount;
          const limit = exp.expect === 'not_null' ? 0 : exp.value;
          const passed = exp.expect === 'not_null' ? nulls === 0 : fraction <= limit;
          const share = `${nulls} null${nulls === 1 ? '' : 's'} in ${label} (${percent(fraction)} of ${ctx.rowCount} rows)`;
          return {
            passed,
            observed: { nulls, nullFraction: fraction },
            message: passed || exp.expect === 'not_null' ? share : `${share}, above ${percent(limit)}`,
            failingCount: nulls,
          };
        },
      };
    case 'between': {
      const bounds = [exp.min, exp.max].filter((b) => b !== undefined);
      if (numeric && bounds.some((b) => typeof b !== 'number')) {
        return fail(`${label} holds ${type}: its bounds must be numbers`);
      }
      if (!numeric && bounds.some((b) => typeof b === 'number')) {
        return fail(
          `${label} holds ${type}, not numbers: write its bounds as text (for dates, '2024-01-31')`,
        );
      }
      return rangeCheck(c, exp, (min, max, n) => ({ min, max, outside: n }), {
        pass: `${label} is ${rangeText(exp.min, exp.max)}`,
        fail: `${label} ${outsideText(exp.min, exp.max)}`,
      });
    }
    case 'in_set': {
      if (numeric && exp.values.some((v) => typeof v !== 'number')) {
        return fail(`${label} holds ${type}: the set must list numbers`);
      }
      const subject = numeric ? c : `CAST(${c} AS VARCHAR)`;
      const values = exp.values.map((v) => (numeric ? v : String(v)));
      const shown = exp.values.length > 8 ? `${exp.values.slice(0, 8).join(', ')}, …` : exp.values.join(', ');
      const notIn = (p: Params) =>
        `${c} IS NOT NULL AND ${subject} NOT IN (${values.map((v) => p.add(v)).join(', ')})`;
      return {
        kind: 'scan',
        build: (p) => {
          const where = notIn(p);
          return { aggregates: [`count(*) FILTER (WHERE ${where})`], failing: { where } };
        },
        judge: ([n]) =>
          outsideVerdict(
            Number(n),
            { outside: Number(n) },
            {
              pass: `${label} is always one of {${shown}}`,
              fail: `${label} outside {${shown}}`,
            },
          ),
      };
    }
    case 'matches': {
      const mismatch = (p: Params) =>
        `${c} IS NOT NULL AND NOT regexp_full_match(CAST(${c} AS VARCHAR), ${p.add(exp.pattern)})`;
      return {
        kind: 'scan',
        build: (p) => {
          const where = mismatch(p);
          return { aggregates: [`count(*) FILTER (WHERE ${where})`], failing: { where } };
        },
        judge: ([n]) =>
          outsideVerdict(
            Number(n),
            { mismatches: Number(n) },
            {
              pass: `${label} always matches /${exp.pattern}/`,
              fail: `${label} not matching /${exp.pattern}/`,
            },
          ),
      };
    }
    case 'length': {
      return rangeCheck(
        `length(CAST(${c} AS VARCHAR))`,
        exp,
        (min, max, n) => ({ minLength: min, maxLength: max, outside: n }),
        {
          pass: `the length of ${label} is ${rangeText(exp.min, exp.max)}`,
          fail: `${label} of a length ${outsideText(exp.min, exp.max)}`,
        },
      );
    }
  }
}

/**
 * Values of `expr` outside [min, max] (either bound optional): one scan gives the smallest and
 * largest values seen and how many fall outside, and the failing rows come from the same test.
 */
function rangeCheck(
  expr: string,
  bounds: { min?: number | string | undefined; max?: number | string | undefined },
  observed: (min: unknown, max: unknown, outside: number) => unknown,
  text: { pass: string; fail: string },
): Plan {
  const outside = (p: Params) =>
    [
      bounds.min === undefined ? null : `${expr} < ${p.add(bounds.min)}`,
      bounds.max === undefined ? null : `${expr} > ${p.add(bounds.max)}`,
    ]
      .filter(Boolean)
      .join(' OR ');
  return {
    kind: 'scan',
    build: (p) => {
      const where = `(${outside(p)})`;
      return {
        aggregates: [`min(${expr})`, `max(${expr})`, `count(*) FILTER (WHERE ${where})`],
        failing: { where },
      };
    },
    judge: ([min, max, n]) =>
      outsideVerdict(Number(n), observed(min, max, Number(n)), { ...text, seen: `seen ${min} to ${max}` }),
  };
}

/** `claim` is what the expectation says; the verdict tells how many values break it. */
/** `fail` completes "N rows have …". */
function outsideVerdict(
  n: number,
  observed: unknown,
  text: { pass: string; fail: string; seen?: string },
): Verdict {
  const tail = text.seen ? ` (${text.seen})` : '';
  if (n === 0) return { passed: true, observed, message: `${text.pass}${tail}` };
  const rows = n === 1 ? '1 row has' : `${n} rows have`;
  return { passed: false, observed, message: `${rows} ${text.fail}${tail}`, failingCount: n };
}

function fail(message: string): Plan {
  return { kind: 'done', verdict: { passed: false, observed: null, message } };
}

function outsideText(min: unknown, max: unknown): string {
  if (min !== undefined && max !== undefined) return `outside [${min}, ${max}]`;
  return min !== undefined ? `below ${min}` : `above ${max}`;
}

function rangeText(min: unknown, max: unknown): string {
  if (min !== undefined && max !== undefined) return `in [${min}, ${max}]`;
  return min !== undefined ? `≥ ${min}` : `≤ ${max}`;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}
