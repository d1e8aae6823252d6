import { Background, Controls, type Edge, MarkerType, type Node, Position, ReactFlow } from '@xyflow/react';
import type { ELK, ElkNode } from 'elkjs/lib/elk-api.js';
import { useEffect, useRef, useState } from 'react';

export interface GraphNode {
  id: string;
  label: string;
  /** Shown above the label, and picks the node's colour: `dataset_version`, `run`… */
  kind: string;
  /** A status shown as the node's border colour (pipeline steps). */
  status?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

const NODE_WIDTH = 210;
const NODE_HEIGHT = 54;
/** Below this zoom a node's text is too small to read. */
const MIN_READABLE_ZOOM = 0.7;
let elk: Promise<ELK> | null = null;

/** ELK is most of the bundle's weight: it is fetched the first time a graph is drawn. */
function layoutEngine(): Promise<ELK> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const Elk = (m as unknown as { default: new () => ELK }).default;
    return new Elk();
  });
  return elk;
}

/** A left-to-right DAG laid out by ELK's layered algorithm; clicking a node calls `onOpen`. */
export function DagGraph({
  nodes,
  edges,
  onOpen,
  height = 360,
  testId,
}: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  onOpen?: (node: GraphNode) => void;
  height?: number;
  testId?: string;
}) {
  const [layout, setLayout] = useState<{ nodes: Node[]; edges: Edge[] } | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    const width = box.current?.clientWidth ?? 1000;
    const known = new Set(nodes.map((n) => n.id));
    const kept = edges.filter((e) => known.has(e.from) && known.has(e.to));
    const layoutWith = (engine: ELK, wrap: boolean): Promise<ElkNode> =>
      engine.layout({
        id: 'root',
        layoutOptions: {
          'elk.algorithm': 'layered',
          'elk.direction': 'RIGHT',
          'elk.layered.spacing.nodeNodeBetweenLayers': '70',
          'elk.spacing.nodeNode': '28',
          ...(wrap
            ? {
                'elk.aspectRatio': Math.max(1, width / height).toFixed(2),
                'elk.layered.wrapping.strategy': 'MULTI_EDGE',
              }
            : {}),
        },
        children: nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
        edges: kept.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
      });
    layoutEngine()
      .then(async (engine) => {
        const line = await layoutWith(engine, false);
        // A long chain (a pipeline of nine steps) fitted on one line shrinks past reading: it is
        // laid out again in rows shaped like the box. Shorter graphs keep their single line.
        const zoom = Math.min(width / (line.width ?? 1), height / (line.height ?? 1));
        return zoom < MIN_READABLE_ZOOM ? layoutWith(engine, true) : line;
      })
      .then((result: ElkNode) => {
        if (!live) return;
        const at = new Map((result.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
        setLayout({
          nodes: nodes.map((n) => ({
            id: n.id,
            position: at.get(n.id) ?? { x: 0, y: 0 },
            data: {
              label: (
                <div className="graph-node-body">
                  <span className="graph-kind">{n.kind.replaceAll('_', ' ')}</span>
                  <span className="graph-label" title={n.label}>
                    {n.label}
                  </span>
                </div>
              ),
            },
            className: `graph-node kind-${n.kind}${n.status ? ` status-${n.status}` : ''}`,
            style: { width: NODE_WIDTH, height: NODE_HEIGHT },
            sourcePosition: Position.Right,
            targetPosition: Position.Left,
            connectable: false,
            draggable: false,
          })),
          edges: kept.map((e, i) => ({
            id: `e${i}`,
            source: e.from,
            target: e.to,
            ...(e.label ? { label: e.label } : {}),
            markerEnd: { type: MarkerType.ArrowClosed },
          })),
        });
      });
    return () => {
      live = false;
    };
  }, [nodes, edges, height]);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (
    <div className="graph" style={{ height }} data-testid={testId} ref={box}>
      {layout ? (
        <ReactFlow
          nodes={layout.nodes}
          edges={layout.edges}
          fitView
          fitViewOptions={{ maxZoom: 1, padding: 0.15 }}
          minZoom={0.2}
          nodesConnectable={false}
          nodesDraggable={false}
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_, node) => {
            const graphNode = byId.get(node.id);
            if (graphNode && onOpen) onOpen(graphNode);
          }}
        >
          <Background gap={16} color="#e2e8f0" />
          <Controls showInteractive={false} />
        </ReactFlow>
      ) : null}
    </div>
  );
}
