import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { SecretSource } from '../../core/secrets.js';
import type { ServingMeter } from '../../http/metrics.js';
import type { Arm, EventSink } from '../events/events.contract.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointRecord } from './endpoint-settings.js';
import type { EndpointsRepo } from './endpoints.repo.js';
import type { EndpointsService } from './endpoints.service.js';
import { type CachedCompletion, ChatCache, chunksOfCompletion, completionOfStream } from './openai-cache.js';
import type { ChatCompletionRequest } from './openai-chat.schemas.js';
import { type ChatCall, logChat, tagsOf } from './openai-chat-log.js';
import {
  AssistantMessage,
  chunksOf,
  completionOf,
  defaultMessageOf,
  loggedMessages,
  openAiError,
  parseChunk,
  usageOf,
} from './openai-messages.js';
import { type OpenAiModel, openAiModels } from './openai-models.js';
import { costOf, type PricesService, type TokenUsage, type UnitPrice } from './openai-prices.service.js';
import { answerText, ChatShadows } from './openai-shadows.js';
import { openAiArtifact, upstreamKey } from './openai-target.js';
import type { OpenAiUpstream, UpstreamStream, UpstreamTarget } from './openai-upstream.js';
import { chooseRoute, routePoint } from './route-choice.js';

export interface ChatDeps {
  clock: Clock;
  endpoints: EndpointsService;
  /** Resolves a target now, refusing versions that may not be served. */
  servable(projectId: string, target: string): Promise<ModelVersionInfo>;
  /** A row as it may be logged, after the endpoint's redaction. */
  loggable(endpoint: EndpointRecord, row: unknown): unknown;
  /** The inference log; read when first used, as its module may be created later. */
  events(): EventSink;
  prices: PricesService;
  upstream: OpenAiUpstream;
  /** Where each upstream's API key is read, at each call. */
  secrets: SecretSource;
  /** Where shadows' agreement counters are added to. */
  shadowStats: Pick<EndpointsRepo, 'addShadowStats'>;
  meter: ServingMeter;
  /** A number in [0, 1) for requests without a route key. */
  random?: () => number;
}

/** Where a streamed completion goes: the client's connection. */
export interface ChatSink {
  /** Sends one server-sent event's data; resolves once the connection took it or is gone. */
  write(data: string): Promise<void>;
  /** The client went away; the stream is still read to its end so its tokens are counted. */
  readonly closed: boolean;
  end(): void;
}

export interface ChatAnswer {
  predictionId: string;
  /** null for the endpoint's default response. */
  modelVersion: string | null;
  /** The upstream's completion, as it answered. */
  body: unknown;
}

interface Attempt {
  target: string;
  arm: Arm;
}

interface Opened<T> {
  info: ModelVersionInfo;
  arm: Arm;
  value: T;
  /** Looked up while the upstream answers. */
  price: Promise<UnitPrice | null>;
}

/** An answer from the endpoint's cache, for the version the call was routed to. */
interface Cached {
  info: ModelVersionInfo;
  cached: CachedCompletion;
}

/**
 * OpenAI chat completions through an endpoint whose versions are OpenAI-compatible upstreams:
 * the endpoint's traffic split (sticky by route key) picks the version, its fallback chain
 * takes over when the version fails before its first chunk, and every call is logged as an
 * inference event with its tokens and its cost at the price in effect when it was made.
 */
export class OpenAiChatService {
  private readonly random: () => number;
  private readonly cache: ChatCache;
  readonly shadows: ChatShadows;

  constructor(private readonly deps: ChatDeps) {
    this.random = deps.random ?? Math.random;
    this.cache = new ChatCache(deps.clock);
    this.shadows = new ChatShadows({
      target: (endpoint, target) => this.target(endpoint, target),
      upstream: deps.upstream,
      prices: deps.prices,
      events: deps.events,
      stats: deps.shadowStats,
      meter: deps.meter,
    });
  }

  /** OpenAI's model list: the project's endpoints whose primary is an OpenAI-compatible upstream. */
  models(ctx: RequestContext): Promise<OpenAiModel[]> {
    return openAiModels(ctx, this.deps);
  }

