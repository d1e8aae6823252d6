import type { Executor } from '../../storage/database.js';
import type {
  AnnotationAssignmentsTable,
  AnnotationCalibrationsTable,
  AnnotationExportsTable,
  AnnotationLabelsTable,
  AnnotationReviewsTable,
} from './annotation.tables.js';
import { AnnotationItemsRepo } from './annotation-items.repo.js';

/** SQL of annotation work: assignments, labels, calibration sessions, reviews and exports. */
export class AnnotationRepo extends AnnotationItemsRepo {
  // ---------------------------------------------------------------- assignments

  activeAssignment(trx: Executor, apId: string, annotator: string) {
    return trx
      .selectFrom('annotation_assignments')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where('annotator', '=', annotator)
      .where('status', '=', 'active')
      .orderBy('assigned_ms')
      .executeTakeFirst();
  }

  assignment(trx: Executor, itemId: string, annotator: string) {
    return trx
      .selectFrom('annotation_assignments')
      .selectAll()
      .where('item_id', '=', itemId)
      .where('annotator', '=', annotator)
      .executeTakeFirst();
  }

  expiredAssignments(trx: Executor, apId: string, beforeMs: number) {
    return trx
      .selectFrom('annotation_assignments')
      .select(['id', 'item_id'])
      .where('annotation_project_id', '=', apId)
      .where('status', '=', 'active')
      .where('assigned_ms', '<', beforeMs)
      .limit(100)
      .execute();
  }

  /** Deletes the assignment if it is still active; true when this call did. */
  async dropActive(trx: Executor, id: string): Promise<boolean> {
    const result = await trx
      .deleteFrom('annotation_assignments')
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async insertAssignment(trx: Executor, row: AnnotationAssignmentsTable): Promise<void> {
    await trx.insertInto('annotation_assignments').values(row).execute();
  }

  /** Moves an active assignment on; false when it was no longer active (expired, raced). */
  async finishAssignment(trx: Executor, id: string, status: 'labelled' | 'skipped', reason: string | null) {
    const result = await trx
      .updateTable('annotation_assignments')
      .set({ status, reason })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** How many task and gold items the annotator was given, whatever became of them. */
  async servedCounts(trx: Executor, apId: string, annotator: string) {
    const rows = await trx
      .selectFrom('annotation_assignments')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('annotation_project_id', '=', apId)
      .where('annotator', '=', annotator)
      .groupBy('kind')
      .execute();
    const of = (k: string) => Number(rows.find((r) => r.kind === k)?.n ?? 0);
    return { task: of('task'), gold: of('gold'), calibration: of('calibration') };
  }

  assignmentCounts(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_assignments')
      .select(['annotator', 'annotator_name', 'kind', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('annotation_project_id', '=', apId)
      .groupBy(['annotator', 'annotator_name', 'kind', 'status'])
      .execute();
  }

  // ---------------------------------------------------------------- labels

  async insertLabel(trx: Executor, row: AnnotationLabelsTable): Promise<void> {
    await trx.insertInto('annotation_labels').values(row).execute();
  }

  findLabel(trx: Executor, itemId: string, annotator: string) {
    return trx
      .selectFrom('annotation_labels')
      .selectAll()
      .where('item_id', '=', itemId)
      .where('annotator', '=', annotator)
      .executeTakeFirst();
  }

  async updateLabel(
    trx: Executor,
    id: string,
    values: Pick<AnnotationLabelsTable, 'value' | 'correct' | 'revision' | 'updated_at'>,
  ) {
    await trx.updateTable('annotation_labels').set(values).where('id', '=', id).execute();
  }

  itemLabels(trx: Executor, itemId: string): Promise<AnnotationLabelsTable[]> {
    return trx
      .selectFrom('annotation_labels')
      .selectAll()
      .where('item_id', '=', itemId)
      .orderBy('id')
      .execute();
  }

  listLabels(
    apId: string,
    filter: { item?: string | undefined; annotator?: string | undefined },
    afterId: string | undefined,
    limit: number,
  ) {
    let q = this.db.kysely
      .selectFrom('annotation_labels')
      .selectAll()
      .where('annotation_project_id', '=', apId);
    if (filter.item !== undefined) q = q.where('item_id', '=', filter.item);
    if (filter.annotator !== undefined) q = q.where('annotator', '=', filter.annotator);
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    return q.orderBy('id').limit(limit).execute();
  }

  /** Gold labels of the project, oldest first: accuracy and its trend per annotator. */
  goldLabels(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_labels')
      .select(['annotator', 'correct', 'kind'])
      .where('annotation_project_id', '=', apId)
      .where('correct', 'is not', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async calibrationLabels(trx: Executor, apId: string, annotator: string) {
    return trx
      .selectFrom('annotation_labels')
      .select(['correct'])
      .where('annotation_project_id', '=', apId)
      .where('annotator', '=', annotator)
      .where('kind', '=', 'calibration')
      .execute();
  }

  async distinctGuidelineVersions(apId: string): Promise<number[]> {
    const rows = await this.db.kysely
      .selectFrom('annotation_labels')
      .select('guidelines_version')
      .distinct()
      .where('annotation_project_id', '=', apId)
      .orderBy('guidelines_version')
      .execute();
    return rows.map((r) => Number(r.guidelines_version));
  }

  // ---------------------------------------------------------------- calibration, reviews, exports

  calibration(trx: Executor, apId: string, annotator: string) {
    return trx
      .selectFrom('annotation_calibrations')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where('annotator', '=', annotator)
      .executeTakeFirst();
  }

  calibrations(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_calibrations')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .execute();
  }

  async insertCalibration(trx: Executor, row: AnnotationCalibrationsTable): Promise<void> {
    await trx.insertInto('annotation_calibrations').values(row).execute();
  }

  async insertReview(trx: Executor, row: AnnotationReviewsTable): Promise<void> {
    await trx.insertInto('annotation_reviews').values(row).execute();
  }

  async insertExport(trx: Executor, row: AnnotationExportsTable): Promise<void> {
    await trx.insertInto('annotation_exports').values(row).execute();
  }

  listExports(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_exports')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .orderBy('created_at', 'desc')
      .execute();
  }
}
