import type {
  CalibrationState,
  LabelValue,
  NextAnnotationTask,
  SubmitLabel,
  SubmittedLabel,
} from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Executor } from '../../storage/database.js';
import type { AnnotationAssignmentsTable, AnnotationItemsTable } from './annotation.tables.js';
import { type ProjectRecord, toCalibration, toLabel } from './annotation-mapper.js';
import type { AnnotationDeps, AnnotationProjectsService } from './annotation-projects.service.js';
import { wantsGold } from './gold-mixing.js';
import { settleItem } from './item-outcome.js';
import { checkLabel, matchesGold } from './label-schema.js';

/** Candidates fetched per round while looking for an item with a free slot. */
const CANDIDATES = 8;
/** Transactions that lost a race (a unique key, a deadlock) are run again this many times. */
const ATTEMPTS = 5;

/** An annotator's side: the next item, labels, edits, skips and the calibration session. */
export class AnnotationWorkService {
  constructor(
    private readonly deps: AnnotationDeps & { random: () => number },
    private readonly projects: AnnotationProjectsService,
  ) {}

  /**
   * The item the caller should label next: one they were given and have not finished, else
   * (after calibration) a gold item at the project's rate or the first item with a free slot
   * they have not seen. Null when nothing is left for them.
   */
  async next(ctx: RequestContext, name: string): Promise<NextAnnotationTask> {
    const p = await this.projects.require(ctx, name);
    return this.retrying(() =>
      this.deps.db.kysely.transaction().execute(async (trx) => {
        await this.reclaimExpired(trx, p);
        const annotator = actorOf(ctx);
        const active = await this.deps.repo.activeAssignment(trx, p.row.id, annotator);
        if (active) return this.task(trx, p, active, annotator);

        const required = p.settings.calibrationItems;
        if (required > 0 && !(await this.deps.repo.calibration(trx, p.row.id, annotator))) {
          const served = await this.deps.repo.servedCounts(trx, p.row.id, annotator);
          if (served.calibration < required) {
            const given = await this.assign(trx, ctx, p, 'calibration');
            if (given) return this.task(trx, p, given, annotator);
          }
          // Fewer gold items than the session asks for: the session is what there was.
          await this.completeCalibration(trx, ctx, p);
        }

        const served = await this.deps.repo.servedCounts(trx, p.row.id, annotator);
        const tasksLeft = (await this.deps.repo.candidates(trx, p.row.id, annotator, false, 1)).length > 0;
        if (!tasksLeft) return { task: null, calibration: await this.calibrationState(trx, p, annotator) };
        const gold = wantsGold(
          served.gold,
          served.gold + served.task,
          p.settings.goldRate,
          this.deps.random(),
        );
        const given =
          (gold ? await this.assign(trx, ctx, p, 'gold') : undefined) ??
          (await this.assign(trx, ctx, p, 'task'));
        if (!given) return { task: null, calibration: await this.calibrationState(trx, p, annotator) };
        return this.task(trx, p, given, annotator);
      }),
    );
  }

