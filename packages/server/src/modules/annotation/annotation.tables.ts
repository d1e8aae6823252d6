/**
 * Annotation projects and their work. Times handed to people are ISO-8601 text; lease times
 * used in comparisons are milliseconds. JSON values (schema, item data, label values) are text.
 */
export interface AnnotationProjectsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  schema_yaml: string;
  schema: string;
  /** AnnotationSettings as JSON. */
  settings: string;
  guidelines_version: number;
  created_at: string;
  created_by: string;
}

export interface AnnotationGuidelinesTable {
  annotation_project_id: string;
  version: number;
  markdown: string;
  created_at: string;
  created_by: string;
}

/**
 * One thing to label. `taken` counts the assignments holding or having used one of its
 * `target` slots (the overlap); a check constraint keeps it within the target, so no race can
 * hand an item to more annotators than its overlap. Gold items have no target: every
 * annotator may label each once.
 */
export interface AnnotationItemsTable {
  id: string;
  annotation_project_id: string;
  ordinal: number;
  source_kind: string;
  source_ref: string;
  /** Unique within the project: adding the same rows twice adds them once. */
  source_key: string;
  data: string;
  is_gold: number;
  gold_answer: string | null;
  target: number | null;
  taken: number;
  labelled: number;
  /** open, agreed, adjudication, review (the reviewer decides), resolved. */
  status: string;
  agreement: number | null;
  consensus: string | null;
  /** majority or reviewer. */
  consensus_source: string | null;
  spot_check: number;
  created_at: string;
}

export interface AnnotationAssignmentsTable {
  id: string;
  annotation_project_id: string;
  item_id: string;
  annotator: string;
  annotator_name: string;
  /** task, gold or calibration. */
  kind: string;
  /** active, labelled or skipped; an expired lease deletes its assignment. */
  status: string;
  guidelines_version: number;
  reason: string | null;
  assigned_ms: number;
  assigned_at: string;
}

export interface AnnotationLabelsTable {
  id: string;
  annotation_project_id: string;
  item_id: string;
  assignment_id: string;
  annotator: string;
  annotator_name: string;
  kind: string;
  value: string;
  guidelines_version: number;
  /** For gold items: whether the value matches the gold answer. */
  correct: number | null;
  revision: number;
  duration_ms: number | null;
  created_at: string;
  updated_at: string;
}

export interface AnnotationReviewsTable {
  id: string;
  annotation_project_id: string;
  item_id: string;
  reviewer: string;
  decision: string;
  value: string;
  note: string;
  created_at: string;
}

export interface AnnotationCalibrationsTable {
  annotation_project_id: string;
  annotator: string;
  items: number;
  correct: number;
  score: number | null;
  completed_at: string;
}

export interface AnnotationExportsTable {
  id: string;
  annotation_project_id: string;
  dataset_version_id: string;
  dataset_ref: string;
  rows: number;
  left_out: number;
  /** The export's lineage (sources, guideline versions, annotators, agreement) as JSON. */
  lineage: string;
  created_at: string;
  created_by: string;
}

export interface AnnotationTables {
  annotation_projects: AnnotationProjectsTable;
  annotation_guidelines: AnnotationGuidelinesTable;
  annotation_items: AnnotationItemsTable;
  annotation_assignments: AnnotationAssignmentsTable;
  annotation_labels: AnnotationLabelsTable;
  annotation_reviews: AnnotationReviewsTable;
  annotation_calibrations: AnnotationCalibrationsTable;
  annotation_exports: AnnotationExportsTable;
}

declare module '../../storage/schema.js' {
  interface Database extends AnnotationTables {}
}
