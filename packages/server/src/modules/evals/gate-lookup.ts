import type { Db, Executor } from '../../storage/database.js';
import type { EvalSummary, GateDecisionInfo, GateLookup } from '../registry/registry.contracts.js';
import { toDecisionInfo } from './eval-rows.js';
import { EvalsRepo } from './evals.repo.js';

/**
 * The registry's view of evaluations: gate decisions for promotion and results for model
 * cards. It needs only the database, so the registry can be built before the evaluations
 * service (which itself needs the registry to resolve model versions).
 */
export class EvalGateLookup implements GateLookup {
  private readonly repo: EvalsRepo;

  constructor(db: Db) {
    this.repo = new EvalsRepo(db);
  }

  async latestDecision(candidateVersionId: string, executor?: Executor): Promise<GateDecisionInfo | null> {
    const row = await this.repo.latestDecision(candidateVersionId, executor);
    return row ? toDecisionInfo(row) : null;
  }

  async latestDecisions(candidateVersionIds: string[]): Promise<Map<string, GateDecisionInfo>> {
    const rows = await this.repo.latestDecisions(candidateVersionIds);
    return new Map(rows.map((row) => [row.candidate_version_id, toDecisionInfo(row)]));
  }

  async evaluationsOf(versionId: string): Promise<EvalSummary[]> {
    const runs = await this.repo.succeededRunsOf(versionId);
    const decisions = new Map(
      (await this.repo.decisionsOf(runs.map((r) => r.id))).map((d) => [d.eval_run_id, d]),
    );
    return runs.map((run) => {
      const result = JSON.parse(run.result ?? '{"slices":[]}') as {
        slices: { name: string; candidate: Record<string, number | null> }[];
      };
      const metrics: EvalSummary['metrics'] = {};
      for (const slice of result.slices) {
        metrics[slice.name] = Object.fromEntries(
          Object.entries(slice.candidate).filter((e): e is [string, number] => e[1] !== null),
        );
      }
      const decision = decisions.get(run.id);
      return {
        evalRunId: run.id,
        suite: `${run.suite_name}@v${run.suite_version}`,
        datasetVersionIds: (JSON.parse(run.datasets) as { versionId: string }[]).map((d) => d.versionId),
        metrics,
        decision: decision ? toDecisionInfo(decision) : null,
        createdAt: run.created_at,
      };
    });
  }
}
