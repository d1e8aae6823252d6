import type { Db, Executor } from '../../storage/database.js';
import type { ModelAliasesTable, ModelAliasHistoryTable } from './registry.tables.js';

export type AliasRow = ModelAliasesTable & { version: number };
export type MoveRow = ModelAliasHistoryTable & { from_version: number | null; to_version: number };

/** SQL of aliases and their history. */
export class AliasesRepo {
  constructor(private readonly db: Db) {}

  private aliases(trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('model_aliases')
      .innerJoin('model_versions', 'model_versions.id', 'model_aliases.version_id')
      .selectAll('model_aliases')
      .select('model_versions.version');
  }

  async find(modelId: string, alias: string, trx?: Executor): Promise<AliasRow | undefined> {
    const row = await this.aliases(trx)
      .where('model_aliases.model_id', '=', modelId)
      .where('model_aliases.alias', '=', alias)
      .executeTakeFirst();
    return row && { ...row, version: Number(row.version) };
  }

  async ofModels(modelIds: string[]): Promise<AliasRow[]> {
    if (modelIds.length === 0) return [];
    const rows = await this.aliases()
      .where('model_aliases.model_id', 'in', modelIds)
      .orderBy('model_aliases.alias')
      .execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  async ofVersions(versionIds: string[], trx?: Executor): Promise<AliasRow[]> {
    if (versionIds.length === 0) return [];
    const rows = await this.aliases(trx)
      .where('model_aliases.version_id', 'in', versionIds)
      .orderBy('model_aliases.alias')
      .execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  /**
   * Points the alias at `to` only if it still points at `expected` (null: not set yet). The
   * update's WHERE clause and the primary key on insert are the compare-and-set: of two moves
   * from the same target, one changes a row and the other finds none (or a duplicate key).
   * Returns false when the alias no longer points at `expected`.
   */
  async compareAndSet(
    trx: Executor,
    modelId: string,
    alias: string,
    expected: string | null,
    to: string,
    by: string,
    at: string,
  ): Promise<boolean> {
    if (expected === null) {
      const existing = await trx
        .selectFrom('model_aliases')
        .select('version_id')
        .where('model_id', '=', modelId)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (existing) return false;
      await trx
        .insertInto('model_aliases')
        .values({ model_id: modelId, alias, version_id: to, updated_at: at, updated_by: by })
        .execute();
      return true;
    }
    const result = await trx
      .updateTable('model_aliases')
      .set({ version_id: to, updated_at: at, updated_by: by })
      .where('model_id', '=', modelId)
      .where('alias', '=', alias)
      .where('version_id', '=', expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async lastMove(trx: Executor, modelId: string, alias: string): Promise<ModelAliasHistoryTable | undefined> {
    const row = await trx
      .selectFrom('model_alias_history')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('alias', '=', alias)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { ...row, seq: Number(row.seq) };
  }

  /** Removes every alias of the model; returns the names removed. */
  async removeAll(trx: Executor, modelId: string): Promise<string[]> {
    const rows = await trx
      .selectFrom('model_aliases')
      .select('alias')
      .where('model_id', '=', modelId)
      .orderBy('alias')
      .execute();
    await trx.deleteFrom('model_aliases').where('model_id', '=', modelId).execute();
    return rows.map((r) => r.alias);
  }

  /** Whether an approved request ever moved the alias to this version. */
  async wasApproved(trx: Executor, modelId: string, alias: string, versionId: string): Promise<boolean> {
    const row = await trx
      .selectFrom('model_alias_history')
      .select('seq')
      .where('model_id', '=', modelId)
      .where('alias', '=', alias)
      .where('to_version_id', '=', versionId)
      .where('action', '=', 'approve')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async appendMove(trx: Executor, row: ModelAliasHistoryTable): Promise<void> {
    await trx.insertInto('model_alias_history').values(row).execute();
  }

  /** Newest first, before `beforeSeq`. */
  async history(
    modelId: string,
    alias: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<MoveRow[]> {
    let q = this.db.kysely
      .selectFrom('model_alias_history as h')
      .innerJoin('model_versions as t', 't.id', 'h.to_version_id')
      .leftJoin('model_versions as f', 'f.id', 'h.from_version_id')
      .selectAll('h')
      .select(['t.version as to_version', 'f.version as from_version'])
      .where('h.model_id', '=', modelId)
      .where('h.alias', '=', alias);
    if (beforeSeq !== undefined) q = q.where('h.seq', '<', beforeSeq);
    const rows = await q.orderBy('h.seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      ...r,
      seq: Number(r.seq),
      to_version: Number(r.to_version),
      from_version: r.from_version === null ? null : Number(r.from_version),
    }));
  }
}
