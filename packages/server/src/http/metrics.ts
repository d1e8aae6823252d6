import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One answer an endpoint gave: a prediction row or a chat completion. */
export interface ServedObservation {
  /** The project's id: endpoint names are unique only within a project. */
  project: string;
  endpoint: string;
  /** `name@vN`; null for a default response. */
  version: string | null;
  arm: string;
  latencyMs: number | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** null: the cost is unknown (no price in effect, or no usage). */
  costUsd?: number | null;
}

/**
 * What the serving module reports to Prometheus, per endpoint and version. A port, so services
 * count without knowing the client library.
 */
export interface ServingMeter {
  served(o: ServedObservation): void;
  /** Time to a chat stream's first chunk. */
  firstToken(project: string, endpoint: string, version: string, ms: number): void;
  /** A version that failed to answer; `version` is the target as named when it never resolved. */
  failed(project: string, endpoint: string, version: string): void;
  /** Where each scrape reads the shadows' running comparison with their primaries. */
  shadowsFrom(read: () => Promise<ShadowFigures[]>): void;
}

/** One shadow's comparison with its endpoint's primary, as stored (counts and sums). */
export interface ShadowFigures {
  project: string;
  endpoint: string;
  shadow: string;
  compared: number;
  labelCompared: number;
  labelAgreed: number;
  scoreCompared: number;
  absScoreDiffSum: number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Prometheus metrics of one server instance; modules add their own to `registry`. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly serving: ServingMeter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'plumb_' });
    this.requests = new Counter({
      name: 'plumb_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'plumb_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.serving = servingMeter(this.registry);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}

function servingMeter(registry: Registry): ServingMeter {
  const registers = [registry];
  const byVersion = ['project', 'endpoint', 'version'] as const;
  const answers = new Counter({
    name: 'plumb_serving_answers_total',
    help: 'Predictions (rows) and chat completions answered, by endpoint, version and arm',
    labelNames: [...byVersion, 'arm'],
    registers,
  });
  const latency = new Histogram({
    name: 'plumb_serving_latency_seconds',
    help: 'Time for a version to answer (a chat stream: to its last chunk)',
    labelNames: byVersion,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const firstToken = new Histogram({
    name: 'plumb_serving_first_token_seconds',
    help: "Time to a chat stream's first chunk",
    labelNames: byVersion,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'plumb_serving_errors_total',
    help: 'Versions that failed to answer (error, timeout, unreachable upstream)',
    labelNames: byVersion,
    registers,
  });
  const fallbacks = new Counter({
    name: 'plumb_serving_fallbacks_total',
    help: 'Answers given by a fallback after the routed version failed',
    labelNames: byVersion,
    registers,
  });
  const cacheHits = new Counter({
    name: 'plumb_serving_cache_hits_total',
    help: 'Predictions answered from the response cache',
    labelNames: byVersion,
    registers,
  });
  const shadows = new Counter({
    name: 'plumb_serving_shadow_answers_total',
    help: 'Shadow answers logged for comparison with the primary',
    labelNames: byVersion,
    registers,
  });
  const tokens = new Counter({
    name: 'plumb_serving_tokens_total',
    help: 'Tokens reported by upstreams, by kind (prompt, completion)',
    labelNames: [...byVersion, 'kind'],
    registers,
  });
  const cost = new Counter({
    name: 'plumb_serving_cost_usd_total',
    help: 'Cost of completions from the price table, in USD',
    labelNames: byVersion,
    registers,
  });
  const unpriced = new Counter({
    name: 'plumb_serving_unpriced_total',
    help: 'Completions whose cost is unknown: no price in effect, or no usage from the upstream',
    labelNames: byVersion,
    registers,
  });
  let readShadows: (() => Promise<ShadowFigures[]>) | undefined;
  const shadowCompared = new Gauge({
    name: 'plumb_serving_shadow_compared',
    help: 'Rows a shadow answered and compared with the primary, as last written (counters are written in batches)',
    labelNames: ['project', 'endpoint', 'shadow'],
    registers,
    // Registered first of the three, so its read at each scrape also sets the other two.
    async collect() {
      if (!readShadows) return;
      const figures = await readShadows();
      for (const g of [shadowCompared, shadowDisagreement, shadowScoreDiff]) g.reset();
      for (const f of figures) {
        const labels = { project: f.project, endpoint: f.endpoint, shadow: f.shadow };
        shadowCompared.set(labels, f.compared);
        if (f.labelCompared > 0) shadowDisagreement.set(labels, 1 - f.labelAgreed / f.labelCompared);
        if (f.scoreCompared > 0) shadowScoreDiff.set(labels, f.absScoreDiffSum / f.scoreCompared);
      }
    },
  });
  const shadowDisagreement = new Gauge({
    name: 'plumb_serving_shadow_label_disagreement',
    help: "Share of compared rows whose shadow label differs from the primary's",
    labelNames: ['project', 'endpoint', 'shadow'],
    registers,
  });
  const shadowScoreDiff = new Gauge({
    name: 'plumb_serving_shadow_mean_abs_score_diff',
    help: "Mean absolute difference of the shadow's score from the primary's, over unlabelled rows",
    labelNames: ['project', 'endpoint', 'shadow'],
    registers,
  });
  return {
    shadowsFrom(read) {
      readShadows = read;
    },
    served(o) {
      const labels = { project: o.project, endpoint: o.endpoint, version: o.version ?? 'default' };
      if (o.arm === 'shadow') {
        shadows.inc(labels);
        return;
      }
      answers.inc({ ...labels, arm: o.arm });
      if (o.latencyMs !== null) latency.observe(labels, o.latencyMs / 1000);
      if (o.arm === 'fallback') fallbacks.inc(labels);
      if (o.arm === 'cache') cacheHits.inc(labels);
      if (o.promptTokens != null) tokens.inc({ ...labels, kind: 'prompt' }, o.promptTokens);
      if (o.completionTokens != null) tokens.inc({ ...labels, kind: 'completion' }, o.completionTokens);
      if (o.costUsd != null) cost.inc(labels, o.costUsd);
      else if (o.costUsd === null) unpriced.inc(labels);
    },
    firstToken(project, endpoint, version, ms) {
      firstToken.observe({ project, endpoint, version }, ms / 1000);
    },
    failed(project, endpoint, version) {
      errors.inc({ project, endpoint, version });
    },
  };
}