  async complete(
    ctx: RequestContext,
    request: ChatCompletionRequest,
    options: { routeKey?: string | undefined } = {},
  ): Promise<ChatAnswer> {
    const call = await this.begin(ctx, request, options.routeKey);
    const body = { ...request, stream: false };
    delete (body as { stream_options?: unknown }).stream_options;
    const opened = await this.attempt(call, (target) =>
      this.deps.upstream.complete(target, body, call.endpoint.timeoutMs),
    );
    if (!opened) {
      const predictionId = await this.recordDefault(call);
      return {
        predictionId,
        modelVersion: null,
        body: completionOf(predictionId, call.endpoint.name, call.time, call.defaultMessage!),
      };
    }
    if ('cached' in opened) {
      const predictionId = await this.recordCacheHit(call, opened);
      return { predictionId, modelVersion: opened.info.ref, body: opened.cached.body };
    }
    const latencyMs = performance.now() - call.startedMs;
    const answer = opened.value as { choices?: { message?: unknown }[]; usage?: unknown };
    const usage = usageOf(answer.usage);
    const outputs = answer.choices?.[0]?.message ?? null;
    const predictionId = await this.record(call, opened, {
      outputs,
      usage,
      latencyMs,
      firstTokenMs: null,
      error: null,
      disconnected: false,
    });
    this.remember(call, opened.info, answer as Record<string, unknown>, predictionId);
    this.shadow(call, outputs, latencyMs);
    return { predictionId, modelVersion: opened.info.ref, body: opened.value };
  }

  /**
   * Streams the completion: `start` is called once the answering version's first chunk is in
   * hand (before it, a failure falls back or becomes the call's error); each chunk is then
   * passed on as it arrives. Usage is always asked of the upstream; its usage-only chunk is
   * passed on only to a client that asked for it.
   */
  async stream(
    ctx: RequestContext,
    request: ChatCompletionRequest,
    options: { routeKey?: string | undefined },
    start: (answer: { predictionId: string; modelVersion: string | null }) => ChatSink,
  ): Promise<void> {
    const call = await this.begin(ctx, request, options.routeKey);
    const clientWantsUsage = request.stream_options?.include_usage === true;
    const body = {
      ...request,
      stream: true,
      stream_options: { ...(request.stream_options ?? {}), include_usage: true },
    };
    const opened = await this.attempt(call, (target) =>
      this.deps.upstream.open(target, body, call.endpoint.timeoutMs),
    );
    if (!opened) {
      const predictionId = await this.recordDefault(call);
      const sink = start({ predictionId, modelVersion: null });
      for (const chunk of chunksOf(predictionId, call.endpoint.name, call.time, call.defaultMessage!)) {
        await sink.write(JSON.stringify(chunk));
      }
      await sink.write('[DONE]');
      sink.end();
      return;
    }
    if ('cached' in opened) {
      const predictionId = await this.recordCacheHit(call, opened);
      const sink = start({ predictionId, modelVersion: opened.info.ref });
      for (const chunk of chunksOfCompletion(opened.cached.body, clientWantsUsage)) {
        await sink.write(JSON.stringify(chunk));
      }
      await sink.write('[DONE]');
      sink.end();
      return;
    }
    const upstream = opened.value;
    const firstTokenMs = performance.now() - call.startedMs;
    this.deps.meter.firstToken(call.projectId, call.endpoint.name, opened.info.ref, firstTokenMs);
    const predictionId = newId('prd');
    const sink = start({ predictionId, modelVersion: opened.info.ref });

    try {
      await this.relay(call, opened, sink, predictionId, firstTokenMs, clientWantsUsage);
    } finally {
      upstream.cancel();
      sink.end();
    }
  }