  async submit(
    ctx: RequestContext,
    name: string,
    itemId: string,
    input: SubmitLabel,
  ): Promise<SubmittedLabel> {
    const p = await this.projects.require(ctx, name);
    const annotator = actorOf(ctx);
    return this.retrying(() =>
      this.deps.db.kysely.transaction().execute(async (trx) => {
        const assignment = await this.deps.repo.assignment(trx, itemId, annotator);
        const item = await this.deps.repo.findItem(p.row.id, itemId, trx);
        if (!assignment || !item) {
          throw new PlumbError(
            'failed_precondition',
            `item ${itemId} is not one you were given (or its lease ran out); ask for the next item`,
          );
        }
        if (assignment.status === 'labelled') {
          throw new PlumbError(
            'already_exists',
            `you already labelled item ${itemId}; edit your label instead`,
          );
        }
        if (assignment.status === 'skipped')
          throw new PlumbError('failed_precondition', `you skipped item ${itemId}`);
        const data = JSON.parse(item.data) as Record<string, unknown>;
        const value = checkLabel(p.schema, input.value, data);
        if (!(await this.deps.repo.finishAssignment(trx, assignment.id, 'labelled', null))) {
          throw new PlumbError(
            'conflict',
            `item ${itemId} changed while it was being labelled; ask for the next item`,
          );
        }
        const now = isoNow(this.deps.clock);
        const row = {
          id: newId('anl'),
          annotation_project_id: p.row.id,
          item_id: itemId,
          assignment_id: assignment.id,
          annotator,
          annotator_name: ctx.principal.keyName,
          kind: assignment.kind,
          value: JSON.stringify(value),
          guidelines_version: Number(assignment.guidelines_version),
          correct:
            item.gold_answer === null
              ? null
              : matchesGold(p.schema, value, JSON.parse(item.gold_answer))
                ? 1
                : 0,
          revision: 1,
          duration_ms: input.durationMs ?? null,
          created_at: now,
          updated_at: now,
        };
        await this.deps.repo.insertLabel(trx, row);
        const labelled = await this.deps.repo.countLabel(trx, itemId);
        if (item.is_gold === 0 && labelled >= Number(item.target)) {
          await settleItem(trx, this.deps.repo, p, { ...item, labelled }, this.deps.random);
        }
        await this.deps.audit.append(trx, {
          actor: annotator,
          projectId: ctx.principal.projectId,
          action: 'annotation.label.create',
          resource: `annotation:${p.row.name}/${itemId}`,
          change: { label: row.id, value, guidelinesVersion: row.guidelines_version, kind: row.kind },
        });
        let calibration: CalibrationState | null = null;
        if (assignment.kind === 'calibration') {
          const labels = await this.deps.repo.calibrationLabels(trx, p.row.id, annotator);
          if (labels.length >= p.settings.calibrationItems) await this.completeCalibration(trx, ctx, p);
          calibration = await this.calibrationState(trx, p, annotator);
        }
        return { label: toLabel(row), calibration };
      }),
    );
  }

