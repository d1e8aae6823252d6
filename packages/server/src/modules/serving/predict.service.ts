import type { Prediction } from '@plumb/sdk';
import { canonicalJson } from '../../core/canonical-json.js';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { EventSink } from '../events/events.contract.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointRecord } from './endpoint-settings.js';
import type { EndpointsRepo } from './endpoints.repo.js';
import { assertServable, type EndpointsService } from './endpoints.service.js';
import { PredictionCache } from './prediction-cache.js';
import { type RedactionKey, redactRow } from './redaction.js';
import { ResolutionCache } from './resolution-cache.js';
import { chooseRoute, routePoint } from './route-choice.js';
import type { RowAnswer } from './served-output.js';
import type { ServingRegistry } from './serving.ports.js';
import type { ShadowRunner } from './shadow-runner.js';
import type { BatchInput, VersionRunner } from './version-runner.js';

export interface PredictInput {
  input: BatchInput;
  routeKey?: string | undefined;
  tags?: Record<string, string> | undefined;
  traceId?: string | undefined;
  /** OIP `/versions/{v}`: this version answers instead of the traffic split. */
  pinned?: string | undefined;
  /** When each row happened (replays, backfills; checked by the caller): the events' time instead of the clock. */
  times?: string[] | undefined;
}

export interface ServedPrediction extends Prediction {
  /** The row's output tensors as the model gave them; null for a default response. */
  tensors: RowAnswer['tensors'] | null;
}

export interface PredictResult {
  endpoint: string;
  predictions: ServedPrediction[];
}

export interface PredictDeps {
  clock: Clock;
  registry: ServingRegistry;
  /** The inference log; read when first used, as its module may be created later. */
  events(): EventSink;
  runner: VersionRunner;
  redactionKey: RedactionKey;
  shadows: ShadowRunner;
  /** A number in [0, 1) for requests without a route key. */
  random?: () => number;
  cacheEntries?: number;
}

type Answered = {
  answer: RowAnswer;
  info: ModelVersionInfo | null;
  arm: Prediction['arm'];
  latencyMs: number;
};

/**
 * The prediction path: reads the database's change stamp on every request, and the endpoint and
 * its versions whenever the stamp moved (so an alias move or an endpoint change applies to the
 * next request on every replica); answers from the cache or the chosen version, falls back on
 * error or timeout, logs every row through the inference log before answering, queues
 * low-confidence rows for review, and hands shadows a copy afterwards.
 */
export class PredictService {
  private readonly cache: PredictionCache<RowAnswer>;
  private readonly lookups: ResolutionCache;
  private readonly random: () => number;

  constructor(
    private readonly deps: PredictDeps,
    private readonly endpoints: EndpointsService,
    private readonly repo: EndpointsRepo,
  ) {
    this.cache = new PredictionCache(deps.clock, deps.cacheEntries ?? 10_000);
    this.random = deps.random ?? Math.random;
    this.lookups = new ResolutionCache();
  }

