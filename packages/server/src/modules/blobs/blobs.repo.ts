import type { Db, Executor } from '../../storage/database.js';
import type { BlobOwnersTable } from './blobs.tables.js';

/** SQL of blob ownership: which project holds which blob, and how many bytes that makes. */
export class BlobsRepo {
  constructor(private readonly db: Db) {}

  find(projectId: string, ref: string, trx: Executor = this.db.kysely): Promise<BlobOwnersTable | undefined> {
    return trx
      .selectFrom('blob_owners')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('ref', '=', ref)
      .executeTakeFirst()
      .then((row) => row && { ...row, size: Number(row.size) });
  }

  async insert(trx: Executor, row: BlobOwnersTable): Promise<void> {
    await trx.insertInto('blob_owners').values(row).execute();
  }

  /** Bytes of the blobs the project owns; identical content counts once per project. */
  async usage(projectId: string, trx: Executor = this.db.kysely): Promise<number> {
    const row = await trx
      .selectFrom('blob_owners')
      .select((eb) => eb.fn.sum<number | string | null>('size').as('bytes'))
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return Number(row?.bytes ?? 0);
  }

  /** Whether any project owns the blob. */
  async owned(ref: string, trx: Executor = this.db.kysely): Promise<boolean> {
    const row = await trx.selectFrom('blob_owners').select('ref').where('ref', '=', ref).executeTakeFirst();
    return row !== undefined;
  }

  /** The newest ownership time of each owned blob, optionally only of the given refs. */
  async newestOwnership(refs?: string[], trx: Executor = this.db.kysely): Promise<Map<string, string>> {
    if (refs?.length === 0) return new Map();
    let query = trx
      .selectFrom('blob_owners')
      .select((eb) => ['ref', eb.fn.max<string>('created_at').as('newest')])
      .groupBy('ref');
    if (refs) query = query.where('ref', 'in', refs);
    const rows = await query.execute();
    return new Map(rows.map((r) => [r.ref, r.newest]));
  }

  async deleteRefs(trx: Executor, refs: string[]): Promise<void> {
    if (refs.length === 0) return;
    await trx.deleteFrom('blob_owners').where('ref', 'in', refs).execute();
  }
}
