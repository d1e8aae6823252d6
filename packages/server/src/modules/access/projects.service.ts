import type { Page, Project } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { Db, Executor } from '../../storage/database.js';
import type { ProjectsTable } from './access.tables.js';
import { ProjectsRepo } from './projects.repo.js';

export const DEFAULT_PROJECT = 'default';

export class ProjectsService {
  private readonly repo: ProjectsRepo;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.repo = new ProjectsRepo(db);
  }

  async create(ctx: RequestContext | null, input: { name: string; description?: string }): Promise<Project> {
    return this.db.kysely.transaction().execute((trx) => this.createIn(trx, ctx, input));
  }

  /** Creates the project inside the caller's transaction (used by first-start bootstrap). */
  async createIn(
    trx: Executor,
    ctx: RequestContext | null,
    input: { name: string; description?: string },
  ): Promise<Project> {
    const row: ProjectsTable = {
      id: newId('prj'),
      name: input.name,
      description: input.description ?? '',
      created_at: isoNow(this.clock),
    };
    try {
      await this.repo.insert(trx, row);
    } catch (error) {
      if (PlumbError.is(error, 'already_exists')) {
        throw new PlumbError('already_exists', `project ${input.name} already exists`, { cause: error });
      }
      throw error;
    }
    await this.audit.append(trx, {
      actor: actorOf(ctx),
      projectId: row.id,
      action: 'project.create',
      resource: `project:${row.name}`,
      change: { name: row.name, description: row.description },
    });
    return toProject(row);
  }

  /**
   * Admin keys administer the whole instance and see every project; any other key sees only
   * its own, so project names do not leak to keys of other projects.
   */
  async list(ctx: RequestContext, query: { limit: number; cursor?: string }): Promise<Page<Project>> {
    const after = decodeCursor(query.cursor, isString);
    const only = ctx.principal.role === 'admin' ? undefined : ctx.principal.projectId;
    const rows = await this.repo.list(after, query.limit + 1, only);
    return pageOf(rows, query.limit, toProject, (r) => r.id);
  }

  async getByName(name: string, trx?: Executor): Promise<Project> {
    const row = await this.repo.findByName(name, trx);
    if (!row) throw new PlumbError('not_found', `project ${name} does not exist`);
    return toProject(row);
  }

  async findByName(name: string, trx?: Executor): Promise<Project | undefined> {
    const row = await this.repo.findByName(name, trx);
    return row && toProject(row);
  }

  async getById(id: string): Promise<Project> {
    const row = await this.repo.findById(id);
    if (!row) throw new PlumbError('not_found', `project ${id} does not exist`);
    return toProject(row);
  }
}

function toProject(row: ProjectsTable): Project {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}
