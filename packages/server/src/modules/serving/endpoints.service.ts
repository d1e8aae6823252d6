import type { CreateEndpoint, Endpoint, Page, UpdateEndpoint } from '@plumb/sdk';
import type { z } from 'zod';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import { type EndpointRecord, type EndpointSettings, targetsOf, toEndpoint } from './endpoint-settings.js';
import type { EndpointsRepo } from './endpoints.repo.js';
import type { ServingRegistry } from './serving.ports.js';
import type { EndpointsTable } from './serving.tables.js';

type CreateInput = z.output<typeof CreateEndpoint>;
type UpdateInput = z.output<typeof UpdateEndpoint>;

export interface EndpointsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  registry: ServingRegistry;
}

/** Endpoints: created, changed and deleted with their audit records; versions checked first. */
export class EndpointsService {
  constructor(
    private readonly deps: EndpointsDeps,
    private readonly repo: EndpointsRepo,
  ) {}

  async create(ctx: RequestContext, input: CreateInput): Promise<Endpoint> {
    const projectId = ctx.principal.projectId;
    const settings = settingsOf(input);
    await this.checkTargets(projectId, settings);
    const now = isoNow(this.deps.clock);
    const row: EndpointsTable = {
      id: newId('ep'),
      project_id: projectId,
      name: input.name,
      description: input.description,
      settings: JSON.stringify(settings),
      created_at: now,
      created_by: actorOf(ctx),
      updated_at: now,
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (await this.repo.find(projectId, input.name, trx)) {
        throw new PlumbError('already_exists', `endpoint ${input.name} already exists`);
      }
      await this.repo.insert(trx, row);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'endpoint.create',
        resource: `endpoint:${input.name}`,
        change: { description: input.description, ...settings },
      });
    });
    return toEndpoint(recordOf(row));
  }

  async update(ctx: RequestContext, name: string, input: UpdateInput): Promise<Endpoint> {
    const projectId = ctx.principal.projectId;
    const before = await this.record(projectId, name);
    const { description = before.description, ...changes } = input;
    const settings: EndpointSettings = { ...settingsOf(before), ...definedOnly(changes) };
    await this.checkTargets(projectId, settings);
    const now = isoNow(this.deps.clock);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const current = await this.repo.find(projectId, name, trx);
      if (!current || current.id !== before.id)
        throw new PlumbError('conflict', `endpoint ${name} changed meanwhile; retry`);
      await this.repo.update(trx, before.id, {
        description,
        settings: JSON.stringify(settings),
        updated_at: now,
      });
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'endpoint.update',
        resource: `endpoint:${name}`,
        change: {
          before: { description: before.description, ...settingsOf(before) },
          after: { description, ...settings },
        },
      });
    });
    return toEndpoint({ ...before, ...settings, description, updatedAt: now });
  }

  async delete(ctx: RequestContext, name: string): Promise<Endpoint> {
    const projectId = ctx.principal.projectId;
    const found = await this.record(projectId, name);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.delete(trx, found.id);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'endpoint.delete',
        resource: `endpoint:${name}`,
        change: { description: found.description, ...settingsOf(found) },
      });
    });
    return toEndpoint(found);
  }

  async get(ctx: RequestContext, name: string): Promise<Endpoint> {
    return toEndpoint(await this.record(ctx.principal.projectId, name));
  }

  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Endpoint>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.list(ctx.principal.projectId, after, query.limit + 1);
    return pageOf(
      rows,
      query.limit,
      (r) => toEndpoint(recordOf(r)),
      (r) => r.name,
    );
  }

  /** The endpoint as stored now; read on every prediction, so a change applies to the next one. */
  async record(projectId: string, name: string): Promise<EndpointRecord> {
    const row = await this.repo.find(projectId, name);
    if (!row) throw new PlumbError('not_found', `endpoint ${name} does not exist`);
    return recordOf(row);
  }

  /**
   * Every version the endpoint names must resolve now and belong to a model that may be served:
   * an unacceptable-risk model is refused here and again on each prediction.
   */
  private async checkTargets(projectId: string, settings: EndpointSettings): Promise<void> {
    for (const target of targetsOf(settings)) {
      const info = await this.deps.registry.resolve(projectId, target).catch((error: unknown) => {
        if (error instanceof PlumbError && error.code === 'not_found') {
          throw new PlumbError('failed_precondition', `${target} cannot be served: ${error.message}`, {
            details: { target },
            cause: error,
          });
        }
        throw error;
      });
      await assertServable(this.deps.registry, projectId, info, target);
    }
  }
}

/** Refuses versions of models classed unacceptable risk. */
export async function assertServable(
  registry: ServingRegistry,
  projectId: string,
  info: ModelVersionInfo,
  target: string,
): Promise<void> {
  if ((await registry.riskClass(projectId, info.model)) === 'unacceptable') {
    throw new PlumbError(
      'failed_precondition',
      `${target} (${info.ref}) belongs to model ${info.model}, classed unacceptable risk (EU AI Act); it cannot be served`,
      { details: { target, modelVersion: info.ref, rule: 'unacceptable_risk' } },
    );
  }
}

function settingsOf(s: EndpointSettings): EndpointSettings {
  return {
    routes: s.routes,
    shadows: s.shadows,
    fallback: { versions: s.fallback.versions, defaultResponse: s.fallback.defaultResponse ?? null },
    timeoutMs: s.timeoutMs,
    cacheTtlMs: s.cacheTtlMs,
    reviewThreshold: s.reviewThreshold,
    redact: s.redact,
    features: s.features,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function recordOf(row: EndpointsTable): EndpointRecord {
  return {
    ...(JSON.parse(row.settings) as EndpointSettings),
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}
