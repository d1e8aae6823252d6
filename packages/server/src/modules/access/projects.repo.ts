import type { Db, Executor } from '../../storage/database.js';
import type { ProjectsTable } from './access.tables.js';

export class ProjectsRepo {
  constructor(private readonly db: Db) {}

  async insert(trx: Executor, row: ProjectsTable): Promise<void> {
    await trx.insertInto('projects').values(row).execute();
  }

  findByName(name: string, trx: Executor = this.db.kysely): Promise<ProjectsTable | undefined> {
    return trx.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
  }

  findById(id: string): Promise<ProjectsTable | undefined> {
    return this.db.kysely.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Ordered by id, which is creation order; `onlyId` keeps one project. */
  list(afterId: string | undefined, limit: number, onlyId?: string): Promise<ProjectsTable[]> {
    let q = this.db.kysely.selectFrom('projects').selectAll();
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    if (onlyId !== undefined) q = q.where('id', '=', onlyId);
    return q.orderBy('id', 'asc').limit(limit).execute();
  }
}
