import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';

/** `10s`, `5m`, `2h`, `1d`, or a number of seconds. */
export const PipelineDuration = z.union([
  z.number().positive(),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as 30s, 10m, 2h or 1d'),
]);

const StepName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'use lower-case letters, digits, "_" and "-", starting with a letter');
const InputName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and "_", starting with a letter');

/**
 * Where a step's input comes from: a dataset version (`flights@latest`), a model version or alias
 * (`flights@champion`), an output of an earlier step (`steps.train.outputs.model`), or a value.
 */
export const PipelineInput = z.union([
  z.string().regex(/^steps\.[a-z][a-z0-9_-]*\.outputs\.[A-Za-z_][A-Za-z0-9_]*$/, {
    message: 'a string input is an output of an earlier step: steps.NAME.outputs.OUTPUT',
  }),
  z.object({ dataset: z.string().min(1).max(300) }).strict(),
  z.object({ model: z.string().min(1).max(300) }).strict(),
  z.object({ value: z.unknown() }).strict(),
]);
export type PipelineInput = z.infer<typeof PipelineInput>;

export const RetryPolicy = z
  .object({
    /** Attempts after the first. */
    max: z.number().int().min(0).max(20).default(0),
    backoff: z
      .object({
        base: PipelineDuration.default('1s'),
        factor: z.number().min(1).max(10).default(2),
        cap: PipelineDuration.default('5m'),
        /** 0 to 1: the delay is drawn uniformly from [delay × (1 − jitter), delay]. */
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      .default({ base: '1s', factor: 2, cap: '5m', jitter: 0.2 }),
  })
  .strict();

export const PipelineStepKind = z.enum([
  'command',
  'validate',
  'snapshot',
  'train',
  'evaluate',
  'register',
  'deploy',
  'promote',
  'approval',
]);
export type PipelineStepKind = z.infer<typeof PipelineStepKind>;

export const PipelineStepSpec = z
  .object({
    name: StepName,
    kind: PipelineStepKind,
    needs: z.array(StepName).max(50).default([]),
    inputs: z.record(InputName, PipelineInput).default({}),
    params: z.record(z.string().min(1).max(100), z.unknown()).default({}),
    /** command and train: the program and its arguments; run from the pipeline's folder. */
    run: z.array(z.string().max(4000)).min(1).max(200).optional(),
    /** command and train: files or folders (relative to the pipeline's folder) whose content keys the cache. */
    files: z.array(z.string().min(1).max(1000)).max(200).optional(),
    env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string().max(4000)).default({}),
    retries: RetryPolicy.default({ max: 0, backoff: { base: '1s', factor: 2, cap: '5m', jitter: 0.2 } }),
    timeout: PipelineDuration.optional(),
    /** Reuse the outputs of an earlier run's identical step; default on for the kinds without side effects. */
    cache: z.boolean().optional(),
    /** The built-in kinds' settings (suite, endpoint, alias, approvers…). */
    with: z.record(z.string().min(1).max(100), z.unknown()).default({}),
  })
  .strict();
export type PipelineStepSpec = z.infer<typeof PipelineStepSpec>;

export const PipelineTrigger = z.union([
  z
    .object({ cron: z.string().min(9).max(200), timeZone: z.string().min(1).max(100).default('UTC') })
    .strict(),
  /** A new version of this dataset. */
  z.object({ dataset: Name }).strict(),
  /** An alert opened by monitoring; narrowed to a rule or an endpoint when given. */
  z
    .object({
      alert: z
        .object({ rule: z.string().max(200).optional(), endpoint: z.string().max(200).optional() })
        .strict(),
    })
    .strict(),
  /** An HMAC-SHA256-signed POST, needing no API key, to /api/v1/projects/PROJECT/pipelines/NAME/webhook. */
  z.object({ webhook: z.object({}).strict() }).strict(),
]);
export type PipelineTrigger = z.infer<typeof PipelineTrigger>;

export const PipelineSpec = z
  .object({
    name: Name,
    description: z.string().max(2000).default(''),
    params: z.record(z.string().min(1).max(100), z.unknown()).default({}),
    triggers: z.array(PipelineTrigger).max(20).default([]),
    steps: z.array(PipelineStepSpec).min(1).max(100),
  })
  .strict();
export type PipelineSpec = z.infer<typeof PipelineSpec>;

export const ApplyPipeline = z
  .object({
    yaml: z.string().min(1).max(1_000_000),
    /** Absolute folder that command steps run in and their `files` are read from (the YAML's folder). */
    baseDir: z.string().min(1).max(4000).optional(),
  })
  .strict();
export type ApplyPipeline = z.input<typeof ApplyPipeline>;

export const Pipeline = z.object({
  id: Id,
  name: Name,
  version: z.number().int().positive(),
  /** `name@vN` */
  ref: z.string(),
  description: z.string(),
  yaml: z.string(),
  spec: PipelineSpec,
  baseDir: z.string().nullable(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type Pipeline = z.infer<typeof Pipeline>;

export const AppliedPipeline = z.object({
  pipeline: Pipeline,
  created: z.boolean(),
  /** The webhook's HMAC secret, shown once: when the pipeline is first applied with a webhook trigger. */
  webhookSecret: z.string().nullable(),
  /** Where a webhook sender POSTs, without an API key, when the pipeline has a webhook trigger. */
  webhookPath: z.string().nullable(),
});
export type AppliedPipeline = z.infer<typeof AppliedPipeline>;

export const PipelineRunStatus = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);
export type PipelineRunStatus = z.infer<typeof PipelineRunStatus>;

export const PipelineStepStatus = z.enum([
  'pending',
  'queued',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'cached',
  'failed',
  'skipped',
  'cancelled',
]);
export type PipelineStepStatus = z.infer<typeof PipelineStepStatus>;

export const PipelineTriggerKind = z.enum(['manual', 'cron', 'dataset', 'alert', 'webhook']);

export const PipelineAttempt = z.object({
  attempt: z.number().int(),
  status: z.enum(['running', 'succeeded', 'failed', 'interrupted', 'cancelled', 'timed_out']),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  error: z.string().nullable(),
  exitCode: z.number().int().nullable(),
});

export const ApprovalDecision = z.object({
  actor: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string(),
  at: Timestamp,
});

export const PipelineStep = z.object({
  name: z.string(),
  kind: PipelineStepKind,
  needs: z.array(z.string()),
  status: PipelineStepStatus,
  attempts: z.array(PipelineAttempt),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  cacheKey: z.string().nullable(),
  /** The run whose outputs a cached step reused. */
  cachedFrom: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  error: z.string().nullable(),
  /** Approval steps: who may decide, how many must, the decisions so far, and when it times out. */
  approval: z
    .object({
      approvers: z.array(z.string()),
      role: z.string().nullable(),
      quorum: z.number().int(),
      timeoutAt: Timestamp.nullable(),
      decisions: z.array(ApprovalDecision),
    })
    .nullable(),
});
export type PipelineStep = z.infer<typeof PipelineStep>;

export const PipelineRun = z.object({
  id: Id,
  pipeline: Name,
  version: z.number().int(),
  status: PipelineRunStatus,
  trigger: z.object({
    kind: PipelineTriggerKind,
    dedupKey: z.string(),
    detail: z.record(z.string(), z.unknown()),
  }),
  params: z.record(z.string(), z.unknown()),
  steps: z.array(PipelineStep),
  error: z.string().nullable(),
  createdAt: Timestamp,
  createdBy: z.string(),
  finishedAt: Timestamp.nullable(),
});
export type PipelineRun = z.infer<typeof PipelineRun>;

export const PipelineRunSummary = PipelineRun.omit({ steps: true });
export type PipelineRunSummary = z.infer<typeof PipelineRunSummary>;

export const PipelineParams = z.object({ name: Name }).strict();
export const PipelineRunParams = z.object({ id: Id }).strict();
export const PipelineStepParams = z.object({ id: Id, step: StepName }).strict();

export const StartPipelineRun = z
  .object({
    params: z.record(z.string().min(1).max(100), z.unknown()).default({}),
    /** One run per key: starting again with the same key returns that run. */
    dedupKey: z.string().min(1).max(300).optional(),
  })
  .strict();
export type StartPipelineRun = z.input<typeof StartPipelineRun>;

export const ListPipelineRuns = PageQuery.extend({
  pipeline: Name.optional(),
  status: PipelineRunStatus.optional(),
}).strict();
export type ListPipelineRuns = z.input<typeof ListPipelineRuns>;

export const DecideApproval = z.object({ comment: z.string().max(5000).default('') }).strict();
export type DecideApproval = z.input<typeof DecideApproval>;

export const PipelineLogLine = z.object({
  seq: z.number().int(),
  step: z.string(),
  attempt: z.number().int(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  time: Timestamp,
  text: z.string(),
});
export type PipelineLogLine = z.infer<typeof PipelineLogLine>;

export const ListPipelineLogs = z
  .object({
    step: StepName.optional(),
    /** Lines after this sequence number, for following. */
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();
export type ListPipelineLogs = z.input<typeof ListPipelineLogs>;

export const PipelineLogs = z.object({
  lines: z.array(PipelineLogLine),
  /** Pass as `after` to get the lines that follow. */
  last: z.number().int(),
  /** The run has ended: no more lines will come. */
  done: z.boolean(),
});
export type PipelineLogs = z.infer<typeof PipelineLogs>;

export const WebhookAccepted = z.object({ run: PipelineRunSummary, created: z.boolean() });
export type WebhookAccepted = z.infer<typeof WebhookAccepted>;