  /** Changes the caller's own label; the item's outcome follows unless a reviewer settled it. */
  async edit(ctx: RequestContext, name: string, itemId: string, input: SubmitLabel): Promise<SubmittedLabel> {
    const p = await this.projects.require(ctx, name);
    const annotator = actorOf(ctx);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const label = await this.deps.repo.findLabel(trx, itemId, annotator);
      const item = await this.deps.repo.findItem(p.row.id, itemId, trx);
      if (!label || !item) throw new PlumbError('not_found', `you have no label on item ${itemId}`);
      if (item.status === 'resolved') {
        throw new PlumbError(
          'failed_precondition',
          `item ${itemId} was settled by a reviewer; its labels are final`,
        );
      }
      if (label.kind === 'calibration')
        throw new PlumbError('failed_precondition', 'calibration labels are final');
      const value = checkLabel(p.schema, input.value, JSON.parse(item.data) as Record<string, unknown>);
      const before = JSON.parse(label.value) as LabelValue;
      const updated = {
        value: JSON.stringify(value),
        correct:
          item.gold_answer === null
            ? null
            : matchesGold(p.schema, value, JSON.parse(item.gold_answer))
              ? 1
              : 0,
        revision: Number(label.revision) + 1,
        updated_at: isoNow(this.deps.clock),
      };
      await this.deps.repo.updateLabel(trx, label.id, updated);
      if (item.is_gold === 0) await settleItem(trx, this.deps.repo, p, item, this.deps.random);
      await this.deps.audit.append(trx, {
        actor: annotator,
        projectId: ctx.principal.projectId,
        action: 'annotation.label.edit',
        resource: `annotation:${p.row.name}/${itemId}`,
        change: { label: label.id, before, after: value, revision: updated.revision },
      });
      return { label: toLabel({ ...label, ...updated }), calibration: null };
    });
  }

  /** Gives the item back with a reason; its slot goes to someone else and the caller never sees it again. */
  async skip(
    ctx: RequestContext,
    name: string,
    itemId: string,
    reason: string,
  ): Promise<{ itemId: string; reason: string }> {
    const p = await this.projects.require(ctx, name);
    const annotator = actorOf(ctx);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const assignment = await this.deps.repo.assignment(trx, itemId, annotator);
      if (assignment?.status !== 'active') {
        throw new PlumbError('failed_precondition', `item ${itemId} is not one you are working on`);
      }
      if (!(await this.deps.repo.finishAssignment(trx, assignment.id, 'skipped', reason))) {
        throw new PlumbError('conflict', `item ${itemId} changed while it was being skipped`);
      }
      await this.deps.repo.releaseSlot(trx, itemId);
      await this.deps.audit.append(trx, {
        actor: annotator,
        projectId: ctx.principal.projectId,
        action: 'annotation.item.skip',
        resource: `annotation:${p.row.name}/${itemId}`,
        change: { reason },
      });
      return { itemId, reason };
    });
  }

  async calibration(ctx: RequestContext, name: string): Promise<CalibrationState | null> {
    const p = await this.projects.require(ctx, name);
    return this.calibrationState(this.deps.db.kysely, p, actorOf(ctx));
  }

  private async calibrationState(
    trx: Executor,
    p: ProjectRecord,
    annotator: string,
  ): Promise<CalibrationState | null> {
    const required = p.settings.calibrationItems;
    if (required === 0) return null;
    const done = await this.deps.repo.calibration(trx, p.row.id, annotator);
    return toCalibration(
      required,
      done,
      done ? [] : await this.deps.repo.calibrationLabels(trx, p.row.id, annotator),
    );
  }

  private async completeCalibration(trx: Executor, ctx: RequestContext, p: ProjectRecord): Promise<void> {
    const annotator = actorOf(ctx);
    if (await this.deps.repo.calibration(trx, p.row.id, annotator)) return;
    const labels = await this.deps.repo.calibrationLabels(trx, p.row.id, annotator);
    const correct = labels.filter((l) => Number(l.correct) === 1).length;
    const score = labels.length === 0 ? null : correct / labels.length;
    await this.deps.repo.insertCalibration(trx, {
      annotation_project_id: p.row.id,
      annotator,
      items: labels.length,
      correct,
      score,
      completed_at: isoNow(this.deps.clock),
    });
    await this.deps.audit.append(trx, {
      actor: annotator,
      projectId: ctx.principal.projectId,
      action: 'annotation.calibration.complete',
      resource: `annotation:${p.row.name}`,
      change: { items: labels.length, correct, score },
    });
  }

  /** Takes a free slot on the first candidate that still has one, and records the assignment. */
  private async assign(
    trx: Executor,
    ctx: RequestContext,
    p: ProjectRecord,
    kind: 'task' | 'gold' | 'calibration',
  ): Promise<AnnotationAssignmentsTable | undefined> {
    const annotator = actorOf(ctx);
    for (let round = 0; round < 4; round++) {
      const candidates = await this.deps.repo.candidates(
        trx,
        p.row.id,
        annotator,
        kind !== 'task',
        CANDIDATES,
      );
      for (const c of candidates) {
        if (!(await this.deps.repo.takeSlot(trx, c.id))) continue;
        const now = this.deps.clock.now();
        const row: AnnotationAssignmentsTable = {
          id: newId('ana'),
          annotation_project_id: p.row.id,
          item_id: c.id,
          annotator,
          annotator_name: ctx.principal.keyName,
          kind,
          status: 'active',
          guidelines_version: Number(p.row.guidelines_version),
          reason: null,
          assigned_ms: now.getTime(),
          assigned_at: now.toISOString(),
        };
        await this.deps.repo.insertAssignment(trx, row);
        return row;
      }
      if (candidates.length < CANDIDATES) return undefined;
    }
    return undefined;
  }

  /** Leases that ran out give their slots back; their holders may be given the item again. */
  private async reclaimExpired(trx: Executor, p: ProjectRecord): Promise<void> {
    const cutoff = this.deps.clock.now().getTime() - p.settings.leaseMinutes * 60_000;
    for (const a of await this.deps.repo.expiredAssignments(trx, p.row.id, cutoff)) {
      if (await this.deps.repo.dropActive(trx, a.id)) await this.deps.repo.releaseSlot(trx, a.item_id);
    }
  }

  private async task(
    trx: Executor,
    p: ProjectRecord,
    a: AnnotationAssignmentsTable,
    annotator: string,
  ): Promise<NextAnnotationTask> {
    const item = (await this.deps.repo.findItem(p.row.id, a.item_id, trx)) as AnnotationItemsTable;
    return {
      task: {
        itemId: item.id,
        data: JSON.parse(item.data) as Record<string, unknown>,
        guidelinesVersion: Number(a.guidelines_version),
        calibration: a.kind === 'calibration',
        assignedAt: a.assigned_at,
      },
      calibration: await this.calibrationState(trx, p, annotator),
    };
  }

  private async retrying<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        // Only the database's own refusals (a unique key, a deadlock) carry a driver error.
        const raced =
          (PlumbError.is(error, 'already_exists') || PlumbError.is(error, 'conflict')) &&
          (error as { cause?: unknown }).cause !== undefined;
        if (!raced || attempt >= ATTEMPTS) throw error;
      }
    }
  }
}