  async predict(ctx: RequestContext, name: string, request: PredictInput): Promise<PredictResult> {
    const projectId = ctx.principal.projectId;
    // The stamp the request's key check read: a change committed after the request arrived
    // applies from the next request on, as it would had the request been answered at once.
    const stamp = ctx.readAt ?? (await this.repo.changeStamp());
    const endpoint = await this.lookups.get(stamp, `${projectId}\0endpoint\0${name}`, () =>
      this.endpoints.record(projectId, name),
    );
    const chosen = request.pinned
      ? { target: request.pinned, arm: 'primary' as const }
      : chooseRoute(endpoint.routes, request.routeKey ? routePoint(name, request.routeKey) : this.random());
    const rows = rowsOf(request.input);
    const logged = rows.map((row) => this.loggable(endpoint, namedRow(endpoint, row)));

    let primary: ModelVersionInfo | null = null;
    let answered: Answered[];
    const failures: string[] = [];
    try {
      primary = await this.servable(projectId, chosen.target, stamp);
      answered = await this.answer(endpoint, primary, request.input, rows, chosen.arm);
    } catch (error) {
      if (error instanceof PlumbError && error.code === 'invalid_argument') throw error;
      failures.push(failure(primary?.ref ?? chosen.target, error));
      answered = await this.fallBack(endpoint, request.input, rows, failures, error, stamp);
    }

    const predictions = answered.map((a) => this.prediction(endpoint, a));
    const error = failures.length > 0 ? failures.join('; ') : null;
    await this.deps.events().record(
      predictions.map((p, r) => ({
        id: p.predictionId,
        projectId,
        endpoint: name,
        modelVersion: p.modelVersion,
        modelVersionId: answered[r]!.info?.id ?? null,
        arm: p.arm,
        inputs: logged[r],
        outputs: p.output,
        label: p.label === null ? null : String(p.label),
        score: p.score,
        confidence: p.confidence,
        latencyMs: answered[r]!.latencyMs,
        ...(request.tags ? { tags: request.tags } : {}),
        traceId: request.traceId ?? null,
        error,
        ...(request.times ? { time: request.times[r] } : {}),
      })),
    );
    await this.queueForReview(endpoint, predictions, logged);

    if (endpoint.shadows.length > 0 && primary && failures.length === 0) {
      this.deps.shadows.offer({
        endpoint,
        input: request.input,
        logged,
        primary: answered.map((a) => ({ answer: a.answer, latencyMs: a.latencyMs })),
        tags: request.tags,
        traceId: request.traceId,
        times: request.times,
      });
    }
    return { endpoint: name, predictions };
  }

  /**
   * Resolves a target as the database stands now and refuses versions of unacceptable-risk
   * models; `stamp` is the change stamp the caller's request already read.
   */
  async servable(projectId: string, target: string, stamp?: number): Promise<ModelVersionInfo> {
    const at = stamp ?? (await this.repo.changeStamp());
    const key = `${projectId}\0version\0${target}`;
    const info = await this.lookups.get(at, key, () => this.deps.registry.resolve(projectId, target));
    // A reclassification is a change like any other: the next request sees the new class.
    await this.lookups.get(at, `${key}\0servable`, () =>
      assertServable(this.deps.registry, projectId, info, target),
    );
    return info;
  }

  private async answer(
    endpoint: EndpointRecord,
    info: ModelVersionInfo,
    input: BatchInput,
    rows: unknown[],
    arm: Prediction['arm'],
  ): Promise<Answered[]> {
    const useCache = endpoint.cacheTtlMs > 0;
    const keys = useCache ? rows.map((row) => cacheKey(info, endpoint, row)) : [];
    const out: (Answered | undefined)[] = rows.map((_, r) => {
      if (!useCache) return undefined;
      const hit = this.cache.get(keys[r]!);
      return hit && { answer: hit, info, arm: 'cache' as const, latencyMs: 0 };
    });
    const missing = out.flatMap((a, r) => (a ? [] : [r]));
    if (missing.length > 0) {
      const batch = missing.length === rows.length ? input : subset(input, missing);
      const run = await this.deps.runner.run(info, batch, {
        features: endpoint.features,
        timeoutMs: endpoint.timeoutMs,
      });
      missing.forEach((r, i) => {
        const answer = run.answers[i]!;
        out[r] = { answer, info, arm, latencyMs: run.latencyMs };
        if (useCache) this.cache.set(keys[r]!, answer, endpoint.cacheTtlMs);
      });
    }
    return out as Answered[];
  }

