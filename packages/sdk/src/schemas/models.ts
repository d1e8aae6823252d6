import { z } from 'zod';
import { Id, Name, type PageParams, PageQuery, Timestamp } from './common.js';
import { BlobRef } from './datasets.js';

/** Risk classes of the EU AI Act; `unacceptable` models can never be promoted. */
export const RiskClass = z.enum(['minimal', 'limited', 'high', 'unacceptable']);
export type RiskClass = z.infer<typeof RiskClass>;

export const ModelVersionStatus = z.enum(['registered', 'staging', 'production', 'archived', 'deprecated']);
export type ModelVersionStatus = z.infer<typeof ModelVersionStatus>;

/**
 * An alias name: a slug starting with a letter. `latest` and `vN` are reserved because they
 * already mean a version in `name@…`.
 */
export const AliasName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z][a-z0-9_-]*$/, 'use lower-case letters, digits, "_" and "-", starting with a letter')
  .refine((a) => a !== 'latest' && !/^v\d+$/.test(a), 'is reserved: latest and vN name versions');

/** An http(s) URL without credentials: secrets belong in the serving configuration, not the registry. */
const UpstreamUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2000)
  .refine((u) => {
    // Runs even when the URL check failed; that failure is the one to report.
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return url.username === '' && url.password === '';
  }, 'must not carry credentials');

export const PromotionPolicy = z.object({
  /** Aliases whose move needs a passed evaluation gate for the candidate. */
  gatedAliases: z.array(AliasName),
  /** As in force: from high risk up, champion is always gated and approval always required. */
  approvalRequired: z.boolean(),
});
export type PromotionPolicy = z.infer<typeof PromotionPolicy>;

const PolicyInput = z
  .object({
    gatedAliases: z
      .array(AliasName)
      .max(20)
      .refine((a) => new Set(a).size === a.length, 'name each alias once')
      .default(['champion']),
    approvalRequired: z.boolean().default(false),
  })
  .strict();

const Owner = z.string().min(1).max(200);
const Description = z.string().max(5000);

export const CreateModel = z
  .object({
    name: Name,
    /** Defaults to the name of the key that creates the model. */
    owner: Owner.optional(),
    description: Description.default(''),
    riskClass: RiskClass,
    policy: PolicyInput.default({ gatedAliases: ['champion'], approvalRequired: false }),
  })
  .strict();
export type CreateModel = z.input<typeof CreateModel>;

export const UpdateModel = z
  .object({
    owner: Owner.optional(),
    description: Description.optional(),
    riskClass: RiskClass.optional(),
    policy: z
      .object({
        gatedAliases: z
          .array(AliasName)
          .max(20)
          .refine((a) => new Set(a).size === a.length, 'name each alias once')
          .optional(),
        approvalRequired: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((u) => Object.values(u).some((v) => v !== undefined), 'change at least one field');
export type UpdateModel = z.input<typeof UpdateModel>;

export const Model = z.object({
  id: Id,
  name: Name,
  owner: z.string(),
  description: z.string(),
  riskClass: RiskClass,
  policy: PromotionPolicy,
  /** Whether alias moves need approval: the policy in force (always, from high risk up). */
  approvalRequired: z.boolean(),
  latestVersion: z.number().int().nullable(),
  versionCount: z.number().int(),
  /** Alias → `name@vN`. */
  aliases: z.record(z.string(), z.string()),
  createdAt: Timestamp,
  createdBy: z.string(),
  updatedAt: Timestamp,
});
export type Model = z.infer<typeof Model>;

export const ModelArtifact = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('onnx'), blobRef: BlobRef, size: z.number().int().nonnegative() }),
  /** An Open Inference Protocol v2 model URL, e.g. `http://host/v2/models/fraud`. */
  z.object({ kind: z.literal('oip'), url: z.string() }),
  /**
   * An OpenAI-compatible base URL and the model name to ask it for; `apiKeyEnv` or `apiKeyFile`
   * name where the server reads the key it sends (never the key itself).
   */
  z.object({
    kind: z.literal('openai'),
    baseUrl: z.string(),
    model: z.string(),
    apiKeyEnv: z.string().optional(),
    apiKeyFile: z.string().optional(),
  }),
]);
export type ModelArtifact = z.infer<typeof ModelArtifact>;

