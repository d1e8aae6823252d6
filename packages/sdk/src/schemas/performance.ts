import { z } from 'zod';
import { Timestamp } from './common.js';

/** A window length: whole hours or days, `1h`, `6h`, `1d`. */
export const WindowLength = z
  .string()
  .regex(/^[1-9][0-9]{0,3}[hd]$/, 'must be whole hours or days such as 1h, 6h or 1d');

export const PerformanceQuery = z
  .object({
    /** Default: one day before `to`. */
    from: Timestamp.optional(),
    /** Default: now. */
    to: Timestamp.optional(),
    window: WindowLength.default('1h'),
    /** `name@vN`: one model version; default every version that served. */
    version: z.string().min(1).max(300).optional(),
    /** An input field, or `tag:<key>` for a tag: realised metrics per value of it. */
    segment: z.string().min(1).max(200).optional(),
    /** The class whose probability a binary classifier's score is; default the one predicted for high scores. */
    positiveClass: z.string().min(1).max(1000).optional(),
    /** Labelled predictions in this period calibrate the estimate; default all before `to`. */
    referenceFrom: Timestamp.optional(),
    referenceTo: Timestamp.optional(),
  })
  .strict();
export type PerformanceQuery = z.input<typeof PerformanceQuery>;

const Metric = z.number().nullable();

/** Measured from the feedback of a window's predictions: null where it cannot be computed. */
export const RealisedPerformance = z.object({
  accuracy: Metric,
  precision: Metric,
  recall: Metric,
  f1: Metric,
  rocAuc: Metric,
  calibrationError: Metric,
  mae: Metric,
  rmse: Metric,
});
export type RealisedPerformance = z.infer<typeof RealisedPerformance>;

/** Confidence-based estimate from the model's calibrated probabilities, before labels. */
export const EstimatedPerformance = z.object({
  accuracy: Metric,
  precision: Metric,
  recall: Metric,
  f1: Metric,
});
export type EstimatedPerformance = z.infer<typeof EstimatedPerformance>;

export const TrafficFigures = z.object({
  predictions: z.number().int(),
  errorRate: Metric,
  fallbackRate: Metric,
  latencyP50Ms: Metric,
  latencyP95Ms: Metric,
  latencyP99Ms: Metric,
  costUsd: z.number(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
});
export type TrafficFigures = z.infer<typeof TrafficFigures>;

export const PerformanceWindow = z.object({
  windowStart: Timestamp,
  windowEnd: Timestamp,
  modelVersion: z.string().nullable(),
  /** The segment's value; null for the whole window. */
  segment: z.string().nullable(),
  /** Predictions with feedback. */
  labelled: z.number().int(),
  realised: RealisedPerformance,
  /** Null by segment, for regressors and for classifiers other than binary. */
  estimated: EstimatedPerformance.nullable(),
  /** Null by segment. */
  traffic: TrafficFigures.nullable(),
});
export type PerformanceWindow = z.infer<typeof PerformanceWindow>;

export const EndpointPerformance = z.object({
  endpoint: z.string(),
  from: Timestamp,
  to: Timestamp,
  window: z.string(),
  segment: z.string().nullable(),
  positiveClass: z.string().nullable(),
  /** Labelled predictions per version the estimate was calibrated on. */
  calibration: z.array(z.object({ modelVersion: z.string().nullable(), labelled: z.number().int() })),
  series: z.array(PerformanceWindow),
  /** Null when the traffic figures include every logged event; else why they may lag behind. */
  stale: z.string().nullable(),
});
export type EndpointPerformance = z.infer<typeof EndpointPerformance>;