  /** The fallback versions in order, then the default response; `failures` collects what failed. */
  private async fallBack(
    endpoint: EndpointRecord,
    input: BatchInput,
    rows: unknown[],
    failures: string[],
    first: unknown,
    stamp: number,
  ): Promise<Answered[]> {
    const projectId = endpoint.projectId;
    for (const target of endpoint.fallback.versions) {
      let info: ModelVersionInfo | null = null;
      try {
        info = await this.servable(projectId, target, stamp);
        return await this.answer(endpoint, info, input, rows, 'fallback');
      } catch (error) {
        if (error instanceof PlumbError && error.code === 'invalid_argument') throw error;
        failures.push(failure(info?.ref ?? target, error));
      }
    }
    const fixed = endpoint.fallback.defaultResponse;
    if (fixed !== null && fixed !== undefined) {
      const answer: RowAnswer = { tensors: [], output: fixed, label: null, score: null, confidence: null };
      return rows.map(() => ({ answer, info: null, arm: 'fallback' as const, latencyMs: 0 }));
    }
    if (endpoint.fallback.versions.length === 0 && first instanceof PlumbError) throw first;
    throw new PlumbError(
      'unavailable',
      `endpoint ${endpoint.name} could not answer: ${failures.join('; ')}`,
      {
        details: { failures },
      },
    );
  }

  private prediction(endpoint: EndpointRecord, a: Answered): ServedPrediction {
    const threshold = endpoint.reviewThreshold;
    return {
      predictionId: newId('prd'),
      modelVersion: a.info?.ref ?? null,
      arm: a.arm,
      output: a.answer.output,
      label: a.answer.label,
      score: a.answer.score,
      confidence: a.answer.confidence,
      review: threshold !== null && a.answer.confidence !== null && a.answer.confidence < threshold,
      tensors: a.info ? a.answer.tensors : null,
    };
  }

  private async queueForReview(endpoint: EndpointRecord, predictions: ServedPrediction[], logged: unknown[]) {
    // Most predictions queue nothing: no clock read, no statement, no await for them.
    if (!predictions.some((p) => p.review)) return;
    const now = this.deps.clock.now().toISOString();
    await this.repo.insertReviews(
      predictions.flatMap((p, r) =>
        p.review
          ? [
              {
                id: newId('rvw'),
                project_id: endpoint.projectId,
                endpoint_id: endpoint.id,
                prediction_id: p.predictionId,
                model_version: p.modelVersion,
                inputs: JSON.stringify(logged[r] ?? null),
                output: JSON.stringify(p.output ?? null),
                label: p.label === null ? null : JSON.stringify(p.label),
                confidence: p.confidence!,
                created_at: now,
              },
            ]
          : [],
      ),
    );
  }

  /** A row as it may be stored: redacted by field name. */
  loggable(endpoint: EndpointRecord, row: unknown): unknown {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return row;
    return redactRow(row as Record<string, unknown>, endpoint.redact, this.deps.redactionKey);
  }
}

/** Each row as given: an object of named features, or (OIP) the row's values, named when the endpoint lists features. */
function rowsOf(input: BatchInput): unknown[] {
  if (input.kind === 'named') return input.rows;
  return Array.from({ length: input.rows }, (_, r) =>
    Array.from(input.data.subarray(r * input.width, (r + 1) * input.width)),
  );
}

/** A tensor row named by the endpoint's feature list, so it can be redacted by field. */
function namedRow(endpoint: EndpointRecord, row: unknown): unknown {
  const features = endpoint.features;
  if (!Array.isArray(row) || !features || features.length !== row.length) return row;
  return Object.fromEntries(features.map((f, i) => [f, row[i]]));
}

function subset(input: BatchInput, rows: number[]): BatchInput {
  if (input.kind === 'named') return { kind: 'named', rows: rows.map((r) => input.rows[r]!) };
  const data = new Float32Array(rows.length * input.width);
  rows.forEach((r, i) => {
    data.set(input.data.subarray(r * input.width, (r + 1) * input.width), i * input.width);
  });
  return { kind: 'tensor', data, rows: rows.length, width: input.width };
}

function cacheKey(info: ModelVersionInfo, endpoint: EndpointRecord, row: unknown): string {
  return `${info.id}\0${canonicalJson(endpoint.features)}\0${canonicalJson(row)}`;
}

/** What failed, named by the version unless the message already starts with it. */
function failure(ref: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(ref) ? message : `${ref}: ${message}`;
}
