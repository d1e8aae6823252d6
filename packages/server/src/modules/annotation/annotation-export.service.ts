import type { AnnotationExport, LabelValue } from '@plumb/sdk';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AnnotationExportsTable } from './annotation.tables.js';
import type { AnnotationDeps, AnnotationProjectsService } from './annotation-projects.service.js';
import type { AnnotationQualityService } from './annotation-quality.service.js';

/** The longest text a dataset version's tag holds. */
const TAG_MAX = 500;

/** Writes a project's consensus as a dataset version, and keeps the record of where it came from. */
export class AnnotationExportService {
  constructor(
    private readonly deps: AnnotationDeps,
    private readonly projects: AnnotationProjectsService,
    private readonly quality: AnnotationQualityService,
  ) {}

  /**
   * One JSON line per item with a consensus: the item's fields, then one field per question
   * (a question named like an item field replaces it), then `_annotation_item` and
   * `_annotation_source`, which lead back to every individual label. Items still open or
   * waiting for review are left out and counted.
   */
  async export(ctx: RequestContext, name: string, to: string, message?: string): Promise<AnnotationExport> {
    const p = await this.projects.require(ctx, name);
    const items = await this.deps.repo.consensusItems(p.row.id);
    const counts = await this.deps.repo.itemCounts(p.row.id);
    const total = counts.filter((c) => !c.isGold).reduce((s, c) => s + c.n, 0);
    if (items.length === 0)
      throw new PlumbError('failed_precondition', `${name} has no item with a consensus yet`);
    const lines = items.map((item) =>
      JSON.stringify({
        ...(JSON.parse(item.data) as Record<string, unknown>),
        ...(JSON.parse(item.consensus!) as LabelValue),
        _annotation_item: item.id,
        _annotation_source: item.source_key,
      }),
    );
    const sources = [
      ...new Map(
        items.map((i) => [
          `${i.source_kind}\u0000${i.source_ref}`,
          { kind: i.source_kind, ref: i.source_ref },
        ]),
      ).values(),
    ];
    const [guidelineVersions, agreement, labels] = await Promise.all([
      this.deps.repo.distinctGuidelineVersions(p.row.id),
      this.quality.agreementOf(p),
      this.deps.repo.labelledItems(p.row.id),
    ]);
    const annotators = [...new Set(labels.map((l) => l.annotator))].sort();
    const id = newId('anx');
    const lineage = { project: p.row.name, sources, guidelineVersions, annotators, agreement };
    const version = await this.deps.ports.writeDataset(
      ctx,
      to,
      new TextEncoder().encode(`${lines.join('\n')}\n`),
      {
        parents: sources.filter((s) => s.kind === 'dataset').map((s) => s.ref),
        message: message ?? `consensus of annotation project ${p.row.name}`,
        tags: {
          'annotation.export': id,
          'annotation.project': p.row.name,
          'annotation.guidelines': clip(guidelineVersions.map((v) => `v${v}`).join(',')),
          'annotation.annotators': clip(annotators.join(',')),
          'annotation.sources': clip(sources.map((s) => `${s.kind}:${s.ref}`).join(',')),
        },
      },
    );
    const row: AnnotationExportsTable = {
      id,
      annotation_project_id: p.row.id,
      dataset_version_id: version.id,
      dataset_ref: version.ref,
      rows: items.length,
      left_out: total - items.length,
      lineage: JSON.stringify(lineage),
      created_at: isoNow(this.deps.clock),
      created_by: actorOf(ctx),
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.deps.repo.insertExport(trx, row);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: ctx.principal.projectId,
        action: 'annotation.export',
        resource: `annotation:${p.row.name}`,
        change: { export: id, datasetVersion: version.ref, rows: row.rows, leftOut: row.left_out, lineage },
      });
    });
    return toExport(row);
  }

  async list(ctx: RequestContext, name: string): Promise<AnnotationExport[]> {
    const p = await this.projects.require(ctx, name);
    return (await this.deps.repo.listExports(p.row.id)).map(toExport);
  }
}

function clip(text: string): string {
  return text.length <= TAG_MAX ? text : `${text.slice(0, TAG_MAX - 1)}…`;
}

function toExport(row: AnnotationExportsTable): AnnotationExport {
  return {
    id: row.id,
    datasetVersion: row.dataset_ref,
    datasetVersionId: row.dataset_version_id,
    rows: Number(row.rows),
    leftOut: Number(row.left_out),
    lineage: JSON.parse(row.lineage) as AnnotationExport['lineage'],
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
