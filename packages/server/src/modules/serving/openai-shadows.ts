import { canonicalJson } from '../../core/canonical-json.js';
import type { ServingMeter } from '../../http/metrics.js';
import type { EventSink } from '../events/events.contract.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointRecord } from './endpoint-settings.js';
import type { EndpointsRepo, ShadowStatsDelta } from './endpoints.repo.js';
import type { ChatCompletionRequest } from './openai-chat.schemas.js';
import { usageOf } from './openai-messages.js';
import { costOf, type PricesService } from './openai-prices.service.js';
import type { OpenAiUpstream, UpstreamTarget } from './openai-upstream.js';
import { ShadowQueue } from './shadow-queue.js';

export interface ChatShadowJob {
  endpoint: EndpointRecord;
  request: ChatCompletionRequest;
  /** The messages as logged (redacted). */
  inputs: unknown;
  /** When the primary call was made: shadows are priced as of then. */
  time: Date;
  primary: { text: string | null; latencyMs: number };
  tags: Record<string, string>;
}

export interface ChatShadowDeps {
  /** Resolves a shadow target to an OpenAI-compatible upstream with its key, as for the primary. */
  target(
    endpoint: EndpointRecord,
    target: string,
  ): Promise<{ info: ModelVersionInfo; upstream: UpstreamTarget }>;
  upstream: OpenAiUpstream;
  prices: PricesService;
  events(): EventSink;
  stats: Pick<EndpointsRepo, 'addShadowStats'>;
  meter: ServingMeter;
  capacity?: number;
  concurrency?: number;
  onError?(error: unknown): void;
}

/**
 * Shadows of chat endpoints: after the response, each shadow version gets the same request
 * (not streamed) through a bounded queue that never waits (a full queue drops the copy and
 * counts it). Their answers, tokens and cost are logged with arm `shadow` and never reach the
 * caller. Agreement goes into the same per-shadow counters as classifiers' shadows, so every
 * report of them covers chat: the answer text is the label (exact match) and its length in
 * characters the score (mean absolute difference).
 */
export class ChatShadows {
  private readonly queue: ShadowQueue<ChatShadowJob>;
  private deltas = new Map<string, { endpointId: string; shadow: string; delta: ShadowStatsDelta }>();
  private sinceFlush = 0;

  constructor(private readonly deps: ChatShadowDeps) {
    this.queue = new ShadowQueue<ChatShadowJob>({
      capacity: deps.capacity ?? 1000,
      // Upstream calls wait on the network, not on this process's CPU.
      concurrency: deps.concurrency ?? 8,
      run: (job) => this.run(job),
      onIdle: () => this.flush(),
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
  }

  offer(job: ChatShadowJob): void {
    if (job.endpoint.shadows.length === 0) return;
    if (!this.queue.offer(job)) {
      for (const shadow of job.endpoint.shadows) this.add(job.endpoint.id, shadow, { dropped: 1 });
    }
  }

  /** Resolves once every queued copy has run and the counters are written. */
  async drain(): Promise<void> {
    await this.queue.idle();
    await this.flush();
  }

  private async run(job: ChatShadowJob): Promise<void> {
    await Promise.all(job.endpoint.shadows.map((shadow) => this.shadow(job, shadow)));
    // Written when the queue runs dry, and every so many copies under steady traffic.
    this.sinceFlush += 1;
    if (this.sinceFlush >= 100) await this.flush();
  }

  private async shadow(job: ChatShadowJob, shadow: string): Promise<void> {
    const { endpoint } = job;
    const projectId = endpoint.projectId;
    const started = performance.now();
    let info: ModelVersionInfo | null = null;
    try {
      const resolved = await this.deps.target(endpoint, shadow);
      info = resolved.info;
      const price = this.deps.prices.priceAt(projectId, resolved.upstream.model, job.time);
      price.catch(() => {});
      const { stream: _s, stream_options: _o, ...body } = job.request;
      const answer = (await this.deps.upstream.complete(
        resolved.upstream,
        { ...body, stream: false },
        endpoint.timeoutMs,
      )) as { choices?: { message?: unknown }[]; usage?: unknown };
      const latencyMs = performance.now() - started;
      const message = answer.choices?.[0]?.message ?? null;
      const usage = usageOf(answer.usage);
      const costUsd = costOf(await price, usage);
      await this.deps.events().record([
        {
          projectId,
          endpoint: endpoint.name,
          modelVersion: info.ref,
          modelVersionId: info.id,
          arm: 'shadow',
          inputs: job.inputs,
          outputs: message,
          latencyMs,
          promptTokens: usage?.promptTokens ?? null,
          completionTokens: usage?.completionTokens ?? null,
          costUsd,
          tags: job.tags,
          error: null,
        },
      ]);
      this.deps.meter.served({
        project: projectId,
        endpoint: endpoint.name,
        version: info.ref,
        arm: 'shadow',
        latencyMs,
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
        costUsd,
      });
      const text = answerText(message);
      const compared = job.primary.text !== null && text !== null;
      this.add(endpoint.id, shadow, {
        compared: 1,
        latency_diff_sum_ms: latencyMs - job.primary.latencyMs,
        label_compared: compared ? 1 : 0,
        label_agreed: compared && text === job.primary.text ? 1 : 0,
        score_compared: compared ? 1 : 0,
        abs_score_diff_sum: compared ? Math.abs(text.length - job.primary.text!.length) : 0,
      });
    } catch (error) {
      this.add(endpoint.id, shadow, { failed: 1 });
      const message = error instanceof Error ? error.message : String(error);
      await this.deps
        .events()
        .record([
          {
            projectId,
            endpoint: endpoint.name,
            modelVersion: info?.ref ?? null,
            modelVersionId: info?.id ?? null,
            arm: 'shadow',
            inputs: job.inputs,
            outputs: null,
            latencyMs: performance.now() - started,
            promptTokens: null,
            completionTokens: null,
            costUsd: null,
            tags: job.tags,
            error: message.startsWith(info?.ref ?? shadow) ? message : `${info?.ref ?? shadow}: ${message}`,
          },
        ])
        .catch((e: unknown) => this.deps.onError?.(e));
    }
  }

  private add(endpointId: string, shadow: string, delta: Partial<ShadowStatsDelta>): void {
    const key = `${endpointId}\0${shadow}`;
    let entry = this.deltas.get(key);
    if (!entry) {
      entry = {
        endpointId,
        shadow,
        delta: {
          compared: 0,
          failed: 0,
          dropped: 0,
          label_compared: 0,
          label_agreed: 0,
          score_compared: 0,
          abs_score_diff_sum: 0,
          latency_diff_sum_ms: 0,
        },
      };
      this.deltas.set(key, entry);
    }
    for (const [k, v] of Object.entries(delta) as [keyof ShadowStatsDelta, number][]) entry.delta[k] += v;
  }

  private async flush(): Promise<void> {
    if (this.deltas.size === 0) return;
    const batch = [...this.deltas.values()];
    this.deltas = new Map();
    this.sinceFlush = 0;
    await this.deps.stats.addShadowStats(batch);
  }
}

/**
 * The answer as compared: the message's text, or for a message without text (tool calls, a
 * refusal) its canonical JSON; null when there was no message.
 */
export function answerText(message: unknown): string | null {
  if (message === null || typeof message !== 'object') return null;
  const m = message as { content?: unknown; tool_calls?: unknown; refusal?: unknown };
  if (typeof m.content === 'string' && m.content.length > 0) return m.content;
  return canonicalJson({ content: m.content ?? null, tool_calls: m.tool_calls, refusal: m.refusal ?? null });
}
