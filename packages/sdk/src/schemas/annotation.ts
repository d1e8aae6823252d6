import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';

// Annotation projects: a label schema, versioned guidelines, overlap and gold items; tasks
// handed out blind; labels, reviews, agreement, and the consensus exported as a dataset version.

const QuestionName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and "_", starting with a letter');
const Choice = z.string().min(1).max(200);
const Choices = z
  .array(Choice)
  .min(2, 'a choice question needs at least two choices')
  .max(50)
  .refine((c) => new Set(c).size === c.length, 'choices must be unique');
/** A key pressed to pick a choice in the annotator page: one character. */
const Shortcut = z.string().length(1);

export const LabelQuestion = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('single_choice'),
      name: QuestionName,
      prompt: z.string().max(500).optional(),
      choices: Choices,
      shortcuts: z.record(Choice, Shortcut).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('multiple_choice'),
      name: QuestionName,
      prompt: z.string().max(500).optional(),
      choices: Choices,
      shortcuts: z.record(Choice, Shortcut).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('scale'),
      name: QuestionName,
      prompt: z.string().max(500).optional(),
      min: z.number().int(),
      max: z.number().int(),
      /** How far apart values are: ordinal (order only) or interval (differences mean something). */
      level: z.enum(['ordinal', 'interval']).default('ordinal'),
    })
    .strict(),
  z
    .object({
      type: z.literal('free_text'),
      name: QuestionName,
      prompt: z.string().max(500).optional(),
      maxLength: z.number().int().min(1).max(100_000).default(5000),
    })
    .strict(),
  z
    .object({
      type: z.literal('span'),
      name: QuestionName,
      prompt: z.string().max(500).optional(),
      /** The text field of the item that spans are marked in. */
      field: z.string().min(1).max(200),
      labels: z
        .array(Choice)
        .min(1)
        .max(50)
        .refine((c) => new Set(c).size === c.length, 'labels must be unique'),
    })
    .strict(),
]);
export type LabelQuestion = z.infer<typeof LabelQuestion>;

export const LabelSchema = z
  .object({
    /** Item fields shown to annotators, in order; default all of them. */
    show: z.array(z.string().min(1).max(200)).max(100).optional(),
    questions: z.array(LabelQuestion).min(1).max(20),
  })
  .strict();
export type LabelSchema = z.infer<typeof LabelSchema>;

export const ConsensusRule = z.discriminatedUnion('rule', [
  z
    .object({
      rule: z.literal('majority'),
      /** Share of annotators the majority answer needs on every question; below it the item is adjudicated. */
      minAgreement: z.number().gt(0).max(1).default(0.5),
    })
    .strict(),
  z.object({ rule: z.literal('reviewer') }).strict(),
]);
export type ConsensusRule = z.infer<typeof ConsensusRule>;

export const AnnotationSettings = z
  .object({
    /** How many annotators label each item. */
    overlap: z.number().int().min(1).max(50).default(2),
    /** Share of the items an annotator is given that are gold items, mixed in unmarked. */
    goldRate: z.number().min(0).max(0.5).default(0),
    /** Gold items each annotator labels, scored, before getting tasks. */
    calibrationItems: z.number().int().min(0).max(100).default(0),
    /** Items whose agreement (share of agreeing pairs) is below this go to adjudication. */
    adjudicationThreshold: z.number().min(0).max(1).default(0.5),
    consensus: ConsensusRule.default({ rule: 'majority', minAgreement: 0.5 }),
    /** Share of agreed items sampled for a reviewer's spot check. */
    spotCheckRate: z.number().min(0).max(1).default(0),
    /** An item handed out and not labelled within this time goes back to the pool. */
    leaseMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
  })
  .strict();
export type AnnotationSettings = z.infer<typeof AnnotationSettings>;

export const CreateAnnotationProject = AnnotationSettings.extend({
  name: Name,
  description: z.string().max(2000).default(''),
  /** The label schema as YAML (see LabelSchema). */
  schema: z.string().min(1).max(200_000),
  /** The first version of the guidelines, Markdown. */
  guidelines: z.string().max(500_000).default(''),
}).strict();
export type CreateAnnotationProject = z.input<typeof CreateAnnotationProject>;

