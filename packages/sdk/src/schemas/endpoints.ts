import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';

/** A model version or alias an endpoint serves: `name@vN`, `name@<alias>` or `name@latest`. */
export const VersionTarget = z
  .string()
  .min(3)
  .max(300)
  .regex(/^[a-z0-9][a-z0-9._-]*@[A-Za-z0-9._-]+$/, 'expected name@vN or name@alias');

export const EndpointRoute = z
  .object({
    target: VersionTarget,
    /** Relative share of traffic; shares are weight / sum of weights. */
    weight: z.number().positive('must be positive').max(1_000_000),
  })
  .strict();
export type EndpointRoute = z.infer<typeof EndpointRoute>;

/** `drop` removes the field before logging; `hash` logs a keyed HMAC-SHA256 of its value. */
export const RedactionMode = z.enum(['drop', 'hash']);
export type RedactionMode = z.infer<typeof RedactionMode>;

export const EndpointFallback = z
  .object({
    /** Tried in order when the answering version fails or times out. */
    versions: z.array(VersionTarget).max(5).default([]),
    /** Answered when every version failed; null means the request fails. */
    defaultResponse: z.unknown().nullable().default(null),
  })
  .strict();

const EndpointSettings = {
  description: z.string().max(2000),
  routes: z.array(EndpointRoute).min(1, 'an endpoint needs at least one route').max(20),
  /** Versions that get a copy of each request after the response; their outputs are only logged. */
  shadows: z.array(VersionTarget).max(5),
  fallback: EndpointFallback,
  /** Longest a version may take to answer before the fallback chain is tried. */
  timeoutMs: z.number().int().min(1).max(600_000),
  /** 0 turns the response cache off. */
  cacheTtlMs: z.number().int().min(0).max(86_400_000),
  /** Predictions with a confidence below this go to the review queue; null: none do. */
  reviewThreshold: z.number().min(0).max(1).nullable(),
  /** Input fields redacted before a prediction is logged. */
  redact: z.record(z.string().min(1).max(200), RedactionMode),
  /** Input feature order for the model's input tensor; null: the model's metadata `features`. */
  features: z.array(z.string().min(1).max(200)).min(1).max(10_000).nullable(),
};

export const CreateEndpoint = z
  .object({
    name: Name,
    description: EndpointSettings.description.default(''),
    routes: EndpointSettings.routes,
    shadows: EndpointSettings.shadows.default([]),
    fallback: EndpointSettings.fallback.default({ versions: [], defaultResponse: null }),
    timeoutMs: EndpointSettings.timeoutMs.default(5000),
    cacheTtlMs: EndpointSettings.cacheTtlMs.default(0),
    reviewThreshold: EndpointSettings.reviewThreshold.default(null),
    redact: EndpointSettings.redact.default({}),
    features: EndpointSettings.features.default(null),
  })
  .strict();
export type CreateEndpoint = z.input<typeof CreateEndpoint>;

export const UpdateEndpoint = z
  .object({
    description: EndpointSettings.description,
    routes: EndpointSettings.routes,
    shadows: EndpointSettings.shadows,
    fallback: EndpointSettings.fallback,
    timeoutMs: EndpointSettings.timeoutMs,
    cacheTtlMs: EndpointSettings.cacheTtlMs,
    reviewThreshold: EndpointSettings.reviewThreshold,
    redact: EndpointSettings.redact,
    features: EndpointSettings.features,
  })
  .partial()
  .strict();
export type UpdateEndpoint = z.input<typeof UpdateEndpoint>;

export const Endpoint = z.object({
  id: Id,
  name: Name,
  description: z.string(),
  routes: z.array(EndpointRoute),
  shadows: z.array(z.string()),
  fallback: z.object({ versions: z.array(z.string()), defaultResponse: z.unknown().nullable() }),
  timeoutMs: z.number().int(),
  cacheTtlMs: z.number().int(),
  reviewThreshold: z.number().nullable(),
  redact: z.record(z.string(), RedactionMode),
  features: z.array(z.string()).nullable(),
  createdAt: Timestamp,
  createdBy: z.string(),
  updatedAt: Timestamp,
});
export type Endpoint = z.infer<typeof Endpoint>;

