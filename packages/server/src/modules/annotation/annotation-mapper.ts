import type {
  AnnotationLabel,
  AnnotationProject,
  AnnotationSettings,
  CalibrationState,
  LabelSchema,
  LabelValue,
} from '@plumb/sdk';
import type {
  AnnotationCalibrationsTable,
  AnnotationLabelsTable,
  AnnotationProjectsTable,
} from './annotation.tables.js';

/** A project row with its JSON columns read. */
export interface ProjectRecord {
  row: AnnotationProjectsTable;
  schema: LabelSchema;
  settings: AnnotationSettings;
}

export function toRecord(row: AnnotationProjectsTable): ProjectRecord {
  return {
    row,
    schema: JSON.parse(row.schema) as LabelSchema,
    settings: JSON.parse(row.settings) as AnnotationSettings,
  };
}

export function toProject(p: ProjectRecord, counts: { items: number; goldItems: number }): AnnotationProject {
  return {
    id: p.row.id,
    name: p.row.name,
    description: p.row.description,
    schema: p.schema,
    schemaYaml: p.row.schema_yaml,
    settings: p.settings,
    guidelinesVersion: Number(p.row.guidelines_version),
    items: counts.items,
    goldItems: counts.goldItems,
    createdAt: p.row.created_at,
    createdBy: p.row.created_by,
  };
}

export function toLabel(row: AnnotationLabelsTable): AnnotationLabel {
  return {
    id: row.id,
    itemId: row.item_id,
    annotator: row.annotator,
    annotatorName: row.annotator_name,
    value: JSON.parse(row.value) as LabelValue,
    guidelinesVersion: Number(row.guidelines_version),
    revision: Number(row.revision),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toCalibration(
  required: number,
  done: AnnotationCalibrationsTable | undefined,
  labels: { correct: number | null }[],
): CalibrationState {
  return {
    required,
    labelled: done ? Number(done.items) : labels.length,
    correct: done ? Number(done.correct) : labels.filter((l) => Number(l.correct) === 1).length,
    score: done ? (done.score === null ? null : Number(done.score)) : null,
    completedAt: done ? done.completed_at : null,
  };
}
