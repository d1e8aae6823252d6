import type { CompiledQuery } from 'kysely';
import { changeStampReader } from '../../storage/change-stamp.js';
import type { Db, Executor } from '../../storage/database.js';
import type { ApiKeysTable } from './access.tables.js';

export type KeyRow = ApiKeysTable & { project_name: string };

export class KeysRepo {
  private readonly readStamp: () => Promise<number>;
  private readonly byHashQuery: CompiledQuery<KeyRow>;

  constructor(private readonly db: Db) {
    // Compiled once: both run on every authenticated request. The key lookup is compiled with a
    // placeholder hash, its only parameter, which each call replaces.
    this.readStamp = changeStampReader(db);
    this.byHashQuery = this.withProject().where('api_keys.secret_hash', '=', '').compile();
    if (this.byHashQuery.parameters.length !== 1)
      throw new TypeError('the key lookup must take one parameter');
  }

  /**
   * The audit head's sequence. Creating, revoking and bootstrapping a key each append an audit
   * record in their transaction (and project names never change), so a key read under an
   * unchanged stamp is still current, whichever process made the change.
   */
  changeStamp(): Promise<number> {
    return this.readStamp();
  }

  async insert(trx: Executor, row: ApiKeysTable): Promise<void> {
    await trx.insertInto('api_keys').values(row).execute();
  }

  private withProject(trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('api_keys')
      .innerJoin('projects', 'projects.id', 'api_keys.project_id')
      .selectAll('api_keys')
      .select('projects.name as project_name');
  }

  async findByHash(secretHash: string): Promise<KeyRow | undefined> {
    const query: CompiledQuery<KeyRow> = { ...this.byHashQuery, parameters: [secretHash] };
    const { rows } = await this.db.kysely.executeQuery(query);
    return rows[0];
  }

  findById(id: string, trx?: Executor): Promise<KeyRow | undefined> {
    return this.withProject(trx).where('api_keys.id', '=', id).executeTakeFirst();
  }

  /** Id, name and revocation of every key of a project. */
  names(projectId: string): Promise<{ id: string; name: string; revoked_at: string | null }[]> {
    return this.db.kysely
      .selectFrom('api_keys')
      .select(['id', 'name', 'revoked_at'])
      .where('project_id', '=', projectId)
      .orderBy('id', 'asc')
      .execute();
  }

  list(
    filter: { projectId?: string; includeRevoked: boolean; afterId?: string },
    limit: number,
  ): Promise<KeyRow[]> {
    let q = this.withProject();
    if (filter.projectId !== undefined) q = q.where('api_keys.project_id', '=', filter.projectId);
    if (!filter.includeRevoked) q = q.where('api_keys.revoked_at', 'is', null);
    if (filter.afterId !== undefined) q = q.where('api_keys.id', '>', filter.afterId);
    return q.orderBy('api_keys.id', 'asc').limit(limit).execute();
  }

  async countActive(trx: Executor = this.db.kysely): Promise<number> {
    const row = await trx
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async revoke(trx: Executor, id: string, at: string): Promise<boolean> {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.kysely.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
