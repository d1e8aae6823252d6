import type {
  AgreementReport,
  AnnotationLabel,
  AnnotationStatus,
  AnnotatorStatus,
  LabelValue,
  ListLabels,
  Page,
} from '@plumb/sdk';
import type { z } from 'zod';
import type { RequestContext } from '../../core/context.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import { agreementReport, type LabelledItem } from './agreement.js';
import type { ProjectRecord } from './annotation-mapper.js';
import { toCalibration, toLabel } from './annotation-mapper.js';
import type { AnnotationDeps, AnnotationProjectsService } from './annotation-projects.service.js';

/** Gold labels per point of an annotator's accuracy trend. */
export const TREND_WINDOW = 10;

/** What reviewers and maintainers read: labels, agreement, gold accuracy, progress. */
export class AnnotationQualityService {
  constructor(
    private readonly deps: AnnotationDeps,
    private readonly projects: AnnotationProjectsService,
  ) {}

  async labels(
    ctx: RequestContext,
    name: string,
    query: z.output<typeof ListLabels>,
  ): Promise<Page<AnnotationLabel>> {
    const p = await this.projects.require(ctx, name);
    const after = decodeCursor(query.cursor, isString);
    const rows = await this.deps.repo.listLabels(p.row.id, query, after, query.limit + 1);
    return pageOf(rows, query.limit, toLabel, (r) => r.id);
  }

  async agreement(ctx: RequestContext, name: string): Promise<AgreementReport> {
    return this.agreementOf(await this.projects.require(ctx, name));
  }

  /** Agreement over every non-gold item's labels, as they stand. */
  async agreementOf(p: ProjectRecord): Promise<AgreementReport> {
    const rows = await this.deps.repo.labelledItems(p.row.id);
    const byItem = new Map<string, LabelledItem>();
    for (const r of rows) {
      const item = byItem.get(r.item_id) ?? { labels: [] };
      item.labels.push({ annotator: r.annotator, value: JSON.parse(r.value) as LabelValue });
      byItem.set(r.item_id, item);
    }
    return agreementReport(p.schema, [...byItem.values()], p.settings.overlap);
  }

  async status(ctx: RequestContext, name: string): Promise<AnnotationStatus> {
    const p = await this.projects.require(ctx, name);
    const [counts, assignments, gold, calibrations, waiting, agreement] = await Promise.all([
      this.deps.repo.itemCounts(p.row.id),
      this.deps.repo.assignmentCounts(p.row.id),
      this.deps.repo.goldLabels(p.row.id),
      this.deps.repo.calibrations(p.row.id),
      this.deps.repo.countReviewQueue(p.row.id),
      this.agreementOf(p),
    ]);
    const tasks = counts.filter((c) => !c.isGold);
    const of = (status: string) => tasks.filter((c) => c.status === status).reduce((s, c) => s + c.n, 0);
    const annotators = new Map<string, AnnotatorStatus>();
    for (const a of assignments) {
      const s = annotators.get(a.annotator) ?? {
        annotator: a.annotator,
        name: a.annotator_name,
        labelled: 0,
        skipped: 0,
        inProgress: 0,
        goldLabelled: 0,
        goldAccuracy: null,
        goldTrend: [],
        calibration: null,
      };
      const n = Number(a.n);
      if (a.status === 'labelled') s.labelled += n;
      else if (a.status === 'skipped') s.skipped += n;
      else s.inProgress += n;
      annotators.set(a.annotator, s);
    }
    for (const s of annotators.values()) {
      // Calibration answers are scored in the session; accuracy and trend follow mixed-in gold.
      const mine = gold
        .filter((g) => g.annotator === s.annotator && g.kind === 'gold')
        .map((g) => Number(g.correct));
      s.goldLabelled = mine.length;
      s.goldAccuracy = mine.length === 0 ? null : mine.reduce((x, y) => x + y, 0) / mine.length;
      for (let i = 0; i < mine.length; i += TREND_WINDOW) {
        const window = mine.slice(i, i + TREND_WINDOW);
        s.goldTrend.push({
          labels: window.length,
          accuracy: window.reduce((x, y) => x + y, 0) / window.length,
        });
      }
      const required = p.settings.calibrationItems;
      const done = calibrations.find((c) => c.annotator === s.annotator);
      if (required > 0) {
        s.calibration = toCalibration(
          required,
          done,
          gold.filter((g) => g.annotator === s.annotator && g.kind === 'calibration'),
        );
      }
    }
    return {
      project: p.row.name,
      guidelinesVersion: Number(p.row.guidelines_version),
      items: {
        total: tasks.reduce((s, c) => s + c.n, 0),
        open: of('open'),
        agreed: of('agreed'),
        adjudication: of('adjudication'),
        review: of('review'),
        resolved: of('resolved'),
      },
      labels: [...annotators.values()].reduce((s, a) => s + a.labelled, 0),
      waitingForReview: waiting,
      annotators: [...annotators.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      agreement,
    };
  }
}
