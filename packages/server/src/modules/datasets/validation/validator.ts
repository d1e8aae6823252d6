import type { ColumnSchema, ValidationResult } from '@plumb/sdk';
import { PlumbError } from '../../../core/errors.js';
import type { AnalyticsEngine, Cell } from '../../../storage/analytics/duckdb-engine.js';
import { type DatasetSource, tableSql } from '../dataset-source.js';
import { type CheckContext, Params, type Plan, planCheck, type Verdict } from './checks.js';
import { checkDrift } from './drift-check.js';
import { RowLocator } from './row-locator.js';
import type { Expectation, ValidationSuite } from './validation-suite.js';

export type { ValidationResult } from '@plumb/sdk';

export interface ValidationInput {
  source: DatasetSource;
  columns: ColumnSchema[];
  /** The version's time column: the default column of `freshness`. */
  timeColumn?: string | undefined;
  /** The moment `freshness` measures ages from. */
  now: Date;
  /** The version `drift` compares against. */
  reference?: { source: DatasetSource; columns: ColumnSchema[] } | undefined;
}

type ScanPlan = Extract<Plan, { kind: 'scan' }>;
type QueryPlan = Extract<Plan, { kind: 'query' }>;

/**
 * Runs a parsed suite against one version. Every expectation gives a result, pass or fail;
 * one that cannot be evaluated (a missing column, a pattern DuckDB rejects, a bound that is
 * not a date) fails with the reason. Only a source that cannot be read at all throws.
 *
 * Column checks share one scan of the source (a suite of twenty checks reads a large file
 * once); uniqueness and drift need their own passes; failing rows are fetched only for
 * expectations that fail.
 */
export async function runSuite(
  engine: AnalyticsEngine,
  input: ValidationInput,
  suite: ValidationSuite,
): Promise<ValidationResult[]> {
  const locator = await RowLocator.open(engine, input.source, input.columns);
  const ctx: CheckContext = {
    types: new Map(input.columns.map((c) => [c.name, c.type])),
    rowCount: locator.rowCount,
    timeColumn: input.timeColumn,
    now: input.now,
    table: tableSql(input.source),
  };
  const verdicts = new Map<number, Verdict>();
  const plans = new Map<number, Plan>();
  for (const [index, exp] of suite.expectations.entries()) {
    if (exp.expect === 'drift') continue;
    const plan = planCheck(exp, ctx);
    plans.set(index, plan);
    if (plan.kind === 'done') verdicts.set(index, plan.verdict);
  }

  const scans = [...plans].filter((e): e is [number, ScanPlan] => e[1].kind === 'scan');
  for (const [index, verdict] of await runScans(engine, ctx.table, scans)) verdicts.set(index, verdict);

  for (const [index, plan] of plans) {
    if (plan.kind !== 'query') continue;
    verdicts.set(index, await evaluate(() => runQuery(engine, plan)));
  }

  for (const [index, exp] of suite.expectations.entries()) {
    if (exp.expect !== 'drift') continue;
    const current = { source: input.source, columns: input.columns };
    verdicts.set(index, await evaluate(() => checkDrift(engine, exp, current, input.reference)));
  }

  const results: ValidationResult[] = [];
  for (const [index, exp] of suite.expectations.entries()) {
    const verdict = verdicts.get(index)!;
    const result: ValidationResult = {
      index,
      expect: exp.expect,
      ...columnOf(exp, input.timeColumn),
      passed: verdict.passed,
      observed: verdict.observed,
      message: verdict.message,
    };
    const plan = plans.get(index);
    if (!verdict.passed && verdict.failingCount && plan && plan.kind !== 'done') {
      const params = new Params();
      const { failing } = plan.build(params);
      if (failing) {
        const sample = await evaluateSample(() => locator.sample({ ...failing, params: params.values }));
        result.failingRows = { count: verdict.failingCount, sample };
      }
    }
    results.push(result);
  }
  return results;
}

/** One query for all shared-scan aggregates; if it fails, each check alone, to blame the right one. */
async function runScans(
  engine: AnalyticsEngine,
  table: string,
  scans: [number, ScanPlan][],
): Promise<Map<number, Verdict>> {
  const out = new Map<number, Verdict>();
  if (scans.length === 0) return out;
  const params = new Params();
  const parts: string[] = [];
  const slices: [number, ScanPlan, number, number][] = [];
  for (const [index, plan] of scans) {
    const { aggregates } = plan.build(params);
    slices.push([index, plan, parts.length, aggregates.length]);
    parts.push(...aggregates);
  }
  try {
    const row = await oneRow(
      engine,
      `SELECT ${parts.map((a, i) => `${a} AS a${i}`).join(', ')} FROM ${table}`,
      params.values,
    );
    for (const [index, plan, start, length] of slices)
      out.set(index, plan.judge(row.slice(start, start + length)));
  } catch (error) {
    if (!isEvaluationError(error)) throw error;
    for (const [index, plan] of scans) {
      out.set(
        index,
        await evaluate(async () => {
          const own = new Params();
          const { aggregates } = plan.build(own);
          const sql = `SELECT ${aggregates.map((a, i) => `${a} AS a${i}`).join(', ')} FROM ${table}`;
          return plan.judge(await oneRow(engine, sql, own.values));
        }),
      );
    }
  }
  return out;
}

async function runQuery(engine: AnalyticsEngine, plan: QueryPlan): Promise<Verdict> {
  const params = new Params();
  const { sql } = plan.build(params);
  return plan.judge(await oneRow(engine, sql, params.values));
}

async function oneRow(engine: AnalyticsEngine, sql: string, params: Cell[]): Promise<Cell[]> {
  const [row] = await engine.query(sql, params);
  return Object.values(row ?? {});
}

/**
 * DuckDB rejects some user input only when it runs (an invalid regular expression, a bound
 * that does not convert to the column's type): that fails the one expectation. Anything
 * else (permissions, memory, bugs) is not the suite's fault and is thrown.
 */
function isEvaluationError(error: unknown): error is PlumbError {
  return PlumbError.is(error, 'invalid_argument');
}

function unevaluated(error: PlumbError): Verdict {
  return {
    passed: false,
    observed: null,
    message: `could not be evaluated: ${error.message.split('\n')[0]}`,
  };
}

async function evaluate(run: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await run();
  } catch (error) {
    if (isEvaluationError(error)) return unevaluated(error);
    throw error;
  }
}

async function evaluateSample(run: () => Promise<Record<string, Cell>[]>): Promise<Record<string, Cell>[]> {
  try {
    return await run();
  } catch (error) {
    if (isEvaluationError(error)) return [];
    throw error;
  }
}

function columnOf(exp: Expectation, timeColumn: string | undefined): { column?: string } {
  if (exp.expect === 'unique' && exp.columns) return {};
  const column =
    exp.expect === 'freshness' ? (exp.column ?? timeColumn) : 'column' in exp ? exp.column : undefined;
  return column === undefined ? {} : { column };
}
