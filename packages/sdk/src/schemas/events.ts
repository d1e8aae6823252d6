import { z } from 'zod';
import { Id, type PageParams, PageQuery, Timestamp } from './common.js';

/** Which part of an endpoint answered: the primary version, a canary, a shadow, a fallback or the cache. */
export const Arm = z.enum(['primary', 'canary', 'shadow', 'fallback', 'cache']);
export type Arm = z.infer<typeof Arm>;

/** Most events one request may carry: the batch is one transaction, all or nothing. */
export const MAX_EVENT_BATCH = 10_000;
/** Most feedback items one request may carry. */
export const MAX_FEEDBACK_BATCH = 10_000;

const describeInput = (input: unknown) =>
  typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : String(input);

/** Rejects NaN and ±Infinity too (JSON turns them into null), with the offending value named. */
const FiniteNumber = z.number({
  error: (issue) => `must be a finite number, got ${describeInput(issue.input)}`,
});
const NonNegative = FiniteNumber.min(0, 'must not be negative');
const Count = z
  .number({ error: (issue) => `must be a non-negative integer, got ${describeInput(issue.input)}` })
  .int('must be a non-negative integer')
  .min(0, 'must be a non-negative integer')
  .max(Number.MAX_SAFE_INTEGER);

// ":" separates key from value in the `tag` list filter.
const TagKey = z
  .string()
  .min(1)
  .max(100)
  .refine((k) => !k.includes(':'), 'must not contain ":"');

export const EventId = z
  .string()
  .regex(/^prd_[0-9A-Za-z_-]{1,60}$/, 'must be "prd_" followed by letters, digits, "_" or "-"');

/** One prediction as an application that serves models itself reports it. */
export const InferenceEventInput = z
  .object({
    /** `prd_…`; generated when absent, so retrying with the same id is refused, not duplicated. */
    id: EventId.optional(),
    /** When the prediction was made; the server's clock when absent. */
    time: Timestamp.optional(),
    endpoint: z.string().min(1).max(200).nullable().default(null),
    /** `name@vN`. */
    modelVersion: z.string().min(1).max(300).nullable().default(null),
    modelVersionId: Id.nullable().default(null),
    arm: Arm.default('primary'),
    /** After redaction: the server stores what it is sent. */
    inputs: z.unknown().default(null),
    outputs: z.unknown().default(null),
    label: z.string().max(1000).nullable().default(null),
    score: FiniteNumber.nullable().default(null),
    confidence: FiniteNumber.min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .nullable()
      .default(null),
    latencyMs: NonNegative.nullable().default(null),
    /** Unknown is null, never 0. */
    promptTokens: Count.nullable().default(null),
    completionTokens: Count.nullable().default(null),
    costUsd: NonNegative.nullable().default(null),
    /** Team, tenant, anything the caller wants to filter by. */
    tags: z
      .record(TagKey, z.string().max(1000))
      .refine((t) => Object.keys(t).length <= 50, 'must have at most 50 tags')
      .default({}),
    traceId: z.string().min(1).max(200).nullable().default(null),
    /** What failed, when the arm failed (e.g. the primary before a fallback). */
    error: z.string().max(5000).nullable().default(null),
  })
  .strict();
export type InferenceEventInput = z.input<typeof InferenceEventInput>;

export const PostEvents = z
  .object({ events: z.array(InferenceEventInput).min(1).max(MAX_EVENT_BATCH) })
  .strict();
export type PostEvents = z.input<typeof PostEvents>;

/** The ids of the recorded events, in the order they were sent; answered only after the commit. */
export const RecordedEvents = z.object({ ids: z.array(EventId) });
export type RecordedEvents = z.infer<typeof RecordedEvents>;

/** Ground truth for one prediction, possibly days later. */
export const FeedbackInput = z
  .object({
    predictionId: EventId,
    label: z.string().max(1000).nullable().default(null),
    value: FiniteNumber.nullable().default(null),
    /** When the truth became known; the server's clock when absent. */
    time: Timestamp.optional(),
  })
  .strict()
  .refine((f) => f.label !== null || f.value !== null, 'must have a label or a value');
export type FeedbackInput = z.input<typeof FeedbackInput>;

export const PostFeedback = z
  .object({ feedback: z.array(FeedbackInput).min(1).max(MAX_FEEDBACK_BATCH) })
  .strict();
export type PostFeedback = z.input<typeof PostFeedback>;

/** `unknown` lists the prediction ids that no event of the caller's project has; nothing is dropped silently. */
export const FeedbackResult = z.object({
  recorded: z.number().int(),
  unknown: z.array(z.string()),
});
export type FeedbackResult = z.infer<typeof FeedbackResult>;

export const Feedback = z.object({
  label: z.string().nullable(),
  value: z.number().nullable(),
  time: Timestamp,
});
export type Feedback = z.infer<typeof Feedback>;

export const InferenceEvent = z.object({
  id: EventId,
  projectId: Id,
  time: Timestamp,
  receivedAt: Timestamp,
  endpoint: z.string().nullable(),
  modelVersion: z.string().nullable(),
  modelVersionId: z.string().nullable(),
  arm: Arm,
  inputs: z.unknown(),
  outputs: z.unknown(),
  label: z.string().nullable(),
  score: z.number().nullable(),
  confidence: z.number().nullable(),
  latencyMs: z.number().nullable(),
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  costUsd: z.number().nullable(),
  tags: z.record(z.string(), z.string()),
  traceId: z.string().nullable(),
  error: z.string().nullable(),
  /** The latest ground truth attached to this prediction, if any. */
  feedback: Feedback.nullable(),
});
export type InferenceEvent = z.infer<typeof InferenceEvent>;

const TagFilter = z
  .string()
  .max(1200)
  .regex(/^[^:]+:.*$/, 'must be key:value');

export const ListEvents = PageQuery.extend({
  endpoint: z.string().min(1).max(200).optional(),
  /** `name@vN`. */
  version: z.string().min(1).max(300).optional(),
  arm: Arm.optional(),
  /** Events at or after this time. */
  from: Timestamp.optional(),
  /** Events before this time. */
  to: Timestamp.optional(),
  /** `key:value`: events with that tag value. Repeated in a URL, every one must match. */
  tag: z.union([TagFilter, z.array(TagFilter).max(10)]).optional(),
  /**
   * `asc` lists in the order events were recorded, oldest first, and its cursor keeps following
   * new events (what `plumb events tail` polls with); the default lists by event time, newest first.
   */
  order: z.enum(['desc', 'asc']).default('desc'),
  /** With `asc` and no cursor: `end` answers no events and the cursor at the end of the log, to follow from now on. */
  start: z.enum(['beginning', 'end']).default('beginning'),
}).strict();
export type ListEvents = PageParams & {
  endpoint?: string;
  version?: string;
  arm?: Arm;
  from?: string;
  to?: string;
  tag?: string;
  order?: 'desc' | 'asc';
  start?: 'beginning' | 'end';
};
