import type { ShadowReport } from '@plumb/sdk';
import type { EventSink } from '../events/events.contract.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointRecord } from './endpoint-settings.js';
import type { EndpointsRepo, ShadowStatsDelta } from './endpoints.repo.js';
import type { RowAnswer } from './served-output.js';
import { ShadowQueue } from './shadow-queue.js';
import type { BatchInput, VersionRunner } from './version-runner.js';

export interface ShadowJob {
  endpoint: EndpointRecord;
  input: BatchInput;
  /** Rows as logged (redacted). */
  logged: unknown[];
  primary: { answer: RowAnswer; latencyMs: number }[];
  tags?: Record<string, string> | undefined;
  traceId?: string | undefined;
  /** The primary's event times, when the request gave them: a copy is logged at the same time. */
  times?: string[] | undefined;
}

export interface ShadowRunnerDeps {
  repo: EndpointsRepo;
  runner: VersionRunner;
  events(): EventSink;
  /** Resolves a target and refuses unacceptable-risk models, as for the primary. */
  servable(projectId: string, target: string): Promise<ModelVersionInfo>;
  capacity?: number;
  concurrency?: number;
  /** Counters are written once this many jobs have added to them, and whenever the queue runs dry. */
  flushEvery?: number;
  onError?(error: unknown): void;
}

/**
 * Shadows: each gets a copy of a request after its response, through a bounded queue (a full
 * queue drops the copy and counts it, never waits). Their answers are logged with arm `shadow`
 * and compared with the primary's; the comparison is kept as running counters per shadow in
 * the serving module's own table, added to in batches.
 */
export class ShadowRunner {
  private readonly queue: ShadowQueue<ShadowJob>;
  private deltas = new Map<string, { endpointId: string; shadow: string; delta: ShadowStatsDelta }>();
  private sinceFlush = 0;

  constructor(private readonly deps: ShadowRunnerDeps) {
    this.queue = new ShadowQueue<ShadowJob>({
      capacity: deps.capacity ?? 1000,
      concurrency: deps.concurrency ?? 2,
      run: (job) => this.run(job),
      onIdle: () => this.flush(),
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
  }

  offer(job: ShadowJob): void {
    if (!this.queue.offer(job)) {
      for (const shadow of job.endpoint.shadows) this.add(job.endpoint.id, shadow, { dropped: 1 });
    }
  }

  /** Resolves once every queued copy has run and the counters are written. */
  async drain(): Promise<void> {
    await this.queue.idle();
    await this.flush();
  }

  async report(endpoint: EndpointRecord): Promise<ShadowReport[]> {
    await this.flush();
    const rows = new Map((await this.deps.repo.shadowStats(endpoint.id)).map((r) => [r.shadow, r]));
    return endpoint.shadows.map((shadow) => {
      const s = rows.get(shadow);
      return {
        shadow,
        compared: s?.compared ?? 0,
        failed: s?.failed ?? 0,
        dropped: s?.dropped ?? 0,
        labelAgreement: s && s.label_compared > 0 ? s.label_agreed / s.label_compared : null,
        meanAbsScoreDiff: s && s.score_compared > 0 ? s.abs_score_diff_sum / s.score_compared : null,
        meanLatencyDiffMs: s && s.compared > 0 ? s.latency_diff_sum_ms / s.compared : null,
      };
    });
  }

  private async run(job: ShadowJob): Promise<void> {
    const { endpoint } = job;
    await Promise.all(
      endpoint.shadows.map(async (shadow) => {
        let info: ModelVersionInfo | null = null;
        try {
          info = await this.deps.servable(endpoint.projectId, shadow);
          const run = await this.deps.runner.run(info, job.input, {
            features: endpoint.features,
            timeoutMs: endpoint.timeoutMs,
          });
          await this.deps.events().record(
            run.answers.map((a, r) => ({
              projectId: endpoint.projectId,
              endpoint: endpoint.name,
              modelVersion: info!.ref,
              modelVersionId: info!.id,
              arm: 'shadow' as const,
              inputs: job.logged[r],
              outputs: a.output,
              label: a.label === null ? null : String(a.label),
              score: a.score,
              confidence: a.confidence,
              latencyMs: run.latencyMs,
              ...(job.tags ? { tags: job.tags } : {}),
              traceId: job.traceId ?? null,
              ...(job.times ? { time: job.times[r] } : {}),
            })),
          );
          this.compare(endpoint.id, shadow, job.primary, run.answers, run.latencyMs);
        } catch (error) {
          this.add(endpoint.id, shadow, { failed: job.primary.length });
          await this.deps
            .events()
            .record(
              job.logged.map((inputs, r) => ({
                projectId: endpoint.projectId,
                endpoint: endpoint.name,
                modelVersion: info?.ref ?? null,
                modelVersionId: info?.id ?? null,
                arm: 'shadow' as const,
                inputs,
                outputs: null,
                latencyMs: null,
                traceId: job.traceId ?? null,
                error: `${info?.ref ?? shadow}: ${error instanceof Error ? error.message : String(error)}`,
                ...(job.times ? { time: job.times[r] } : {}),
              })),
            )
            .catch((e: unknown) => this.deps.onError?.(e));
        }
      }),
    );
    this.sinceFlush += 1;
    if (this.sinceFlush >= (this.deps.flushEvery ?? 100)) await this.flush();
  }

  private compare(
    endpointId: string,
    shadow: string,
    primary: ShadowJob['primary'],
    answers: RowAnswer[],
    latencyMs: number,
  ): void {
    const delta: Partial<ShadowStatsDelta> = { compared: 0, label_compared: 0, label_agreed: 0 };
    let scoreCompared = 0;
    let absDiff = 0;
    let latencyDiff = 0;
    primary.forEach((p, r) => {
      const s = answers[r]!;
      delta.compared! += 1;
      latencyDiff += latencyMs - p.latencyMs;
      if (p.answer.label !== null && s.label !== null) {
        delta.label_compared! += 1;
        if (String(p.answer.label) === String(s.label)) delta.label_agreed! += 1;
      } else if (p.answer.score !== null && s.score !== null) {
        scoreCompared += 1;
        absDiff += Math.abs(s.score - p.answer.score);
      }
    });
    this.add(endpointId, shadow, {
      ...delta,
      score_compared: scoreCompared,
      abs_score_diff_sum: absDiff,
      latency_diff_sum_ms: latencyDiff,
    });
  }

  private add(endpointId: string, shadow: string, delta: Partial<ShadowStatsDelta>): void {
    const key = `${endpointId}\0${shadow}`;
    let entry = this.deltas.get(key);
    if (!entry) {
      entry = { endpointId, shadow, delta: emptyDelta() };
      this.deltas.set(key, entry);
    }
    for (const [k, v] of Object.entries(delta) as [keyof ShadowStatsDelta, number][]) entry.delta[k] += v;
  }

  private async flush(): Promise<void> {
    if (this.deltas.size === 0) return;
    const batch = [...this.deltas.values()];
    this.deltas = new Map();
    this.sinceFlush = 0;
    await this.deps.repo.addShadowStats(batch);
  }
}

function emptyDelta(): ShadowStatsDelta {
  return {
    compared: 0,
    failed: 0,
    dropped: 0,
    label_compared: 0,
    label_agreed: 0,
    score_compared: 0,
    abs_score_diff_sum: 0,
    latency_diff_sum_ms: 0,
  };
}
