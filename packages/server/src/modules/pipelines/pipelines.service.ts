import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type {
  AppliedPipeline,
  ListPipelineLogs,
  ListPipelineRuns,
  Page,
  Pipeline,
  PipelineLogs,
  PipelineRun,
  PipelineRunSummary,
  PipelineSpec,
} from '@plumb/sdk';
import type { z } from 'zod';
import { isoNow } from '../../core/clock.js';
import { actorOf, type Principal, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import { PipelineEngine, TERMINAL_RUN } from './pipeline-engine.js';
import { presentPipeline, presentRun, presentSummary } from './pipeline-presenter.js';
import { parsePipeline } from './pipeline-spec.js';
import type { PipelinesDeps } from './pipelines.ports.js';
import { PipelinesRepo, type RunRow } from './pipelines.repo.js';

export const CRON_QUEUE = 'pipeline.cron';
/** The actor audited for runs a signed webhook delivery starts: it carries no key. */
export const WEBHOOK_ACTOR = 'webhook';

export interface StartInput {
  trigger: 'manual' | 'cron' | 'dataset' | 'alert' | 'webhook';
  dedupKey: string;
  detail?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

/** Pipelines: versioned specs, runs started by people and by triggers, their steps and logs. */
export class PipelinesService {
  readonly repo: PipelinesRepo;
  readonly engine: PipelineEngine;

  constructor(private readonly deps: PipelinesDeps) {
    this.repo = new PipelinesRepo(deps.db);
    this.engine = new PipelineEngine(deps, this.repo);
  }

  /**
   * Stores the YAML as the pipeline's next version (the same text as the latest returns it,
   * `created: false`) and declares its cron schedule. The webhook secret is made, and shown, once.
   */
  async apply(ctx: RequestContext, yaml: string, baseDir: string | undefined): Promise<AppliedPipeline> {
    const spec = parsePipeline(yaml);
    const projectId = ctx.principal.projectId;
    const wantsWebhook = spec.triggers.some((t) => 'webhook' in t);
    const result = await this.deps.db.kysely.transaction().execute(async (trx) => {
      let pipeline = await this.repo.findPipeline(projectId, spec.name, trx);
      if (pipeline) {
        const latest = await this.repo.findVersion(pipeline.id, pipeline.latest_version, trx);
        if (latest && latest.yaml === yaml && latest.base_dir === (baseDir ?? null)) {
          return { version: latest, created: false, secret: null };
        }
      } else {
        pipeline = {
          id: newId('ppl'),
          project_id: projectId,
          name: spec.name,
          latest_version: 0,
          webhook_secret: null,
          created_at: isoNow(this.deps.clock),
          created_by: actorOf(ctx),
        };
        await this.repo.insertPipeline(trx, pipeline);
      }
      const secret = wantsWebhook && !pipeline.webhook_secret ? randomBytes(32).toString('base64url') : null;
      const version = {
        id: newId('plv'),
        pipeline_id: pipeline.id,
        version: pipeline.latest_version + 1,
        yaml,
        spec: JSON.stringify(spec),
        base_dir: baseDir ?? null,
        principal: JSON.stringify(ctx.principal),
        created_at: isoNow(this.deps.clock),
        created_by: actorOf(ctx),
      };
      await this.repo.insertVersion(trx, version);
      await this.repo.setLatest(trx, pipeline.id, version.version, secret ?? pipeline.webhook_secret);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'pipeline.apply',
        resource: `pipeline:${spec.name}@v${version.version}`,
        change: {
          steps: spec.steps.map((s) => s.name),
          triggers: spec.triggers,
          webhookSecretCreated: secret !== null,
        },
      });
      return { version: { ...version, name: spec.name }, created: true, secret };
    });
    if (result.created) await this.declareSchedule(result.version.pipeline_id, spec);
    return {
      pipeline: presentPipeline(result.version),
      created: result.created,
      webhookSecret: result.secret,
      webhookPath: wantsWebhook
        ? `/api/v1/projects/${encodeURIComponent(ctx.principal.projectName)}/pipelines/${encodeURIComponent(spec.name)}/webhook`
        : null,
    };
  }

  /** One schedule per pipeline, named after it; a version without a cron trigger removes it. */
  private async declareSchedule(pipelineId: string, spec: PipelineSpec): Promise<void> {
    const name = `pipeline:${pipelineId}`;
    const cron = spec.triggers.find((t): t is { cron: string; timeZone: string } => 'cron' in t);
    if (cron) {
      await this.deps.jobs.schedule(name, {
        cron: cron.cron,
        timeZone: cron.timeZone,
        queue: CRON_QUEUE,
        payload: { pipelineId },
        maxAttempts: 3,
      });
    } else {
      await this.deps.jobs.unschedule(name);
    }
  }

  async get(ctx: RequestContext, name: string): Promise<Pipeline> {
    const pipeline = await this.mustFind(ctx.principal.projectId, name);
    const version = await this.repo.findVersion(pipeline.id, pipeline.latest_version);
    return presentPipeline(version!);
  }

  async list(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Pipeline>> {
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listLatest(ctx.principal.projectId, after, query.limit + 1);
    return pageOf(rows, query.limit, presentPipeline, (r) => r.name);
  }

  private async mustFind(projectId: string, name: string) {
    const pipeline = await this.repo.findPipeline(projectId, name);
    if (!pipeline) throw new PlumbError('not_found', `pipeline ${name} does not exist`);
    return pipeline;
  }

  /** Starts a run of the latest version by hand; acts as the caller. */
  async run(
    ctx: RequestContext,
    name: string,
    input: { params: Record<string, unknown>; dedupKey?: string | undefined },
  ): Promise<{ run: PipelineRun; created: boolean }> {
    const pipeline = await this.mustFind(ctx.principal.projectId, name);
    const started = await this.start(pipeline.id, ctx.principal, actorOf(ctx), {
      trigger: 'manual',
      dedupKey: input.dedupKey ?? `manual:${newId('req')}`,
      params: input.params,
    });
    return { run: await this.present(started.run), created: started.created };
  }

  /**
   * Starts a run of the pipeline's latest version, unless a run with this deduplication key
   * exists: then that run is returned, so one event starts one run however often it arrives.
   * Runs started by triggers act as whoever applied the version.
   */
  async start(
    pipelineId: string,
    principal: Principal | null,
    actor: string,
    input: StartInput,
  ): Promise<{ run: RunRow; created: boolean }> {
    const existing = await this.repo.findRunByDedup(pipelineId, input.dedupKey);
    if (existing) return { run: existing, created: false };
    try {
      return await this.deps.db.kysely.transaction().execute(async (trx) => {
        const pipeline = await this.repo.findPipelineById(pipelineId, trx);
        if (!pipeline) throw new PlumbError('not_found', `pipeline ${pipelineId} does not exist`);
        const version = await this.repo.findVersion(pipeline.id, pipeline.latest_version, trx);
        const spec = JSON.parse(version!.spec) as PipelineSpec;
        const now = isoNow(this.deps.clock);
        const run: RunRow = {
          id: newId('prun'),
          project_id: pipeline.project_id,
          pipeline_id: pipeline.id,
          pipeline_name: pipeline.name,
          version_id: version!.id,
          version: version!.version,
          status: 'queued',
          trigger_kind: input.trigger,
          trigger_detail: JSON.stringify(input.detail ?? {}),
          dedup_key: input.dedupKey,
          params: JSON.stringify(input.params ?? {}),
          principal: JSON.stringify(principal ?? JSON.parse(version!.principal)),
          error: null,
          created_at: now,
          created_by: actor,
          finished_at: null,
        };
        await this.repo.insertRun(trx, run);
        await this.repo.insertSteps(
          trx,
          spec.steps.map((s, ordinal) => ({
            run_id: run.id,
            name: s.name,
            ordinal,
            kind: s.kind,
            status: 'pending',
            attempts: 0,
            outputs: null,
            cache_key: null,
            cached_from: null,
            approval: null,
            started_at: null,
            finished_at: null,
            error: null,
          })),
        );
        await this.deps.audit.append(trx, {
          actor,
          projectId: pipeline.project_id,
          action: 'pipeline.run.start',
          resource: `pipeline_run:${run.id}`,
          change: {
            pipeline: `${pipeline.name}@v${version!.version}`,
            trigger: input.trigger,
            dedupKey: input.dedupKey,
          },
        });
        await this.engine.advance(trx, run);
        return { run, created: true };
      });
    } catch (error) {
      // Two deliveries of one event racing: the unique key lets one insert; the other answers with it.
      if (PlumbError.is(error, 'already_exists')) {
        const winner = await this.repo.findRunByDedup(pipelineId, input.dedupKey);
        if (winner) return { run: winner, created: false };
      }
      throw error;
    }
  }

  async getRun(ctx: RequestContext, id: string): Promise<PipelineRun> {
    return this.present(await this.mustFindRun(ctx, id));
  }

  async listRuns(
    ctx: RequestContext,
    query: z.output<typeof ListPipelineRuns>,
  ): Promise<Page<PipelineRunSummary>> {
    const before = decodeCursor(query.cursor, isString);
    const rows = await this.repo.listRuns(
      ctx.principal.projectId,
      { pipeline: query.pipeline, status: query.status, beforeId: before },
      query.limit + 1,
    );
    return pageOf(rows, query.limit, presentSummary, (r) => r.id);
  }

  /** Ends the run as cancelled; a running step's program is stopped within a fraction of a second. */
  async cancel(ctx: RequestContext, id: string): Promise<PipelineRun> {
    await this.mustFindRun(ctx, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const run = await this.repo.lockRun(trx, id);
      if (!run || TERMINAL_RUN.has(run.status)) {
        throw new PlumbError('failed_precondition', `run ${id} has already ${run?.status ?? 'ended'}`);
      }
      await this.engine.endRun(trx, run, 'cancelled', `cancelled by ${ctx.principal.keyName}`, actorOf(ctx));
    });
    return this.getRun(ctx, id);
  }

  async decide(
    ctx: RequestContext,
    id: string,
    step: string,
    decision: 'approve' | 'reject',
    comment: string,
  ): Promise<PipelineRun> {
    await this.mustFindRun(ctx, id);
    await this.engine.approvals.decide(ctx, id, step, decision, comment);
    return this.getRun(ctx, id);
  }

  async logs(
    ctx: RequestContext,
    id: string,
    query: z.output<typeof ListPipelineLogs>,
  ): Promise<PipelineLogs> {
    const run = await this.mustFindRun(ctx, id);
    const rows = await this.repo.logs(id, query.after, query.step, query.limit);
    const last = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : query.after;
    return {
      lines: rows.map((r) => ({
        seq: Number(r.seq),
        step: r.step,
        attempt: r.attempt,
        stream: r.stream as 'stdout',
        time: r.time,
        text: r.text,
      })),
      last,
      // Done only once the run ended and this page reached the end of its lines.
      done: TERMINAL_RUN.has(run.status) && rows.length < query.limit,
    };
  }

  /**
   * A webhook delivery, authenticated by its signature alone: `sha256=<hex HMAC-SHA256 of the
   * raw body>` keyed with the pipeline's secret. The signature is checked, in constant time,
   * before anything else is read or stored; an unknown project or pipeline, one without a
   * webhook trigger and a wrong or missing signature all answer the same `unauthenticated`, so
   * the answer does not tell whether the pipeline exists. The delivery id (or the body's digest)
   * deduplicates: a redelivered event returns the run it started.
   */
  async webhook(
    projectName: string,
    name: string,
    body: Buffer,
    signature: string | undefined,
    deliveryId: string | undefined,
  ): Promise<{ run: PipelineRunSummary; created: boolean }> {
    const project = await this.deps.projects.findByName(projectName);
    const pipeline = project ? await this.repo.findPipeline(project.id, name) : undefined;
    const latest = pipeline && (await this.repo.findVersion(pipeline.id, pipeline.latest_version));
    const hooked = latest && (JSON.parse(latest.spec) as PipelineSpec).triggers.some((t) => 'webhook' in t);
    const secret = hooked ? (pipeline?.webhook_secret ?? null) : null;
    // Without a secret the body is still signed, with a key nobody has: the same work either way.
    const expected = createHmac('sha256', secret ?? randomBytes(32))
      .update(body)
      .digest();
    const given = /^sha256=[0-9a-fA-F]{64}$/.test(signature ?? '')
      ? Buffer.from(signature!.slice('sha256='.length), 'hex')
      : Buffer.alloc(expected.length);
    if (!timingSafeEqual(given, expected) || secret === null || !pipeline) {
      throw new PlumbError('unauthenticated', 'the webhook signature does not match');
    }
    if (deliveryId !== undefined && (deliveryId.length === 0 || deliveryId.length > 200)) {
      throw new PlumbError('invalid_argument', 'X-Plumb-Delivery must be 1 to 200 characters');
    }
    let payload: unknown = null;
    try {
      payload = body.length > 0 ? JSON.parse(body.toString('utf8')) : null;
    } catch {
      payload = null;
    }
    const params =
      payload && typeof payload === 'object' && !Array.isArray(payload) && 'params' in payload
        ? (payload as { params: unknown }).params
        : {};
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new PlumbError('invalid_argument', "the webhook body's params must be an object");
    }
    const key = deliveryId ?? createHmac('sha256', 'dedup').update(body).digest('hex');
    const started = await this.start(pipeline.id, null, WEBHOOK_ACTOR, {
      trigger: 'webhook',
      dedupKey: `webhook:${key}`,
      detail: { deliveryId: deliveryId ?? null },
      params: params as Record<string, unknown>,
    });
    return { run: presentSummary(started.run), created: started.created };
  }

  /** A new dataset version starts every pipeline of its project that has this dataset as a trigger. */
  async onDatasetVersion(event: { projectId: string; dataset: string; version: number; versionId: string }) {
    for (const v of await this.repo.allLatest(event.projectId)) {
      const spec = JSON.parse(v.spec) as PipelineSpec;
      if (!spec.triggers.some((t) => 'dataset' in t && t.dataset === event.dataset)) continue;
      await this.start(v.pipeline_id, null, 'system', {
        trigger: 'dataset',
        dedupKey: `dataset:${event.versionId}`,
        detail: { dataset: `${event.dataset}@v${event.version}`, versionId: event.versionId },
      });
    }
  }

  /** An opened alert starts the pipelines whose alert trigger matches its rule or endpoint. */
  async onAlert(alert: {
    id: string;
    projectId: string;
    ruleName: string;
    endpoint: string | null;
    dedupKey: string;
    openedAt: string;
  }) {
    for (const v of await this.repo.allLatest(alert.projectId)) {
      const spec = JSON.parse(v.spec) as PipelineSpec;
      const matches = spec.triggers.some(
        (t) =>
          'alert' in t &&
          (t.alert.rule === undefined || t.alert.rule === alert.ruleName) &&
          (t.alert.endpoint === undefined || t.alert.endpoint === alert.endpoint),
      );
      if (!matches) continue;
      await this.start(v.pipeline_id, null, 'system', {
        trigger: 'alert',
        // An alert opens once per id (a reopened condition is a new alert), so its id is the event.
        dedupKey: `alert:${alert.id}`,
        detail: { alertId: alert.id, rule: alert.ruleName, endpoint: alert.endpoint },
      });
    }
  }

  /** The handler of CRON_QUEUE: one run per tick, keyed by the tick. */
  async onCron(pipelineId: string, tick: Date | null): Promise<string | null> {
    const pipeline = await this.repo.findPipelineById(pipelineId);
    if (!pipeline) return null;
    const at = (tick ?? this.deps.clock.now()).toISOString();
    const started = await this.start(pipelineId, null, 'system', {
      trigger: 'cron',
      dedupKey: `cron:${at}`,
      detail: { tick: at },
    });
    return started.run.id;
  }

  private async mustFindRun(ctx: RequestContext, id: string): Promise<RunRow> {
    const run = await this.repo.findRun(id);
    if (!run || run.project_id !== ctx.principal.projectId)
      throw new PlumbError('not_found', `pipeline run ${id} does not exist`);
    return run;
  }

  private async present(run: RunRow): Promise<PipelineRun> {
    const [steps, attempts, approvals, version] = await Promise.all([
      this.repo.steps(run.id),
      this.repo.attempts(run.id),
      this.repo.approvals(run.id),
      this.repo.findVersionById(run.version_id),
    ]);
    return presentRun(run, JSON.parse(version!.spec) as PipelineSpec, steps, attempts, approvals);
  }
}
