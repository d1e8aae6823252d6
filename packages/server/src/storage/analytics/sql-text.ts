// SQL text for DuckDB queries, apart from the engine so that code which only writes queries
// (and the CLI, which loads the modules) does not load DuckDB's native library.

export type Cell = string | number | boolean | null;

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
