import type { ColumnSchema } from '@plumb/sdk';

export interface SchemaDiff {
  /** Columns only in `b`, in `b`'s order. */
  added: ColumnSchema[];
  /** Columns only in `a`, in `a`'s order. */
  removed: ColumnSchema[];
  /** Columns in both whose type changed, in `b`'s order. */
  retyped: { name: string; from: string; to: string }[];
}

/** Columns are matched by exact name (DuckDB names are case-sensitive in files). */
export function diffSchemas(a: ColumnSchema[], b: ColumnSchema[]): SchemaDiff {
  const before = new Map(a.map((c) => [c.name, c.type]));
  const after = new Map(b.map((c) => [c.name, c.type]));
  const added = b.filter((c) => !before.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
  const removed = a.filter((c) => !after.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
  const retyped = b
    .filter((c) => before.has(c.name) && before.get(c.name) !== c.type)
    .map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type }));
  return { added, removed, retyped };
}
