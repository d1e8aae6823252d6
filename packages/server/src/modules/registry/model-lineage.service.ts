import type { Lineage } from '@plumb/sdk';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { type ModelsService, refOf } from './models.service.js';
import type { RegistryDeps } from './registry.deps.js';

type Node = Lineage['nodes'][number];
type Edge = Lineage['edges'][number];

/** Where a model version came from: its run, the run's dataset versions, and theirs. */
export class ModelLineageService {
  constructor(
    private readonly deps: RegistryDeps,
    private readonly models: ModelsService,
  ) {}

  /**
   * Walks version → training run → dataset versions → their parents and producing runs. The
   * dataset part is the datasets module's own lineage, kept to what lies upstream.
   */
  async lineage(ctx: RequestContext, ref: string): Promise<Lineage> {
    const row = await this.models.resolveRow(ctx.principal.projectId, ref);
    const nodes = new Map<string, Node>([[row.id, { id: row.id, kind: 'model_version', label: refOf(row) }]]);
    const edges: Edge[] = [];
    const seen = new Set<string>();
    const addEdge = (edge: Edge) => {
      const key = `${edge.from} ${edge.relation} ${edge.to}`;
      if (seen.has(key)) return;
      seen.add(key);
      edges.push(edge);
    };

    let consumer = row.id;
    if (row.run_id !== null) {
      const run = await this.deps.runs.get(ctx, row.run_id).catch((error: unknown) => {
        if (PlumbError.is(error, 'not_found')) return null;
        throw error;
      });
      nodes.set(row.run_id, {
        id: row.run_id,
        kind: 'run',
        label: run ? `${run.name} (${run.id})` : row.run_id,
      });
      addEdge({ from: row.run_id, to: row.id, relation: 'produced' });
      consumer = row.run_id;
    }
    for (const input of await this.models.repo.inputsOf([row.id])) {
      nodes.set(input.dataset_version_id, {
        id: input.dataset_version_id,
        kind: 'dataset_version',
        label: input.ref,
      });
      addEdge({ from: input.dataset_version_id, to: consumer, relation: 'consumed_by' });
      const graph = await this.deps.datasets.lineage(ctx, input.dataset_version_id);
      const upstream = upstreamOf(graph, input.dataset_version_id);
      for (const node of graph.nodes)
        if (upstream.has(node.id) && !nodes.has(node.id)) nodes.set(node.id, node);
      for (const edge of graph.edges) {
        if (upstream.has(edge.to) && upstream.has(edge.from) && isUpstreamRelation(edge)) addEdge(edge);
      }
    }
    return { root: row.id, nodes: [...nodes.values()], edges };
  }
}

function isUpstreamRelation(edge: Edge): boolean {
  return edge.relation === 'parent_of' || edge.relation === 'produced';
}

/** The root and everything that leads to it through parent and producing-run edges. */
function upstreamOf(graph: Lineage, root: string): Set<string> {
  const found = new Set([root]);
  const stack = [root];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const edge of graph.edges) {
      if (edge.to === id && isUpstreamRelation(edge) && !found.has(edge.from)) {
        found.add(edge.from);
        stack.push(edge.from);
      }
    }
  }
  return found;
}