  private async relay(
    call: Call,
    opened: Opened<UpstreamStream>,
    sink: ChatSink,
    predictionId: string,
    firstTokenMs: number,
    clientWantsUsage: boolean,
  ): Promise<void> {
    const upstream = opened.value;
    const message = new AssistantMessage();
    let usage: TokenUsage | null = null;
    let rawUsage: unknown;
    let error: string | null = null;
    let data: string | null = upstream.first;
    // Kept for its id, model and time, should the answer go into the cache.
    const first = parseChunk(data);
    let chunk = first;
    while (data !== null) {
      if (chunk) {
        message.add(chunk);
        const counted = usageOf(chunk.usage);
        if (counted) {
          usage = counted;
          rawUsage = chunk.usage;
        }
      }
      const usageOnly = chunk !== null && Array.isArray(chunk.choices) && chunk.choices.length === 0;
      if (!sink.closed && (clientWantsUsage || !usageOnly)) await sink.write(data);
      try {
        data = await upstream.next();
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        data = null;
      }
      chunk = data === null ? null : parseChunk(data);
    }
    const latencyMs = performance.now() - call.startedMs;
    const outputs = message.value();
    await this.record(
      call,
      opened,
      { outputs, usage, latencyMs, firstTokenMs, error, disconnected: sink.closed },
      predictionId,
    );
    if (error === null) {
      const completion = completionOfStream(first as Record<string, unknown> | null, message, rawUsage);
      if (completion) this.remember(call, opened.info, completion, predictionId);
      this.shadow(call, outputs, latencyMs);
    }
    if (error !== null) {
      this.deps.meter.failed(call.projectId, call.endpoint.name, opened.info.ref);
      if (!sink.closed)
        await sink.write(JSON.stringify(openAiError(error, 'server_error', 'upstream_failed')));
    } else if (!sink.closed) await sink.write('[DONE]');
  }

  private async begin(
    ctx: RequestContext,
    request: ChatCompletionRequest,
    routeKey: string | undefined,
  ): Promise<ChatCall> {
    const projectId = ctx.principal.projectId;
    const endpoint = await this.deps.endpoints.record(projectId, request.model);
    const key = routeKey ?? request.user;
    const chosen = chooseRoute(endpoint.routes, key ? routePoint(endpoint.name, key) : this.random());
    const attempts: Attempt[] = [
      { target: chosen.target, arm: chosen.arm },
      ...endpoint.fallback.versions.map((target) => ({ target, arm: 'fallback' as const })),
    ];
    return {
      projectId,
      endpoint,
      attempts,
      request,
      inputs: loggedMessages(request.messages, (row) => this.deps.loggable(endpoint, row)),
      time: this.deps.clock.now(),
      startedMs: performance.now(),
      failures: [],
      defaultMessage: defaultMessageOf(endpoint.fallback.defaultResponse),
    };
  }

  /** The routed version, then each fallback in order, until one answers (its first chunk). */
  /** Null when every version failed and the endpoint's default response answers instead. */
  private async attempt<T>(
    call: Call,
    open: (target: UpstreamTarget) => Promise<T>,
  ): Promise<Opened<T> | Cached | null> {
    for (const attempt of call.attempts) {
      let info: ModelVersionInfo | null = null;
      try {
        info = await this.deps.servable(call.projectId, attempt.target);
        const artifact = openAiArtifact(call.endpoint.name, info);
        if (call.endpoint.cacheTtlMs > 0) {
          const cached = this.cache.get(this.cache.key(info.id, call.request));
          if (cached) return { info, cached };
        }
        const price = this.deps.prices.priceAt(call.projectId, artifact.model, call.time);
        // Settled by record; a failed attempt leaves it unread.
        price.catch(() => {});
        const apiKey = await upstreamKey(this.deps.secrets, info);
        const value = await open({ ref: info.ref, baseUrl: artifact.baseUrl, model: artifact.model, apiKey });
        return { info, arm: attempt.arm, value, price };
      } catch (error) {
        if (error instanceof PlumbError && error.code === 'invalid_argument') throw error;
        const ref = info?.ref ?? attempt.target;
        this.deps.meter.failed(call.projectId, call.endpoint.name, ref);
        call.failures.push(failure(ref, error));
      }
    }
    if (call.defaultMessage) return null;
    await logChat(this.deps, call, {
      info: null,
      arm: call.attempts[0]!.arm,
      outputs: null,
      latencyMs: performance.now() - call.startedMs,
      usage: null,
      costUsd: null,
      tags: tagsOf(call.request, null, false),
      served: false,
    });
    throw new PlumbError(
      'unavailable',
      `endpoint ${call.endpoint.name} could not answer: ${call.failures.join('; ')}`,
      { details: { failures: call.failures } },
    );
  }

