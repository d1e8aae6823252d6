import type { ColumnSchema, DatasetDiff, Lineage, RowsPage, ValidationReport } from '@plumb/sdk';
import { profileDrift } from '@plumb/stats';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { quoteIdent } from '../../storage/analytics/sql-text.js';
import type { Db } from '../../storage/database.js';
import { deserializeProfiles } from './dataset-profiler.js';
import { engineFor, tableSql } from './dataset-source.js';
import type { VersionRow } from './datasets.repo.js';
import type { DatasetsService } from './datasets.service.js';
import type { ValidationReportsTable } from './datasets.tables.js';
import { diffRows } from './diff/row-diff.js';
import { diffSchemas } from './diff/schema-diff.js';
import { nestedKind } from './validation/column-types.js';
import { parseSuite } from './validation/validation-suite.js';
import { runSuite } from './validation/validator.js';

/** Reads that scan a version's data with DuckDB: rows, diffs, validation, plus lineage. */
export class DatasetAnalysisService {
  constructor(
    private readonly deps: {
      db: Db;
      audit: AuditService;
      clock: Clock;
      engine: AnalyticsEngine;
      datasets: DatasetsService;
    },
  ) {}

  async rows(ctx: RequestContext, ref: string, offset: number, limit: number): Promise<RowsPage> {
    const row = await this.deps.datasets.resolve(ctx.principal.projectId, ref);
    const schema = JSON.parse(row.schema) as ColumnSchema[];
    const source = await this.deps.datasets.sourceOf(row);
    // Lists, structs and maps travel as JSON values: DuckDB writes them as JSON text.
    const nested = schema.map((c) => nestedKind(c.type) !== null);
    const cols = schema
      .map((c, i) =>
        nested[i]
          ? `CAST(to_json(${quoteIdent(c.name)}) AS VARCHAR) AS ${quoteIdent(c.name)}`
          : quoteIdent(c.name),
      )
      .join(', ');
    // Files are read in order and DuckDB preserves insertion order, so offsets are stable.
    const rows = await engineFor(this.deps.engine, source).query(
      `SELECT ${cols} FROM ${tableSql(source)} LIMIT ${limit} OFFSET ${offset}`,
    );
    return {
      columns: schema,
      rows: rows.map((r) =>
        schema.map((c, i) => {
          const value = r[c.name] ?? null;
          return nested[i] && typeof value === 'string' ? JSON.parse(value) : value;
        }),
      ),
      offset,
      limit,
      total: Number(row.row_count),
    };
  }

  async diff(ctx: RequestContext, fromRef: string, toRef: string): Promise<DatasetDiff> {
    const projectId = ctx.principal.projectId;
    const [a, b] = await Promise.all([
      this.deps.datasets.resolve(projectId, fromRef),
      this.deps.datasets.resolve(projectId, toRef),
    ]);
    const schemaA = JSON.parse(a.schema) as ColumnSchema[];
    const schemaB = JSON.parse(b.schema) as ColumnSchema[];
    const schema = diffSchemas(schemaA, schemaB);
    const common = schemaA
      .filter((c) => schemaB.some((d) => d.name === c.name && d.type === c.type))
      .map((c) => c.name);
    const [sourceA, sourceB] = await Promise.all([
      this.deps.datasets.sourceOf(a),
      this.deps.datasets.sourceOf(b),
    ]);
    const rows = await diffRows(engineFor(this.deps.engine, sourceA, sourceB), sourceA, sourceB, common);
    return {
      from: refOf(a),
      to: refOf(b),
      schema,
      rows: {
        from: rows.rowsA,
        to: rows.rowsB,
        added: rows.added,
        removed: rows.removed,
        unchanged: rows.unchanged,
        comparedColumns: common,
        sampleAdded: rows.sampleAdded,
        sampleRemoved: rows.sampleRemoved,
      },
      shift: shiftBetween(a, b, common),
    };
  }

