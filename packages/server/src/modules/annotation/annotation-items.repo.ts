import type { Db, Executor } from '../../storage/database.js';
import type {
  AnnotationGuidelinesTable,
  AnnotationItemsTable,
  AnnotationProjectsTable,
} from './annotation.tables.js';

/** Rows per insert: 19 columns stay far below either dialect's limit on bound parameters. */
const INSERT_BATCH = 500;

/** SQL of annotation projects, their guidelines and items. */
export class AnnotationItemsRepo {
  constructor(protected readonly db: Db) {}

  get kysely(): Executor {
    return this.db.kysely;
  }

  // ---------------------------------------------------------------- projects and guidelines

  async insertProject(trx: Executor, row: AnnotationProjectsTable, guidelines: AnnotationGuidelinesTable) {
    await trx.insertInto('annotation_projects').values(row).execute();
    await trx.insertInto('annotation_guidelines').values(guidelines).execute();
  }

  findProject(projectId: string, name: string, trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('annotation_projects')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  listProjects(projectId: string, afterName: string | undefined, limit: number) {
    let q = this.db.kysely.selectFrom('annotation_projects').selectAll().where('project_id', '=', projectId);
    if (afterName !== undefined) q = q.where('name', '>', afterName);
    return q.orderBy('name').limit(limit).execute();
  }

  async addGuidelines(trx: Executor, row: AnnotationGuidelinesTable) {
    await trx.insertInto('annotation_guidelines').values(row).execute();
    await trx
      .updateTable('annotation_projects')
      .set({ guidelines_version: row.version })
      .where('id', '=', row.annotation_project_id)
      .execute();
  }

  guidelines(apId: string, version: number) {
    return this.db.kysely
      .selectFrom('annotation_guidelines')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  // ---------------------------------------------------------------- items

  async nextOrdinal(trx: Executor, apId: string): Promise<number> {
    const row = await trx
      .selectFrom('annotation_items')
      .select((eb) => eb.fn.max('ordinal').as('m'))
      .where('annotation_project_id', '=', apId)
      .executeTakeFirst();
    return row?.m === null || row?.m === undefined ? 0 : Number(row.m) + 1;
  }

  /** Inserts the items whose source key is new; returns how many were. */
  async insertItems(trx: Executor, rows: AnnotationItemsTable[]): Promise<number> {
    let added = 0;
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const result = await trx
        .insertInto('annotation_items')
        .values(rows.slice(i, i + INSERT_BATCH))
        .onConflict((oc) => oc.columns(['annotation_project_id', 'source_key']).doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  findItem(apId: string, id: string, trx: Executor = this.db.kysely) {
    return trx
      .selectFrom('annotation_items')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async itemCounts(apId: string) {
    const rows = await this.db.kysely
      .selectFrom('annotation_items')
      .select(['is_gold', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('annotation_project_id', '=', apId)
      .groupBy(['is_gold', 'status'])
      .execute();
    return rows.map((r) => ({ isGold: Number(r.is_gold) === 1, status: r.status, n: Number(r.n) }));
  }

  /** Items not yet given to this annotator with a free slot, in order: the candidates for `next`. */
  candidates(trx: Executor, apId: string, annotator: string, gold: boolean, limit: number) {
    return trx
      .selectFrom('annotation_items as i')
      .select(['i.id', 'i.ordinal'])
      .where('i.annotation_project_id', '=', apId)
      .where('i.is_gold', '=', gold ? 1 : 0)
      .where('i.status', '=', 'open')
      .where((eb) => eb.or([eb('i.target', 'is', null), eb('i.taken', '<', eb.ref('i.target'))]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('annotation_assignments as a')
              .select('a.id')
              .whereRef('a.item_id', '=', 'i.id')
              .where('a.annotator', '=', annotator),
          ),
        ),
      )
      .orderBy('i.ordinal')
      .limit(limit)
      .execute();
  }

  /**
   * Takes one slot of the item if one is free. The condition is re-checked by the update
   * itself, so of two transactions racing for the last slot exactly one gets it.
   */
  async takeSlot(trx: Executor, itemId: string): Promise<boolean> {
    const result = await trx
      .updateTable('annotation_items')
      .set((eb) => ({ taken: eb('taken', '+', 1) }))
      .where('id', '=', itemId)
      .where('status', '=', 'open')
      .where((eb) => eb.or([eb('target', 'is', null), eb('taken', '<', eb.ref('target'))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async releaseSlot(trx: Executor, itemId: string): Promise<void> {
    await trx
      .updateTable('annotation_items')
      .set((eb) => ({ taken: eb('taken', '-', 1) }))
      .where('id', '=', itemId)
      .execute();
  }

  /** Counts one more label on the item and returns the new count. */
  async countLabel(trx: Executor, itemId: string): Promise<number> {
    const row = await trx
      .updateTable('annotation_items')
      .set((eb) => ({ labelled: eb('labelled', '+', 1) }))
      .where('id', '=', itemId)
      .returning('labelled')
      .executeTakeFirstOrThrow();
    return Number(row.labelled);
  }

  async setOutcome(
    trx: Executor,
    itemId: string,
    values: Pick<
      AnnotationItemsTable,
      'status' | 'agreement' | 'consensus' | 'consensus_source' | 'spot_check'
    >,
  ): Promise<void> {
    await trx.updateTable('annotation_items').set(values).where('id', '=', itemId).execute();
  }

  /** Non-gold items with at least one label, and their labels: what agreement is computed from. */
  async labelledItems(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_labels as l')
      .innerJoin('annotation_items as i', 'i.id', 'l.item_id')
      .select(['l.item_id', 'l.annotator', 'l.value'])
      .where('l.annotation_project_id', '=', apId)
      .where('i.is_gold', '=', 0)
      .orderBy('i.ordinal')
      .orderBy('l.annotator')
      .execute();
  }

  /** Items with a consensus, in order, for export. */
  consensusItems(apId: string) {
    return this.db.kysely
      .selectFrom('annotation_items')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where('is_gold', '=', 0)
      .where('status', 'in', ['agreed', 'resolved'])
      .orderBy('ordinal')
      .execute();
  }

  /** Items waiting for a reviewer: adjudication, the reviewer's decision, unreviewed spot checks. */
  reviewQueue(apId: string, afterOrdinal: number | undefined, limit: number) {
    let q = this.db.kysely
      .selectFrom('annotation_items')
      .selectAll()
      .where('annotation_project_id', '=', apId)
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['adjudication', 'review']),
          eb.and([eb('status', '=', 'agreed'), eb('spot_check', '=', 1)]),
        ]),
      );
    if (afterOrdinal !== undefined) q = q.where('ordinal', '>', afterOrdinal);
    return q.orderBy('ordinal').limit(limit).execute();
  }

  async countReviewQueue(apId: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('annotation_items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('annotation_project_id', '=', apId)
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['adjudication', 'review']),
          eb.and([eb('status', '=', 'agreed'), eb('spot_check', '=', 1)]),
        ]),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
