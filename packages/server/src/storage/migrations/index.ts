import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

/** The migrations of one owner (a module, or storage itself), in the owner's own name order. */
export interface MigrationSet {
  owner: string;
  migrations: Record<string, Migration>;
}

/**
 * Orders every owner's migrations: owners in the order given, each owner's by name. Applied
 * migrations are never reordered by a new one: a migration added to an earlier owner after a
 * later owner's have run is applied on the next start (Kysely's unordered mode), and a new
 * database gets them all in this order, so each owner may rely on the tables of the owners
 * before it.
 */
export function orderMigrations(sets: readonly MigrationSet[]): {
  migrations: Record<string, Migration>;
  compare(a: string, b: string): number;
  ownerOf: Map<string, string>;
} {
  const rank = new Map<string, number>();
  const ownerOf = new Map<string, string>();
  const migrations: Record<string, Migration> = {};
  for (const set of sets) {
    for (const name of Object.keys(set.migrations).sort()) {
      const other = ownerOf.get(name);
      if (other) throw new TypeError(`migration ${name} is declared by both ${other} and ${set.owner}`);
      ownerOf.set(name, set.owner);
      rank.set(name, rank.size);
      migrations[name] = set.migrations[name]!;
    }
  }
  const compare = (a: string, b: string) =>
    (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER) ||
    (a < b ? -1 : a > b ? 1 : 0);
  return { migrations, compare, ownerOf };
}

/** Applies pending migrations; throws with the failing migration's name. */
export async function migrateToLatest(
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type applies
  db: Kysely<any>,
  sets: readonly MigrationSet[],
  schema?: string,
): Promise<string[]> {
  const { migrations, compare } = orderMigrations(sets);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({
    db,
    provider,
    allowUnorderedMigrations: true,
    nameComparator: compare,
    // Naming the schema keeps Kysely from mistaking another schema's bookkeeping tables for ours.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
