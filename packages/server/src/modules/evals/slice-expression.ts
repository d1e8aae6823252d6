import { PlumbError } from '../../core/errors.js';

export type Scalar = string | number | boolean;
export type SliceOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';

/** `<column> <op> <value>`, parsed; never turned back into SQL. */
export interface SliceCondition {
  column: string;
  op: SliceOp;
  /** A list for `in`, one value otherwise. */
  value: Scalar | Scalar[];
}

/** A person writes these by hand; anything longer is not a slice definition. */
const MAX_CHARS = 1000;

type Token =
  | { kind: 'ident'; text: string; at: number }
  | { kind: 'quoted_ident'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'number'; value: number; text: string; at: number }
  | { kind: 'op'; text: SliceOp; at: number }
  | { kind: 'punct'; text: '(' | ')' | '[' | ']' | ','; at: number };

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
// A bare value may carry dots, colons and dashes (`2015-06-01`, `a.b`), never quotes or spaces.
const BARE = /^[A-Za-z_][A-Za-z0-9_.:-]*/;

/**
 * Parses a slice's `where` expression: a column (a name, or "double quoted" with "" for a
 * quote), one of `= != < <= > >= in`, and a value: a number, 'single quoted' text ('' for a
 * quote), a bare word, true or false, or for `in` a list `(a, 'b', 3)` or `[a, b]`. The whole
 * text must be that one comparison: anything else (a second condition, a semicolon, a comment)
 * is refused. The result is evaluated in TypeScript, so no part of it ever reaches SQL.
 */
export function parseWhere(text: string): SliceCondition {
  if (text.length > MAX_CHARS) throw invalid(text, `it is longer than ${MAX_CHARS} characters`);
  const tokens = tokenize(text);
  let i = 0;
  const next = () => tokens[i++];
  const column = next();
  if (!column || (column.kind !== 'ident' && column.kind !== 'quoted_ident')) {
    throw invalid(text, 'it must start with a column name');
  }
  const op = next();
  if (op?.kind !== 'op') {
    throw invalid(text, `expected one of = != < <= > >= in after ${column.text}`);
  }
  let value: Scalar | Scalar[];
  if (op.text === 'in') {
    const open = next();
    if (open?.kind !== 'punct' || (open.text !== '(' && open.text !== '[')) {
      throw invalid(text, 'in takes a list such as (a, b) or [a, b]');
    }
    const close = open.text === '(' ? ')' : ']';
    const values: Scalar[] = [];
    for (;;) {
      values.push(scalarOf(text, next()));
      const sep = next();
      if (sep?.kind === 'punct' && sep.text === close) break;
      if (!(sep?.kind === 'punct' && sep.text === ','))
        throw invalid(text, `expected , or ${close} in the list`);
    }
    value = values;
  } else {
    value = scalarOf(text, next());
  }
  const rest = tokens[i];
  if (rest)
    throw invalid(text, `unexpected ${describe(rest)} after the comparison; a slice is one comparison`);
  return { column: column.text, op: op.text, value };
}

/** SQL's three-valued logic, collapsed: a null cell is in no slice. */
export function matchesCondition(condition: SliceCondition, cell: string | number | boolean | null): boolean {
  if (cell === null) return false;
  const { op, value } = condition;
  if (op === 'in') return (value as Scalar[]).some((v) => v === cell);
  const v = value as Scalar;
  switch (op) {
    case '=':
      return cell === v;
    case '!=':
      return cell !== v;
    case '<':
      return cell < v;
    case '<=':
      return cell <= v;
    case '>':
      return cell > v;
    case '>=':
      return cell >= v;
  }
}

/** The condition written back out, for reports. */
export function formatCondition(c: SliceCondition): string {
  const one = (v: Scalar) => (typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v));
  const value = Array.isArray(c.value) ? `(${c.value.map(one).join(', ')})` : one(c.value);
  const column = IDENT.exec(c.column)?.[0] === c.column ? c.column : `"${c.column.replaceAll('"', '""')}"`;
  return `${column} ${c.op} ${value}`;
}

