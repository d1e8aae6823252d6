import type { Endpoint, Lineage, PlumbClient } from '@plumb/sdk';
import { useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import {
  Async,
  Badge,
  Empty,
  Fields,
  formatNumber,
  PageHeader,
  Section,
  StatusBadge,
  Time,
} from '../components/ui.js';
import { AlertsSection } from './endpoint-alerts.js';
import { DriftSection } from './endpoint-monitoring.js';
import { PerformanceSection } from './endpoint-performance.js';
import { periodOf, RangePicker, useRangeKey } from './endpoint-range.js';
import { LineageGraph } from './lineage-view.js';

export function EndpointPage({ name }: { name: string }) {
  const session = useSession();
  const endpoint = useLoad((c) => c.endpoints.get(name), [name]);
  const latest = useLoad(
    async (c) =>
      session.can('events:read')
        ? ((await c.events.list({ endpoint: name, limit: 1 })).items[0] ?? null)
        : null,
    [name],
  );
  const rangeKey = useRangeKey();
  const period = latest.data === undefined ? null : periodOf(rangeKey, latest.data?.time ?? null);
  return (
    <Async state={endpoint}>
      {(e) => (
        <>
          <PageHeader
            title={e.name}
            sub={e.description || 'Endpoint'}
            actions={<RangePicker value={rangeKey} />}
          />
          <div className="grid-2">
            <Traffic endpoint={e} />
            <Section title="Settings">
              <Fields
                items={[
                  ['Fallback', e.fallback.versions.length ? e.fallback.versions.join(' → ') : 'none'],
                  [
                    'Default response',
                    e.fallback.defaultResponse === null ? 'none: the request fails' : 'set',
                  ],
                  ['Timeout', `${e.timeoutMs.toLocaleString()} ms`],
                  ['Cache', e.cacheTtlMs ? `${(e.cacheTtlMs / 1000).toLocaleString()} s` : 'off'],
                  ['Review below confidence', e.reviewThreshold === null ? 'off' : String(e.reviewThreshold)],
                  [
                    'Redacted',
                    Object.keys(e.redact).length
                      ? Object.entries(e.redact)
                          .map(([f, m]) => `${f} (${m})`)
                          .join(', ')
                      : 'none',
                  ],
                  ['Updated', <Time key="u" at={e.updatedAt} />],
                ]}
              />
            </Section>
          </div>
          {session.can('alerts:read') ? <AlertsSection endpoint={e} /> : null}
          {period && session.can('performance:read') ? (
            <PerformanceSection endpoint={e} period={period} />
          ) : null}
          {period && session.can('monitors:read') ? <DriftSection endpoint={e} period={period} /> : null}
          <Shadows endpoint={e} />
          <Section title="Lineage">
            <EndpointLineage endpoint={e} />
          </Section>
          <ReviewQueue endpoint={e} />
          <RecentEvents endpoint={e} />
        </>
      )}
    </Async>
  );
}

function Traffic({ endpoint: e }: { endpoint: Endpoint }) {
  const total = e.routes.reduce((s, r) => s + r.weight, 0);
  return (
    <Section title="Traffic split">
      <div className="split-bar">
        {e.routes.map((r, i) => (
          <span
            key={r.target}
            className={`split-${i % 6}`}
            style={{ width: `${(r.weight / total) * 100}%` }}
            title={r.target}
          />
        ))}
      </div>
      <ul className="legend">
        {e.routes.map((r, i) => (
          <li key={r.target} className="legend-item">
            <span className={`swatch split-${i % 6}`} />
            <strong>{r.target}</strong>
            <span className="muted">{formatNumber((r.weight / total) * 100, 1)}%</span>
            <span className="muted small">{i === 0 ? 'primary' : 'canary'}</span>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Shadows({ endpoint: e }: { endpoint: Endpoint }) {
  const report = useLoad((c) => c.endpoints.shadows(e.name), [e.name]);
  if (e.shadows.length === 0) return null;
  return (
    <Section title="Shadow agreement">
      <Async state={report}>
        {(r) => (
          <DataTable
            rows={r.shadows}
            rowKey={(s) => s.shadow}
            testId="shadows"
            columns={[
              { key: 'shadow', label: 'Shadow', render: (s) => <strong>{s.shadow}</strong> },
              {
                key: 'compared',
                label: 'Compared',
                align: 'right',
                render: (s) => s.compared.toLocaleString(),
              },
              {
                key: 'agree',
                label: 'Label agreement',
                align: 'right',
                render: (s) =>
                  s.labelAgreement === null ? '—' : `${formatNumber(s.labelAgreement * 100, 1)}%`,
              },
              {
                key: 'score',
                label: 'Mean |score diff|',
                align: 'right',
                render: (s) => formatNumber(s.meanAbsScoreDiff),
              },
              {
                key: 'latency',
                label: 'Latency vs primary',
                align: 'right',
                render: (s) =>
                  s.meanLatencyDiffMs === null ? '—' : `${formatNumber(s.meanLatencyDiffMs, 1)} ms`,
              },
              { key: 'failed', label: 'Failed', align: 'right', render: (s) => s.failed.toLocaleString() },
              { key: 'dropped', label: 'Dropped', align: 'right', render: (s) => s.dropped.toLocaleString() },
            ]}
          />
        )}
      </Async>
    </Section>
  );
}

/** The endpoint, the versions its routes and shadows resolve to now, and their lineage. */
async function endpointLineage(client: PlumbClient, e: Endpoint): Promise<Lineage> {
  const endpointId = `endpoint:${e.name}`;
  const targets = [
    ...e.routes.map((r) => ({ target: r.target, relation: 'serves' })),
    ...e.shadows.map((s) => ({ target: s, relation: 'shadows' })),
  ];
  const nodes = new Map([[endpointId, { id: endpointId, kind: 'endpoint', label: e.name }]]);
  const edges = new Map<string, Lineage['edges'][number]>();
  // Every target's lineage at once: a page waits for the slowest, not for their sum.
  const found = await Promise.all(
    targets.map(async ({ target, relation }) => {
      const version = await client.models.version(target).catch(() => null);
      return version ? { version, relation, lineage: await client.models.lineage(version.ref) } : null;
    }),
  );
  for (const item of found) {
    if (!item) continue;
    const { version, relation, lineage } = item;
    for (const n of lineage.nodes) nodes.set(n.id, n);
    for (const edge of lineage.edges) edges.set(`${edge.from} ${edge.relation} ${edge.to}`, edge);
    // One edge per version: a version both routed and shadowed is labelled with both.
    const known = edges.get(version.id);
    const relations = known ? `${known.relation}, ${relation}` : relation;
    edges.set(version.id, {
      from: version.id,
      to: endpointId,
      relation: known?.relation.includes(relation) ? known.relation : relations,
    });
  }
  return { root: endpointId, nodes: [...nodes.values()], edges: [...edges.values()] };
}

function EndpointLineage({ endpoint: e }: { endpoint: Endpoint }) {
  const lineage = useLoad((c) => endpointLineage(c, e), [e.name, e.updatedAt]);
  return <Async state={lineage}>{(l) => <LineageGraph lineage={l} />}</Async>;
}

function ReviewQueue({ endpoint: e }: { endpoint: Endpoint }) {
  const queue = useLoad((c) => c.endpoints.reviewQueue(e.name, { limit: 20 }), [e.name]);
  return (
    <Section title="Review queue">
      <Async state={queue}>
        {(page) =>
          page.items.length === 0 ? (
            e.reviewThreshold === null ? (
              <Empty command={`plumb endpoint update ${e.name} --review-threshold 0.6`}>
                Low-confidence predictions are not queued for review. Set a threshold:
              </Empty>
            ) : (
              <p className="muted">No predictions below a confidence of {e.reviewThreshold} are waiting.</p>
            )
          ) : (
            <DataTable
              rows={page.items}
              rowKey={(r) => r.id}
              testId="review-queue"
              columns={[
                { key: 'at', label: 'When', render: (r) => <Time at={r.createdAt} /> },
                { key: 'version', label: 'Version', render: (r) => r.modelVersion ?? '—' },
                { key: 'label', label: 'Label', render: (r) => String(r.label ?? '—') },
                {
                  key: 'conf',
                  label: 'Confidence',
                  align: 'right',
                  render: (r) => formatNumber(r.confidence),
                },
                {
                  key: 'inputs',
                  label: 'Inputs',
                  render: (r) => <code className="clamp">{JSON.stringify(r.inputs)}</code>,
                },
              ]}
            />
          )
        }
      </Async>
    </Section>
  );
}

function RecentEvents({ endpoint: e }: { endpoint: Endpoint }) {
  const session = useSession();
  const events = useLoad(
    async (c) => (session.can('events:read') ? c.events.list({ endpoint: e.name, limit: 25 }) : null),
    [e.name],
  );
  if (!session.can('events:read')) return null;
  return (
    <Section title="Recent predictions">
      <Async state={events}>
        {(page) =>
          !page || page.items.length === 0 ? (
            <Empty command={`plumb predict ${e.name} --input '{"feature": 1}'`}>
              No predictions logged yet.
            </Empty>
          ) : (
            <DataTable
              rows={page.items}
              rowKey={(x) => x.id}
              testId="events"
              columns={[
                { key: 'time', label: 'Time', render: (x) => <Time at={x.time} /> },
                { key: 'version', label: 'Version', render: (x) => x.modelVersion ?? '—' },
                {
                  key: 'arm',
                  label: 'Arm',
                  render: (x) => <Badge tone={x.arm === 'fallback' ? 'warn' : 'neutral'}>{x.arm}</Badge>,
                },
                { key: 'label', label: 'Label', render: (x) => x.label ?? '—' },
                {
                  key: 'conf',
                  label: 'Confidence',
                  align: 'right',
                  render: (x) => formatNumber(x.confidence),
                },
                {
                  key: 'latency',
                  label: 'Latency',
                  align: 'right',
                  render: (x) => (x.latencyMs === null ? '—' : `${formatNumber(x.latencyMs, 1)} ms`),
                },
                {
                  key: 'cost',
                  label: 'Cost',
                  align: 'right',
                  render: (x) => (x.costUsd === null ? '—' : `$${formatNumber(x.costUsd, 5)}`),
                },
                {
                  key: 'error',
                  label: 'Error',
                  render: (x) => (x.error ? <StatusBadge status="failed" /> : null),
                },
                {
                  key: 'feedback',
                  label: 'Ground truth',
                  render: (x) => x.feedback?.label ?? x.feedback?.value ?? '—',
                },
              ]}
            />
          )
        }
      </Async>
    </Section>
  );
}
