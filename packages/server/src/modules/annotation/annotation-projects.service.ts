import type {
  AddAnnotationTasks,
  AddedAnnotationTasks,
  AddGoldItems,
  AnnotationProject,
  CreateAnnotationProject,
  Guidelines,
  Page,
} from '@plumb/sdk';
import type { z } from 'zod';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import type { AnnotationPorts } from './annotation.ports.js';
import type { AnnotationRepo } from './annotation.repo.js';
import type { AnnotationItemsTable } from './annotation.tables.js';
import { itemId } from './annotation-ids.js';
import { type ProjectRecord, toProject, toRecord } from './annotation-mapper.js';
import { checkLabel, parseLabelSchema } from './label-schema.js';

/** Rows read from a dataset version per page while adding its rows as items. */
const ROWS_PAGE = 1000;

export interface AnnotationDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  repo: AnnotationRepo;
  ports: AnnotationPorts;
}

type NewItem = Pick<AnnotationItemsTable, 'source_kind' | 'source_ref' | 'source_key' | 'data'> & {
  gold_answer?: string;
};

/** Annotation projects: schema, guidelines and settings, and the items they are given. */
export class AnnotationProjectsService {
  constructor(private readonly deps: AnnotationDeps) {}

  async create(
    ctx: RequestContext,
    input: z.output<typeof CreateAnnotationProject>,
  ): Promise<AnnotationProject> {
    const schema = parseLabelSchema(input.schema);
    const { name, description, schema: schemaYaml, guidelines, ...settings } = input;
    const now = isoNow(this.deps.clock);
    const row = {
      id: newId('anp'),
      project_id: ctx.principal.projectId,
      name,
      description,
      schema_yaml: schemaYaml,
      schema: JSON.stringify(schema),
      settings: JSON.stringify(settings),
      guidelines_version: 1,
      created_at: now,
      created_by: actorOf(ctx),
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (await this.deps.repo.findProject(ctx.principal.projectId, name, trx)) {
        throw new PlumbError('already_exists', `annotation project ${name} already exists`);
      }
      await this.deps.repo.insertProject(trx, row, {
        annotation_project_id: row.id,
        version: 1,
        markdown: guidelines,
        created_at: now,
        created_by: actorOf(ctx),
      });
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: ctx.principal.projectId,
        action: 'annotation.project.create',
        resource: `annotation:${name}`,
        change: { schema, settings, guidelinesVersion: 1 },
      });
    });
    return toProject(toRecord(row), { items: 0, goldItems: 0 });
  }

  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<AnnotationProject>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.deps.repo.listProjects(ctx.principal.projectId, after, query.limit + 1);
    const page = pageOf(
      rows,
      query.limit,
      (r) => r,
      (r) => r.name,
    );
    return {
      items: await Promise.all(page.items.map((r) => this.present(toRecord(r)))),
      nextCursor: page.nextCursor,
    };
  }

  async get(ctx: RequestContext, name: string): Promise<AnnotationProject> {
    return this.present(await this.require(ctx, name));
  }

  /** The project by name in the caller's project; `not_found` otherwise. */
  async require(ctx: RequestContext, name: string): Promise<ProjectRecord> {
    const row = await this.deps.repo.findProject(ctx.principal.projectId, name);
    if (!row) throw new PlumbError('not_found', `annotation project ${name} does not exist`);
    return toRecord(row);
  }

  async guidelines(ctx: RequestContext, name: string, version?: number): Promise<Guidelines> {
    const p = await this.require(ctx, name);
    const wanted = version ?? Number(p.row.guidelines_version);
    const row = await this.deps.repo.guidelines(p.row.id, wanted);
    if (!row) throw new PlumbError('not_found', `${name} has no guidelines version ${wanted}`);
    return {
      version: Number(row.version),
      markdown: row.markdown,
      createdAt: row.created_at,
      createdBy: row.created_by,
    };
  }

  /** A new guidelines version; labels given from now on record it. */
  async setGuidelines(ctx: RequestContext, name: string, markdown: string): Promise<Guidelines> {
    const p = await this.require(ctx, name);
    const now = isoNow(this.deps.clock);
    const version = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const current = await this.deps.repo.findProject(ctx.principal.projectId, name, trx);
      const next = Number(current!.guidelines_version) + 1;
      await this.deps.repo.addGuidelines(trx, {
        annotation_project_id: p.row.id,
        version: next,
        markdown,
        created_at: now,
        created_by: actorOf(ctx),
      });
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: ctx.principal.projectId,
        action: 'annotation.guidelines.update',
        resource: `annotation:${name}`,
        change: { version: next, markdown },
      });
      return next;
    });
    return { version, markdown, createdAt: now, createdBy: actorOf(ctx) };
  }

  /** Adds items from a dataset version, an endpoint's review queue or a coverage-gap report. */
  async addTasks(
    ctx: RequestContext,
    name: string,
    input: z.output<typeof AddAnnotationTasks>,
  ): Promise<AddedAnnotationTasks> {
    const p = await this.require(ctx, name);
    const items: NewItem[] = [];
    if (input.source === 'dataset') {
      const version = await this.deps.ports.resolveDataset(ctx, input.version);
      const slices = input.slices ? new Set(input.slices) : null;
      if (slices && version.sliceColumn === null) {
        throw new PlumbError(
          'invalid_argument',
          `${version.ref} has no slice column, so slices cannot be chosen`,
        );
      }
      const limit = input.limit ?? Number.POSITIVE_INFINITY;
      for (let offset = 0; items.length < limit; offset += ROWS_PAGE) {
        const page = await this.deps.ports.datasetRows(ctx, version.ref, offset, ROWS_PAGE);
        page.rows.forEach((row, i) => {
          if (items.length >= limit) return;
          if (slices && !slices.has(String(row[version.sliceColumn!]))) return;
          items.push({
            source_kind: 'dataset',
            source_ref: version.ref,
            source_key: `${version.id}#${offset + i}`,
            data: JSON.stringify(row),
          });
        });
        if (offset + ROWS_PAGE >= page.total) break;
      }
    } else if (input.source === 'review_queue') {
      const limit = input.limit ?? 10_000;
      let cursor: string | undefined;
      do {
        const page = await this.deps.ports.reviewQueue(
          ctx,
          input.endpoint,
          cursor,
          Math.min(500, limit - items.length),
        );
        for (const r of page.items) {
          const inputs =
            r.inputs !== null && typeof r.inputs === 'object' && !Array.isArray(r.inputs)
              ? r.inputs
              : { inputs: r.inputs };
          items.push({
            source_kind: 'review_queue',
            source_ref: input.endpoint,
            source_key: `prediction:${r.predictionId}`,
            data: JSON.stringify(inputs),
          });
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor && items.length < limit);
    } else {
      const gaps = await this.deps.ports.coverageGaps(ctx, {
        endpoint: input.endpoint,
        field: input.field,
        minGap: input.minGap,
        limit: input.limit ?? 10_000,
      });
      for (const g of gaps) {
        items.push({
          source_kind: 'coverage',
          source_ref: `${input.endpoint}:${input.field}`,
          // The same key as from the review queue: a prediction is one item whichever way it came.
          source_key: `prediction:${g.predictionId}`,
          data: JSON.stringify(g.inputs),
        });
      }
    }
    const added = await this.insert(ctx, p, items, false, {
      action: 'annotation.tasks.add',
      change: { source: input },
    });
    return { added, alreadyPresent: items.length - added };
  }

  /** Gold items: known answers, checked against the schema, mixed in among the tasks. */
  async addGold(ctx: RequestContext, name: string, input: AddGoldItems): Promise<AddedAnnotationTasks> {
    const p = await this.require(ctx, name);
    const items = input.items.map((g) => {
      const answer = checkLabel(p.schema, g.answer, g.data);
      const data = JSON.stringify(g.data);
      return {
        source_kind: 'gold',
        source_ref: 'gold',
        source_key: `gold:${data}`,
        data,
        gold_answer: JSON.stringify(answer),
      };
    });
    const added = await this.insert(ctx, p, items, true, {
      action: 'annotation.gold.add',
      change: { items: input.items },
    });
    return { added, alreadyPresent: items.length - added };
  }

  private async insert(
    ctx: RequestContext,
    p: ProjectRecord,
    items: NewItem[],
    gold: boolean,
    audit: { action: string; change: unknown },
  ): Promise<number> {
    if (items.length === 0) return 0;
    const now = isoNow(this.deps.clock);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const first = await this.deps.repo.nextOrdinal(trx, p.row.id);
      const added = await this.deps.repo.insertItems(
        trx,
        items.map((it, i) => ({
          id: itemId(),
          annotation_project_id: p.row.id,
          ordinal: first + i,
          source_kind: it.source_kind,
          source_ref: it.source_ref,
          source_key: it.source_key,
          data: it.data,
          is_gold: gold ? 1 : 0,
          gold_answer: it.gold_answer ?? null,
          target: gold ? null : p.settings.overlap,
          taken: 0,
          labelled: 0,
          status: 'open',
          agreement: null,
          consensus: null,
          consensus_source: null,
          spot_check: 0,
          created_at: now,
        })),
      );
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: ctx.principal.projectId,
        action: audit.action,
        resource: `annotation:${p.row.name}`,
        change: { ...(audit.change as object), added },
      });
      return added;
    });
  }

  private async present(p: ProjectRecord): Promise<AnnotationProject> {
    const counts = await this.deps.repo.itemCounts(p.row.id);
    const sum = (gold: boolean) => counts.filter((c) => c.isGold === gold).reduce((s, c) => s + c.n, 0);
    return toProject(p, { items: sum(false), goldItems: sum(true) });
  }
}