function scalarOf(text: string, token: Token | undefined): Scalar {
  if (!token) throw invalid(text, 'a value is missing');
  if (token.kind === 'number') return token.value;
  if (token.kind === 'string') return token.text;
  if (token.kind === 'ident') {
    const lower = token.text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') throw invalid(text, 'null is not a value a slice can compare with');
    return token.text;
  }
  throw invalid(text, `expected a value, found ${describe(token)}`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
      if (two === '<>') throw invalid(text, 'write != for "not equal"');
      tokens.push({ kind: 'op', text: two, at });
      at += 2;
      continue;
    }
    const c = rest[0]!;
    if (c === '=' || c === '<' || c === '>') {
      if (rest[1] === '=') throw invalid(text, 'write = for "equal"');
      tokens.push({ kind: 'op', text: c, at });
      at += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') {
      tokens.push({ kind: 'punct', text: c, at });
      at += 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const { value, length } = readQuoted(text, at, c);
      tokens.push({ kind: c === "'" ? 'string' : 'quoted_ident', text: value, at });
      at += length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw invalid(text, `${number[0]} is not a finite number`);
      tokens.push({ kind: 'number', value, text: number[0], at });
      at += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      if (ident[0].toLowerCase() === 'in' && tokens.length === 1) {
        tokens.push({ kind: 'op', text: 'in', at });
        at += 2;
        continue;
      }
      // A value position accepts the wider bare-word form; a column only the identifier one.
      const bare = tokens.length >= 2 ? (BARE.exec(rest)?.[0] ?? ident[0]) : ident[0];
      tokens.push({ kind: 'ident', text: bare, at });
      at += bare.length;
      continue;
    }
    throw invalid(text, `unexpected character ${JSON.stringify(c)} at position ${at + 1}`);
  }
  return tokens;
}

function readQuoted(text: string, start: number, quote: string): { value: string; length: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, length: i + 1 - start };
    }
    value += c;
    i += 1;
  }
  throw invalid(text, `the text quoted at position ${start + 1} is not closed`);
}

function describe(token: Token): string {
  if (token.kind === 'string') return `'${token.text}'`;
  if (token.kind === 'quoted_ident') return `"${token.text}"`;
  return JSON.stringify(token.text);
}

function invalid(text: string, why: string): PlumbError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new PlumbError('invalid_argument', `where "${shown}": ${why}`, { details: { where: text } });
}

const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** How a DuckDB column's cells arrive in TypeScript (see toCell): numbers, booleans or text. */
export function cellKindOf(duckType: string): 'number' | 'boolean' | 'string' {
  if (NUMERIC_TYPE.test(duckType)) return 'number';
  if (duckType === 'BOOLEAN') return 'boolean';
  return 'string';
}

/**
 * Refuses comparisons that could never mean what was written: text against a number, a
 * number against text, or an order (<, >) on booleans. Checked against the dataset's schema
 * before any row is read.
 */
export function checkConditionType(slice: string, condition: SliceCondition, duckType: string): void {
  const kind = cellKindOf(duckType);
  const values = Array.isArray(condition.value) ? condition.value : [condition.value];
  for (const v of values) {
    if (typeof v !== kind) {
      throw new PlumbError(
        'invalid_argument',
        `slice ${slice}: column ${condition.column} is ${duckType} but ${JSON.stringify(v)} is a ${typeof v}` +
          (kind === 'string' ? "; quote text values, e.g. '2015-06-01'" : ''),
      );
    }
  }
  if (kind === 'boolean' && !['=', '!=', 'in'].includes(condition.op)) {
    throw new PlumbError(
      'invalid_argument',
      `slice ${slice}: column ${condition.column} is BOOLEAN; compare it with = or !=`,
    );
  }
}