export const AnnotationProject = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  schema: LabelSchema,
  schemaYaml: z.string(),
  settings: AnnotationSettings,
  guidelinesVersion: z.number().int(),
  items: z.number().int(),
  goldItems: z.number().int(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type AnnotationProject = z.infer<typeof AnnotationProject>;

export const AnnotationProjectParams = z.object({ project: Name }).strict();
export const AnnotationItemParams = z.object({ project: Name, item: Id }).strict();

export const Guidelines = z.object({
  version: z.number().int(),
  markdown: z.string(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type Guidelines = z.infer<typeof Guidelines>;
export const SetGuidelines = z.object({ markdown: z.string().max(500_000) }).strict();
export type SetGuidelines = z.input<typeof SetGuidelines>;
export const GuidelinesQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

/** One answer per question, by question name; checked against the project's schema. */
export const LabelValue = z.record(z.string(), z.unknown());
export type LabelValue = z.infer<typeof LabelValue>;

export const AddAnnotationTasks = z.discriminatedUnion('source', [
  z
    .object({
      source: z.literal('dataset'),
      /** `name@vN`: each row becomes an item. */
      version: z.string().min(1).max(200),
      /** Only rows of these slices (the version's slice column). */
      slices: z.array(z.string().max(500)).min(1).max(1000).optional(),
      limit: z.number().int().min(1).max(1_000_000).optional(),
    })
    .strict(),
  z
    .object({
      source: z.literal('review_queue'),
      /** An endpoint whose low-confidence predictions wait for review. */
      endpoint: z.string().min(1).max(200),
      limit: z.number().int().min(1).max(100_000).optional(),
    })
    .strict(),
  z
    .object({
      source: z.literal('coverage'),
      /**
       * An endpoint whose monitor compares production traffic with the training data: recent
       * predictions whose `field` takes a value training lacks become items.
       */
      endpoint: z.string().min(1).max(200),
      field: z.string().min(1).max(200),
      /** How much larger a value's production share must be than its training share. */
      minGap: z.number().min(0).max(1).default(0.05),
      limit: z.number().int().min(1).max(100_000).optional(),
    })
    .strict(),
]);
export type AddAnnotationTasks = z.input<typeof AddAnnotationTasks>;

export const AddedAnnotationTasks = z.object({ added: z.number().int(), alreadyPresent: z.number().int() });
export type AddedAnnotationTasks = z.infer<typeof AddedAnnotationTasks>;

export const AddGoldItems = z
  .object({
    items: z
      .array(z.object({ data: z.record(z.string(), z.unknown()), answer: LabelValue }).strict())
      .min(1)
      .max(10_000),
  })
  .strict();
export type AddGoldItems = z.input<typeof AddGoldItems>;

export const CalibrationState = z.object({
  required: z.number().int(),
  labelled: z.number().int(),
  correct: z.number().int(),
  /** Share of calibration items answered as the gold answer, once all are labelled. */
  score: z.number().nullable(),
  completedAt: Timestamp.nullable(),
});
export type CalibrationState = z.infer<typeof CalibrationState>;

/** What an annotator is given: gold and ordinary items look alike. */
export const AnnotationTask = z.object({
  itemId: Id,
  data: z.record(z.string(), z.unknown()),
  guidelinesVersion: z.number().int(),
  /** True while the annotator works through the calibration set. */
  calibration: z.boolean(),
  assignedAt: Timestamp,
});
export type AnnotationTask = z.infer<typeof AnnotationTask>;

export const NextAnnotationTask = z.object({
  task: AnnotationTask.nullable(),
  calibration: CalibrationState.nullable(),
});
export type NextAnnotationTask = z.infer<typeof NextAnnotationTask>;

export const SubmitLabel = z
  .object({ value: LabelValue, durationMs: z.number().int().min(0).max(86_400_000).optional() })
  .strict();
export type SubmitLabel = z.input<typeof SubmitLabel>;

export const AnnotationLabel = z.object({
  id: Id,
  itemId: Id,
  annotator: z.string(),
  annotatorName: z.string(),
  value: LabelValue,
  guidelinesVersion: z.number().int(),
  revision: z.number().int(),
  durationMs: z.number().int().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AnnotationLabel = z.infer<typeof AnnotationLabel>;

export const SubmittedLabel = z.object({ label: AnnotationLabel, calibration: CalibrationState.nullable() });
export type SubmittedLabel = z.infer<typeof SubmittedLabel>;

export const SkipItem = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();
export type SkipItem = z.input<typeof SkipItem>;
export const SkippedItem = z.object({ itemId: Id, reason: z.string() });
export type SkippedItem = z.infer<typeof SkippedItem>;

export const ListLabels = PageQuery.extend({
  item: Id.optional(),
  annotator: z.string().min(1).max(100).optional(),
}).strict();
export type ListLabels = z.input<typeof ListLabels>;

export const PairAgreement = z.object({
  a: z.string(),
  b: z.string(),
  items: z.number().int(),
  percentAgreement: z.number().nullable(),
  cohenKappa: z.number().nullable(),
  spanF1Exact: z.number().nullable(),
  spanF1Overlap: z.number().nullable(),
});
export type PairAgreement = z.infer<typeof PairAgreement>;

export const QuestionAgreement = z.object({
  question: z.string(),
  type: z.string(),
  /** The measurement level the coefficients use; `none` for free text, which is not compared. */
  level: z.enum(['nominal', 'ordinal', 'interval', 'span', 'none']),
  items: z.number().int(),
  percentAgreement: z.number().nullable(),
  fleissKappa: z.number().nullable(),
  krippendorffAlpha: z.number().nullable(),
  spanF1Exact: z.number().nullable(),
  spanF1Overlap: z.number().nullable(),
  pairs: z.array(PairAgreement),
});
export type QuestionAgreement = z.infer<typeof QuestionAgreement>;

export const AgreementReport = z.object({ questions: z.array(QuestionAgreement) });
export type AgreementReport = z.infer<typeof AgreementReport>;

export const AnnotatorStatus = z.object({
  annotator: z.string(),
  name: z.string(),
  labelled: z.number().int(),
  skipped: z.number().int(),
  inProgress: z.number().int(),
  goldLabelled: z.number().int(),
  goldAccuracy: z.number().nullable(),
  /** Gold accuracy over consecutive windows of gold labels, oldest first. */
  goldTrend: z.array(z.object({ labels: z.number().int(), accuracy: z.number() })),
  calibration: CalibrationState.nullable(),
});
export type AnnotatorStatus = z.infer<typeof AnnotatorStatus>;

export const AnnotationStatus = z.object({
  project: z.string(),
  guidelinesVersion: z.number().int(),
  items: z.object({
    total: z.number().int(),
    open: z.number().int(),
    agreed: z.number().int(),
    adjudication: z.number().int(),
    review: z.number().int(),
    resolved: z.number().int(),
  }),
  labels: z.number().int(),
  waitingForReview: z.number().int(),
  annotators: z.array(AnnotatorStatus),
  agreement: AgreementReport,
});
export type AnnotationStatus = z.infer<typeof AnnotationStatus>;

export const ReviewTask = z.object({
  itemId: Id,
  /** adjudication: annotators disagreed; review: the consensus rule is the reviewer's decision; spot_check: agreed, sampled. */
  reason: z.enum(['adjudication', 'review', 'spot_check']),
  data: z.record(z.string(), z.unknown()),
  agreement: z.number().nullable(),
  consensus: LabelValue.nullable(),
  labels: z.array(AnnotationLabel),
});
export type ReviewTask = z.infer<typeof ReviewTask>;

export const SubmitReview = z
  .object({
    /** accept: the consensus stands; override: `value` becomes the consensus. */
    decision: z.enum(['accept', 'override']),
    value: LabelValue.optional(),
    note: z.string().max(2000).default(''),
  })
  .strict()
  .refine((r) => r.decision !== 'override' || r.value !== undefined, {
    message: 'an override needs a value',
    path: ['value'],
  });
export type SubmitReview = z.input<typeof SubmitReview>;

export const AnnotationReview = z.object({
  id: Id,
  itemId: Id,
  reviewer: z.string(),
  decision: z.enum(['accept', 'override']),
  value: LabelValue,
  note: z.string(),
  createdAt: Timestamp,
});
export type AnnotationReview = z.infer<typeof AnnotationReview>;

export const ExportAnnotations = z.object({ to: Name, message: z.string().max(5000).optional() }).strict();
export type ExportAnnotations = z.input<typeof ExportAnnotations>;

export const AnnotationExport = z.object({
  id: Id,
  datasetVersion: z.string(),
  datasetVersionId: Id,
  rows: z.number().int(),
  /** Items left out because they have no consensus yet (open, adjudication, review). */
  leftOut: z.number().int(),
  lineage: z.object({
    project: z.string(),
    sources: z.array(z.object({ kind: z.string(), ref: z.string() })),
    guidelineVersions: z.array(z.number().int()),
    annotators: z.array(z.string()),
    agreement: AgreementReport,
  }),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type AnnotationExport = z.infer<typeof AnnotationExport>;

export const AnnotationExportList = z.object({ items: z.array(AnnotationExport) });
export type AnnotationExportList = z.infer<typeof AnnotationExportList>;
