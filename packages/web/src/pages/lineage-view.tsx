import type { Lineage, PlumbClient } from '@plumb/sdk';
import { useMemo } from 'react';
import { useLoad } from '../api.js';
import { DagGraph, type GraphNode } from '../components/dag-graph.js';
import { Async } from '../components/ui.js';
import { href, navigate } from '../router.js';

/** Where a node of a lineage graph leads: its own page, for the kinds that have one. */
export function openLineageNode(node: GraphNode): void {
  const at = node.label.lastIndexOf('@v');
  if (node.kind === 'endpoint') navigate(href('/endpoints', node.label));
  if (at < 0) return;
  const name = node.label.slice(0, at);
  const version = node.label.slice(at + 2);
  if (node.kind === 'dataset_version') navigate(`${href('/datasets', name)}?v=${version}`);
  if (node.kind === 'model_version') navigate(`${href('/models', name)}?v=${version}`);
}

export function LineageGraph({ lineage, height }: { lineage: Lineage; height?: number }) {
  const edges = useMemo(
    () => lineage.edges.map((e) => ({ ...e, label: e.relation.replaceAll('_', ' ') })),
    [lineage],
  );
  if (lineage.nodes.length <= 1) {
    return <p className="muted">Nothing recorded upstream or downstream of this version yet.</p>;
  }
  return (
    <DagGraph
      nodes={lineage.nodes}
      edges={edges}
      onOpen={openLineageNode}
      testId="lineage"
      {...(height ? { height } : {})}
    />
  );
}

export function LineageView({
  load,
  deps,
}: {
  load(client: PlumbClient): Promise<Lineage>;
  deps: unknown[];
}) {
  const lineage = useLoad(load, deps);
  return <Async state={lineage}>{(l) => <LineageGraph lineage={l} />}</Async>;
}