export const ArtifactInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('onnx'), blobRef: BlobRef }).strict(),
  z.object({ kind: z.literal('oip'), url: UpstreamUrl }).strict(),
  z
    .object({
      kind: z.literal('openai'),
      baseUrl: UpstreamUrl,
      model: z.string().min(1).max(200),
      /** An environment variable of the Plumb server holding the key, e.g. `OPENAI_API_KEY`. */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')
        .refine(
          (n) => !n.toUpperCase().startsWith('PLUMB_'),
          "must not be one of Plumb's own PLUMB_ variables",
        )
        .optional(),
      /** A file in the server's secrets folder (`<PLUMB_HOME>/secrets`) holding the key. */
      apiKeyFile: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
          'must be a file name in the secrets folder, without a path',
        )
        .optional(),
    })
    .strict()
    .refine((a) => a.apiKeyEnv === undefined || a.apiKeyFile === undefined, {
      message: 'give apiKeyEnv or apiKeyFile, not both',
      path: ['apiKeyFile'],
    }),
]);

export const RegisterModelVersion = z
  .object({
    artifact: ArtifactInput,
    /** The training run (`run_…`); its inputs and latest metrics are recorded with the version. */
    runId: Id.optional(),
    /** Markdown with YAML front matter (intended_use, out_of_scope_use, limitations, …). */
    card: z.string().max(200_000).optional(),
    description: Description.default(''),
    /** For upstreams, the declared input and output signature; ONNX signatures are read from the file. */
    signature: z.record(z.string(), z.unknown()).optional(),
    /** Used only when this registration creates the model; the card's front matter fills gaps. */
    model: z
      .object({
        owner: Owner.optional(),
        description: Description.optional(),
        riskClass: RiskClass.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RegisterModelVersion = z.input<typeof RegisterModelVersion>;

export const VersionDataset = z.object({ id: Id, ref: z.string() });

export const ModelVersion = z.object({
  id: Id,
  model: Name,
  version: z.number().int().positive(),
  /** `name@vN` */
  ref: z.string(),
  artifact: ModelArtifact,
  signature: z.unknown().nullable(),
  runId: z.string().nullable(),
  /** Dataset versions the run read. */
  datasets: z.array(VersionDataset),
  /** The run's latest metrics when the version was registered. */
  metrics: z.array(z.object({ key: z.string(), value: z.number(), step: z.number().int() })),
  status: ModelVersionStatus,
  description: z.string(),
  hasCard: z.boolean(),
  /** Aliases pointing at this version now. */
  aliases: z.array(z.string()),
  createdAt: Timestamp,
  createdBy: z.string(),
  statusChangedAt: Timestamp,
  /**
   * For one version read alone, an upstream's key as the server finds it now: `problem` says
   * why calls cannot authenticate (the variable is not set, the file is missing), null when
   * the key is there.
   */
  upstreamKey: z.object({ reference: z.string(), problem: z.string().nullable() }).optional(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const SetModelVersionStatus = z
  .object({ status: ModelVersionStatus, reason: z.string().max(2000).default('') })
  .strict();
export type SetModelVersionStatus = z.input<typeof SetModelVersionStatus>;

export const SetModelCard = z.object({ card: z.string().min(1).max(200_000) }).strict();
export type SetModelCard = z.input<typeof SetModelCard>;

export const ModelAlias = z.object({
  alias: z.string(),
  version: z.number().int(),
  ref: z.string(),
  versionId: Id,
  gated: z.boolean(),
  updatedAt: Timestamp,
  updatedBy: z.string(),
});
export type ModelAlias = z.infer<typeof ModelAlias>;

export const ModelAliasList = z.object({ items: z.array(ModelAlias) });
export type ModelAliasList = z.infer<typeof ModelAliasList>;

/**
 * The version the caller believes the alias points at now: a version number, or null for "not
 * set". The move happens only if that is still true; omitted, the server uses what it reads.
 */
const ExpectedVersion = z.number().int().positive().nullable().optional();

export const SetModelAlias = z
  .object({
    /** `N`, `vN` or `name@vN`. */
    version: z.union([z.number().int().positive(), z.string().min(1).max(300)]),
    expectedVersion: ExpectedVersion,
    reason: z.string().max(2000).default(''),
  })
  .strict();
export type SetModelAlias = z.input<typeof SetModelAlias>;

/** The pipeline run whose promote step moved an alias; the run's key is the move's `actor`. */
export const MovePipelineRun = z.object({
  id: z.string(),
  pipeline: z.string(),
  /** The promote step. */
  step: z.string(),
  /** The name of the key the run acts as. */
  keyName: z.string(),
});
export type MovePipelineRun = z.infer<typeof MovePipelineRun>;

/** One approval that authorized a pipeline's move: a decision at an approval step the move waited for. */
export const MoveApproval = z.object({
  /** The approving key's id, or `system` when the step's timeout approved by default. */
  keyId: z.string(),
  keyName: z.string(),
  step: z.string(),
  /** How many approvals the step needed. */
  quorum: z.number().int(),
  comment: z.string(),
  at: Timestamp,
});
export type MoveApproval = z.infer<typeof MoveApproval>;

export const AliasMove = z.object({
  seq: z.number().int(),
  alias: z.string(),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  action: z.enum(['set', 'promote', 'approve', 'rollback']),
  actor: z.string(),
  reason: z.string(),
  requestId: z.string().nullable(),
  /** Set when a pipeline moved the alias; null for a person's move. */
  pipelineRun: MovePipelineRun.nullable().default(null),
  /** Who approved the pipeline's move at its approval steps; empty when nobody had to. */
  approvedBy: z.array(MoveApproval).default([]),
  at: Timestamp,
});
export type AliasMove = z.infer<typeof AliasMove>;

export const PromoteModelVersion = z
  .object({
    alias: AliasName.default('champion'),
    reason: z.string().max(2000).default(''),
    expectedVersion: ExpectedVersion,
  })
  .strict();
export type PromoteModelVersion = z.input<typeof PromoteModelVersion>;

export const PromotionRequestStatus = z.enum(['pending', 'approved', 'rejected', 'stale']);
export type PromotionRequestStatus = z.infer<typeof PromotionRequestStatus>;

export const PromotionRequest = z.object({
  id: Id,
  model: z.string(),
  version: z.number().int(),
  ref: z.string(),
  alias: z.string(),
  /** The alias target when requested; approval moves the alias only from there. */
  expectedVersion: z.number().int().nullable(),
  status: PromotionRequestStatus,
  reason: z.string(),
  requestedBy: z.string(),
  requestedAt: Timestamp,
  decidedBy: z.string().nullable(),
  decidedAt: Timestamp.nullable(),
  comment: z.string().nullable(),
});
export type PromotionRequest = z.infer<typeof PromotionRequest>;

export const PromotionOutcome = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('moved'), alias: ModelAlias }),
  z.object({ outcome: z.literal('pending_approval'), request: PromotionRequest }),
]);
export type PromotionOutcome = z.infer<typeof PromotionOutcome>;

export const DecidePromotion = z.object({ comment: z.string().min(1).max(5000) }).strict();
export type DecidePromotion = z.input<typeof DecidePromotion>;

export const RollbackAlias = z
  .object({
    reason: z.string().max(2000).default(''),
    /** The version the caller believes the alias points at, so two rollbacks cannot both apply. */
    expectedVersion: z.number().int().positive().optional(),
  })
  .strict();
export type RollbackAlias = z.input<typeof RollbackAlias>;

const GateSummary = z.object({
  id: z.string(),
  suite: z.string(),
  passed: z.boolean(),
  reasons: z.array(z.string()),
  baselineVersionId: z.string().nullable(),
  decidedAt: Timestamp,
});

/** A model card: what people wrote (front matter and body) completed from what Plumb knows. */
export const ModelCard = z.object({
  ref: z.string(),
  model: z.object({ name: z.string(), owner: z.string(), riskClass: RiskClass, description: z.string() }),
  version: z.object({
    id: Id,
    status: ModelVersionStatus,
    artifact: ModelArtifact,
    createdAt: Timestamp,
    createdBy: z.string(),
  }),
  declared: z.object({
    intendedUse: z.string().nullable(),
    outOfScopeUse: z.string().nullable(),
    limitations: z.string().nullable(),
    ethicalConsiderations: z.string().nullable(),
    owner: z.string().nullable(),
    riskClass: z.string().nullable(),
    /** Other front matter keys, as written. */
    extra: z.record(z.string(), z.unknown()),
    body: z.string(),
  }),
  /** Required narrative fields left empty; a high-risk model cannot be promoted while any is. */
  missingFields: z.array(z.string()),
  training: z
    .object({
      runId: z.string(),
      name: z.string(),
      status: z.string(),
      codeVersion: z.string().nullable(),
      params: z.record(z.string(), z.unknown()),
    })
    .nullable(),
  metrics: z.array(z.object({ key: z.string(), value: z.number(), step: z.number().int() })),
  data: z.array(
    z.object({
      id: z.string(),
      ref: z.string(),
      rowCount: z.number().int().nullable(),
      profileStatus: z.string().nullable(),
      validationStatus: z.string().nullable(),
      validationReportId: z.string().nullable(),
    }),
  ),
  evaluations: z.array(
    z.object({
      evalRunId: z.string(),
      suite: z.string(),
      datasetVersionIds: z.array(z.string()),
      metrics: z.record(z.string(), z.record(z.string(), z.number())),
      decision: GateSummary.nullable(),
      createdAt: Timestamp,
    }),
  ),
  latestGate: GateSummary.nullable(),
  approvals: z.array(PromotionRequest),
  aliases: z.array(z.string()),
  markdown: z.string(),
});
export type ModelCard = z.infer<typeof ModelCard>;

export const InventoryItem = z.object({
  name: z.string(),
  owner: z.string(),
  riskClass: RiskClass,
  description: z.string(),
  approvalRequired: z.boolean(),
  versionCount: z.number().int(),
  latestVersion: z.number().int().nullable(),
  aliases: z.record(z.string(), z.string()),
  /**
   * The newest gate decision over all the model's versions: `ref` is the candidate it judged,
   * `baselineRef` what it was compared with (null: no baseline).
   */
  latestGate: GateSummary.extend({ ref: z.string(), baselineRef: z.string().nullable() }).nullable(),
  pendingRequests: z.number().int(),
  /** Dataset versions any version of the model was trained on. */
  datasets: z.array(VersionDataset),
  /** Dataset versions the `champion` version's run read; empty without a champion or a run. */
  championDatasets: z.array(VersionDataset),
});
export type InventoryItem = z.infer<typeof InventoryItem>;

export const ModelParams = z.object({ name: Name }).strict();
/** `v` is `N`, `vN`, `latest` or an alias. */
export const ModelVersionParams = z.object({ name: Name, v: z.string().min(1).max(64) }).strict();
export const ModelAliasParams = z.object({ name: Name, alias: AliasName }).strict();
export const PromotionRequestParams = z.object({ id: Id }).strict();

export const ListModels = PageQuery;
export const ListPromotionRequests = PageQuery.extend({
  status: PromotionRequestStatus.optional(),
  model: Name.optional(),
}).strict();
export type ListPromotionRequests = PageParams & { status?: PromotionRequestStatus; model?: string };