export const EndpointParams = z.object({ name: Name }).strict();
export const ListEndpoints = PageQuery;

/** Most rows one predict request may carry. */
export const MAX_PREDICT_ROWS = 1000;

export const PredictRequest = z
  .object({
    /** One object per row, feature name → value. */
    inputs: z
      .array(z.record(z.string(), z.unknown()))
      .min(1, 'send at least one row')
      .max(MAX_PREDICT_ROWS, `send at most ${MAX_PREDICT_ROWS} rows`),
    /** Sticky routing: the same key is always sent to the same route while weights stay. */
    routeKey: z.string().min(1).max(500).optional(),
    tags: z.record(z.string().min(1).max(100), z.string().max(500)).optional(),
    traceId: z.string().min(1).max(200).optional(),
    /**
     * When the rows happened, for replays and backfills: one ISO-8601 time for every row, or an
     * array of one per row. The inference log (and so monitoring's windows) records it instead
     * of the server's clock. Only for keys that may also post events (`events:write`), since
     * they could log the same events with those times anyway; at most
     * `MAX_PREDICT_TIME_SKEW_MS` ahead of the server's clock.
     */
    time: z.union([Timestamp, z.array(Timestamp)]).optional(),
  })
  .strict()
  .refine((r) => !Array.isArray(r.time) || r.time.length === r.inputs.length, {
    message: 'send one time per row of inputs, or a single time',
    path: ['time'],
  });
export type PredictRequest = z.input<typeof PredictRequest>;

/** How far ahead of the server's clock a predict request's `time` may be (clock skew). */
export const MAX_PREDICT_TIME_SKEW_MS = 5 * 60_000;

export const Prediction = z.object({
  /** `prd_…`: send feedback for this id. */
  predictionId: z.string(),
  /** `name@vN` that answered; null when the fallback's default response did. */
  modelVersion: z.string().nullable(),
  arm: z.enum(['primary', 'canary', 'fallback', 'cache']),
  output: z.unknown(),
  label: z.union([z.string(), z.number()]).nullable(),
  score: z.number().nullable(),
  confidence: z.number().nullable(),
  /** Queued for human review (confidence below the endpoint's threshold). */
  review: z.boolean(),
});
export type Prediction = z.infer<typeof Prediction>;

export const PredictResponse = z.object({
  endpoint: z.string(),
  predictions: z.array(Prediction),
});
export type PredictResponse = z.infer<typeof PredictResponse>;

export const ShadowReport = z.object({
  shadow: z.string(),
  /** Requests the shadow answered, compared with the primary's answer. */
  compared: z.number().int(),
  failed: z.number().int(),
  /** Copies dropped because the shadow queue was full. */
  dropped: z.number().int(),
  /**
   * Share of compared rows whose label equals the primary's; null when neither gave labels.
   * For chat completions, the answer text is the label: the share of exactly equal answers.
   */
  labelAgreement: z.number().nullable(),
  /**
   * Mean |shadow score − primary score|; null when neither gave scores. For chat completions,
   * the answer's length in characters is the score: the mean absolute length difference.
   */
  meanAbsScoreDiff: z.number().nullable(),
  /** Mean shadow latency minus the primary's, in milliseconds. */
  meanLatencyDiffMs: z.number().nullable(),
});
export type ShadowReport = z.infer<typeof ShadowReport>;

export const ShadowReportList = z.object({ endpoint: z.string(), shadows: z.array(ShadowReport) });
export type ShadowReportList = z.infer<typeof ShadowReportList>;

export const ReviewItem = z.object({
  id: Id,
  predictionId: z.string(),
  modelVersion: z.string().nullable(),
  inputs: z.unknown(),
  output: z.unknown(),
  label: z.union([z.string(), z.number()]).nullable(),
  confidence: z.number(),
  createdAt: Timestamp,
});
export type ReviewItem = z.infer<typeof ReviewItem>;

export const ListReviewQueue = PageQuery;
export type ListReviewQueue = z.input<typeof ListReviewQueue>;