  /** A shadow's version as an upstream to call, resolved and keyed as the primary's are. */
  private async target(
    endpoint: EndpointRecord,
    target: string,
  ): Promise<{ info: ModelVersionInfo; upstream: UpstreamTarget }> {
    const info = await this.deps.servable(endpoint.projectId, target);
    const artifact = openAiArtifact(endpoint.name, info);
    const apiKey = await upstreamKey(this.deps.secrets, info);
    return { info, upstream: { ref: info.ref, baseUrl: artifact.baseUrl, model: artifact.model, apiKey } };
  }

  /** Keeps a completed answer of a routed version for the endpoint's cache TTL. */
  private remember(call: Call, info: ModelVersionInfo, body: Record<string, unknown>, predictionId: string) {
    if (call.endpoint.cacheTtlMs <= 0) return;
    this.cache.set(this.cache.key(info.id, call.request), { body, predictionId }, call.endpoint.cacheTtlMs);
  }

  /**
   * Hands the endpoint's shadows a copy once the routed version answered (not a fallback: the
   * comparison is with the version the traffic split chose). A cache hit sends none: its
   * request was copied when it was first answered, and a copy per hit would pay the shadows
   * for what the cache saved.
   */
  private shadow(call: Call, outputs: unknown, latencyMs: number): void {
    if (call.endpoint.shadows.length === 0 || call.failures.length > 0) return;
    this.shadows.offer({
      endpoint: call.endpoint,
      request: call.request,
      inputs: call.inputs,
      time: call.time,
      primary: { text: answerText(outputs), latencyMs },
      tags: tagsOf(call.request, null, false),
    });
  }

  /** Logs an answer from the cache: nothing was asked of the upstream, so nothing was spent. */
  private recordCacheHit(call: Call, hit: Cached): Promise<string> {
    const choices = hit.cached.body.choices as { message?: unknown }[];
    return logChat(this.deps, call, {
      info: hit.info,
      arm: 'cache',
      outputs: choices[0]?.message ?? null,
      latencyMs: performance.now() - call.startedMs,
      usage: { promptTokens: 0, completionTokens: 0 },
      costUsd: 0,
      tags: { ...tagsOf(call.request, null, false), 'plumb.cache_of': hit.cached.predictionId },
      served: true,
    });
  }

  /** Logs the endpoint's default response, given after every version failed. */
  private recordDefault(call: Call): Promise<string> {
    return logChat(this.deps, call, {
      info: null,
      arm: 'fallback',
      outputs: call.defaultMessage,
      latencyMs: performance.now() - call.startedMs,
      // No upstream answered: nothing was counted, so nothing can be priced.
      usage: null,
      costUsd: null,
      tags: tagsOf(call.request, null, false),
      served: true,
    });
  }

  /** Logs an upstream's answer with its tokens, priced as of the call. */
  private async record(
    call: Call,
    opened: Opened<unknown>,
    result: {
      outputs: unknown;
      usage: TokenUsage | null;
      latencyMs: number;
      firstTokenMs: number | null;
      error: string | null;
      disconnected: boolean;
    },
    id?: string,
  ): Promise<string> {
    return logChat(this.deps, call, {
      ...(id ? { id } : {}),
      info: opened.info,
      arm: opened.arm,
      outputs: result.outputs,
      latencyMs: result.latencyMs,
      usage: result.usage,
      costUsd: costOf(await opened.price, result.usage),
      tags: tagsOf(call.request, result.firstTokenMs, result.disconnected),
      error: result.error,
      served: true,
    });
  }
}

type Call = ChatCall;

/** What failed, named by the version unless the message already starts with it. */
function failure(ref: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(ref) ? message : `${ref}: ${message}`;
}
