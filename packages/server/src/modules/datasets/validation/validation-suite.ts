import { z } from 'zod';
import { PlumbError } from '../../../core/errors.js';
import { readYaml } from '../../../core/yaml-input.js';
import { DURATION_PATTERN } from './duration.js';

const column = z.string().min(1, 'must name a column');
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const bound = z.union([z.number(), z.string().min(1)]);
const count = z.number().int().min(0);

function atLeastOneBound(value: { min?: unknown; max?: unknown }, ctx: z.RefinementCtx): void {
  if (value.min === undefined && value.max === undefined) {
    ctx.addIssue({ code: 'custom', path: ['min'], message: 'give min, max or both' });
  } else if (typeof value.min === 'number' && typeof value.max === 'number' && value.min > value.max) {
    ctx.addIssue({
      code: 'custom',
      path: ['max'],
      message: `max (${value.max}) is below min (${value.min})`,
    });
  }
}

const Present = z.strictObject({ expect: z.literal('present'), column });
const Type = z.strictObject({
  expect: z.literal('type'),
  column,
  /** number | integer | string | boolean | date | timestamp, or an exact DuckDB type such as DOUBLE. */
  type: z.string().min(1),
});
const NotNull = z.strictObject({ expect: z.literal('not_null'), column });
const MaxNullFraction = z.strictObject({
  expect: z.literal('max_null_fraction'),
  column,
  value: z.number().min(0).max(1),
});
const Unique = z
  .strictObject({
    expect: z.literal('unique'),
    column: column.optional(),
    columns: z.array(column).min(1).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.column === undefined) === (value.columns === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['column'],
        message: 'give either column or columns (a compound key)',
      });
    } else if (value.columns && new Set(value.columns).size !== value.columns.length) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'names a column twice' });
    }
  });
const Between = z
  .strictObject({ expect: z.literal('between'), column, min: bound.optional(), max: bound.optional() })
  .superRefine(atLeastOneBound);
const InSet = z.strictObject({
  expect: z.literal('in_set'),
  column,
  values: z.array(scalar).min(1, 'must list at least one value'),
});
const Matches = z.strictObject({ expect: z.literal('matches'), column, pattern: z.string().min(1) });
const Length = z
  .strictObject({ expect: z.literal('length'), column, min: count.optional(), max: count.optional() })
  .superRefine(atLeastOneBound);
const RowCount = z
  .strictObject({ expect: z.literal('row_count'), min: count.optional(), max: count.optional() })
  .superRefine(atLeastOneBound);
const Freshness = z.strictObject({
  expect: z.literal('freshness'),
  /** Defaults to the version's time column. */
  column: column.optional(),
  max_age: z.string().regex(DURATION_PATTERN, 'must be a duration such as 90m, 36h, 7d or 2w'),
});
export const DriftTest = z.enum(['psi', 'ks', 'jensen_shannon', 'wasserstein']);
export type DriftTest = z.infer<typeof DriftTest>;
const Drift = z.strictObject({
  expect: z.literal('drift'),
  column,
  test: DriftTest,
  /** The largest acceptable value of the test's statistic. */
  max: z.number().min(0),
});

export const Expectation = z.discriminatedUnion('expect', [
  Present,
  Type,
  NotNull,
  MaxNullFraction,
  Unique,
  Between,
  InSet,
  Matches,
  Length,
  RowCount,
  Freshness,
  Drift,
]);
export type Expectation = z.infer<typeof Expectation>;
export type ExpectationKind = Expectation['expect'];
export type ExpectationOf<K extends ExpectationKind> = Extract<Expectation, { expect: K }>;

export const ValidationSuite = z.strictObject({
  name: z.string().min(1),
  /** The version drift expectations compare against, as `name@vN` (or `name@alias`). */
  reference: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+$/, 'must be a version such as weather@v1')
    .optional(),
  expectations: z.array(Expectation).min(1, 'must list at least one expectation'),
});
export type ValidationSuite = z.infer<typeof ValidationSuite>;

/**
 * Parses and checks a suite once, at the edge. Every problem is reported together, each with
 * where it is (`expectations[3].max`) and its line, so a user can fix a suite in one pass.
 */
export function parseSuite(yamlText: string): ValidationSuite {
  const input = readYaml(yamlText);
  const data = input.data;
  const parsed = ValidationSuite.safeParse(data ?? {});
  if (parsed.success) return parsed.data;

  const problems = parsed.error.issues.map((issue) =>
    describeIssue(issue, data, (path) => input.lineOf(path)),
  );
  throw new PlumbError('invalid_argument', `the suite is invalid: ${problems.join('; ')}`, {
    details: { problems },
  });
}

type Path = (string | number)[];

function describeIssue(issue: z.core.$ZodIssue, data: unknown, line: (path: Path) => number | null): string {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let where = path;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const kind = expectKind(data, path);
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${kind ? ` for expect '${kind}'` : ''}`;
    where = [...path, issue.keys[0]!];
  } else if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'expect') {
    const given = expectKind(data, path.slice(0, -1));
    const options = (issue as { options?: unknown[] }).options ?? [];
    message = `${given === undefined ? "missing 'expect'" : `unknown expect '${given}'`}; expected one of ${options.join(', ')}`;
  } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    message = `is required (${issue.expected})`;
  }
  const at = line(where);
  return `${formatPath(path)}: ${message}${at === null ? '' : ` (line ${at})`}`;
}

function expectKind(data: unknown, path: Path): string | undefined {
  let node: unknown = data;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  const kind = (node as { expect?: unknown } | undefined)?.expect;
  return kind === undefined ? undefined : String(kind);
}

function formatPath(path: Path): string {
  if (path.length === 0) return 'suite';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