  async validate(
    ctx: RequestContext,
    ref: string,
    suiteText: string,
    referenceRef?: string,
  ): Promise<ValidationReport> {
    const projectId = ctx.principal.projectId;
    const suite = parseSuite(suiteText);
    const row = await this.deps.datasets.resolve(projectId, ref);
    const refName = referenceRef ?? suite.reference;
    const reference = refName ? await this.deps.datasets.resolve(projectId, refName) : null;
    const source = await this.deps.datasets.sourceOf(row);
    const referenceSource = reference ? await this.deps.datasets.sourceOf(reference) : undefined;
    const results = await runSuite(
      engineFor(this.deps.engine, source, ...(referenceSource ? [referenceSource] : [])),
      {
        source,
        columns: JSON.parse(row.schema),
        ...(row.time_column ? { timeColumn: row.time_column } : {}),
        now: this.deps.clock.now(),
        ...(reference && referenceSource
          ? { reference: { source: referenceSource, columns: JSON.parse(reference.schema) } }
          : {}),
      },
      suite,
    );
    const passed = results.every((r) => r.passed);
    const report: ValidationReportsTable = {
      id: newId('vrp'),
      version_id: row.id,
      suite_name: suite.name,
      suite: suiteText,
      reference_version_id: reference?.id ?? null,
      passed: passed ? 1 : 0,
      results: JSON.stringify(results),
      created_at: isoNow(this.deps.clock),
      created_by: actorOf(ctx),
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.deps.datasets.repo.insertReport(trx, report);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'dataset.version.validate',
        resource: `dataset:${refOf(row)}`,
        change: {
          report: report.id,
          suite: suite.name,
          passed,
          failed: results.filter((r) => !r.passed).map((r) => r.index),
        },
      });
    });
    return toReport(report, refOf(row), reference ? refOf(reference) : null);
  }

  async report(ctx: RequestContext, id: string): Promise<ValidationReport> {
    const report = await this.deps.datasets.repo.findReport(id);
    const version = report && (await this.deps.datasets.repo.findVersionById(report.version_id));
    if (!report || !version || version.project_id !== ctx.principal.projectId) {
      throw new PlumbError('not_found', `validation report ${id} does not exist`);
    }
    const reference = report.reference_version_id
      ? await this.deps.datasets.repo.findVersionById(report.reference_version_id)
      : undefined;
    return toReport(report, refOf(version), reference ? refOf(reference) : null);
  }

  /**
   * Upstream: parent versions, recursively, and the producing run. Downstream: versions derived
   * from this one, recursively, and the runs and model versions that consumed any of them.
   */
  async lineage(ctx: RequestContext, ref: string): Promise<Lineage> {
    const root = await this.deps.datasets.resolve(ctx.principal.projectId, ref);
    const repo = this.deps.datasets.repo;
    const nodes = new Map<string, Lineage['nodes'][number]>();
    const edges: Lineage['edges'] = [];
    const addVersion = (id: string, label: string) => nodes.set(id, { id, kind: 'dataset_version', label });
    addVersion(root.id, refOf(root));

    const up = [root.id];
    const seenUp = new Set(up);
    while (up.length) {
      const id = up.pop()!;
      const version = await repo.findVersionById(id);
      if (version) addTrafficSource(version, nodes, edges);
      if (version?.produced_by_run) {
        nodes.set(version.produced_by_run, {
          id: version.produced_by_run,
          kind: 'run',
          label: version.produced_by_run,
        });
        edges.push({ from: version.produced_by_run, to: id, relation: 'produced' });
      }
      for (const parent of await repo.parents(id)) {
        addVersion(parent.id, parent.ref);
        edges.push({ from: parent.id, to: id, relation: 'parent_of' });
        if (!seenUp.has(parent.id)) {
          seenUp.add(parent.id);
          up.push(parent.id);
        }
      }
    }
    const down = [root.id];
    const seenDown = new Set(down);
    while (down.length) {
      const id = down.pop()!;
      for (const consumer of await repo.consumers(id)) {
        nodes.set(consumer.consumer_id, {
          id: consumer.consumer_id,
          kind: consumer.consumer_kind,
          label: consumer.consumer_id,
        });
        edges.push({ from: id, to: consumer.consumer_id, relation: 'consumed_by' });
      }
      for (const child of await repo.children(id)) {
        addVersion(child.id, child.ref);
        edges.push({ from: id, to: child.id, relation: 'parent_of' });
        if (!seenDown.has(child.id)) {
          seenDown.add(child.id);
          down.push(child.id);
        }
      }
    }
    return { root: root.id, nodes: [...nodes.values()], edges };
  }
}

/**
 * A version snapshotted from an endpoint's logged traffic (tagged `source_endpoint`, with the
 * versions that served it in `source_models` and their ids in `source_model_ids`): the endpoint
 * it was logged at, and the model versions that answered there.
 */
function addTrafficSource(
  version: VersionRow,
  nodes: Map<string, Lineage['nodes'][number]>,
  edges: Lineage['edges'],
): void {
  let tags: Record<string, unknown>;
  try {
    tags = JSON.parse(version.tags) as Record<string, unknown>;
  } catch {
    return;
  }
  const endpoint = tags.source_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') return;
  const endpointId = `endpoint:${endpoint}`;
  nodes.set(endpointId, { id: endpointId, kind: 'endpoint', label: endpoint });
  edges.push({ from: endpointId, to: version.id, relation: 'logged_into' });
  const refs = typeof tags.source_models === 'string' ? tags.source_models.split(',') : [];
  const ids = typeof tags.source_model_ids === 'string' ? tags.source_model_ids.split(',') : [];
  refs.forEach((ref, i) => {
    const id = ids[i];
    if (!ref || !id) return;
    nodes.set(id, { id, kind: 'model_version', label: ref });
    edges.push({ from: id, to: endpointId, relation: 'served_at' });
  });
}

function refOf(row: VersionRow): string {
  return `${row.dataset_name}@v${row.version}`;
}

function shiftBetween(a: VersionRow, b: VersionRow, columns: string[]): DatasetDiff['shift'] {
  if (!a.profile || !b.profile) return [];
  const pa = deserializeProfiles(a.profile);
  const pb = deserializeProfiles(b.profile);
  const shift = columns.flatMap((column) => {
    const ref = pa.get(column);
    const cur = pb.get(column);
    if (!ref || !cur) return [];
    const drift = profileDrift(ref, cur);
    return [{ column, kind: cur.kind, psi: drift.psi, jensenShannon: drift.jensenShannon, ks: drift.ks }];
  });
  return shift.sort((x, y) => (y.psi ?? 0) - (x.psi ?? 0));
}

function toReport(row: ValidationReportsTable, version: string, reference: string | null): ValidationReport {
  return {
    id: row.id,
    version,
    suite: row.suite_name,
    reference,
    passed: row.passed === 1,
    results: JSON.parse(row.results),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
