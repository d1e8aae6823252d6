// Families of DuckDB types, as the schema of a version names them (DESCRIBE's column_type).

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

export function isIntegerType(type: string): boolean {
  return INTEGER_TYPES.has(type.toUpperCase());
}

export function isNumericType(type: string): boolean {
  const t = type.toUpperCase();
  return INTEGER_TYPES.has(t) || t === 'FLOAT' || t === 'DOUBLE' || t.startsWith('DECIMAL');
}

export function isTemporalType(type: string): boolean {
  const t = type.toUpperCase();
  return t === 'DATE' || (t.startsWith('TIMESTAMP') && nestedKind(t) === null);
}

export type NestedKind = 'list' | 'struct' | 'map' | 'union';

/**
 * The kind of a nested type (`BIGINT[]`, `VARCHAR[3]`, `STRUCT(x BIGINT, …)`, `MAP(…)`,
 * `UNION(…)`), or null for a flat one. The outermost type decides: a list of structs is a list.
 */
export function nestedKind(type: string): NestedKind | null {
  const t = type.toUpperCase().trim();
  if (/\[\d*\]$/.test(t)) return 'list';
  const head = /^(STRUCT|MAP|UNION)\s*\(/.exec(t)?.[1];
  return head ? (head.toLowerCase() as NestedKind) : null;
}

const FAMILIES: Record<string, (type: string) => boolean> = {
  number: isNumericType,
  integer: isIntegerType,
  string: (t) => t.toUpperCase() === 'VARCHAR',
  boolean: (t) => t.toUpperCase() === 'BOOLEAN',
  date: (t) => t.toUpperCase() === 'DATE',
  timestamp: (t) => t.toUpperCase().startsWith('TIMESTAMP') && nestedKind(t) === null,
  list: (t) => nestedKind(t) === 'list',
  struct: (t) => nestedKind(t) === 'struct',
  map: (t) => nestedKind(t) === 'map',
};

/**
 * Whether a column's type satisfies an expected type: a family name (lower case, as in the suite
 * format) or otherwise an exact DuckDB type, compared without regard to case or spacing.
 */
export function typeMatches(expected: string, actual: string): boolean {
  const family = FAMILIES[expected];
  if (family) return family(actual);
  const norm = (t: string) =>
    t
      .toUpperCase()
      .replace(/\s+/g, ' ')
      .replace(/\s*([(),])\s*/g, '$1')
      .trim();
  return norm(expected) === norm(actual);
}
