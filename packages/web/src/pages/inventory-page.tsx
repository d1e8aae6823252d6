import type { InventoryItem, RiskClass } from '@plumb/sdk';
import { useMemo } from 'react';
import { all, useLoad } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { Async, Badge, Empty, Link, PageHeader, StatusBadge } from '../components/ui.js';
import { href, setQuery, useLocation } from '../router.js';
import { type ModelHealth, useHealth } from './inventory-health.js';

const RISK_ORDER: Record<RiskClass, number> = { minimal: 0, limited: 1, high: 2, unacceptable: 3 };

function columns(health: Map<string, ModelHealth> | undefined): Column<InventoryItem>[] {
  return [
    {
      key: 'name',
      label: 'Model',
      render: (m) => (
        <div>
          <Link to={href('/models', m.name)} className="strong">
            {m.name}
          </Link>
          {m.description ? <div className="muted small">{m.description}</div> : null}
        </div>
      ),
      sort: (m) => m.name,
    },
    { key: 'owner', label: 'Owner', render: (m) => m.owner, sort: (m) => m.owner, nowrap: true },
    {
      key: 'risk',
      label: 'Risk',
      render: (m) => <StatusBadge status={m.riskClass} />,
      sort: (m) => RISK_ORDER[m.riskClass],
    },
    {
      key: 'champion',
      label: 'Champion',
      nowrap: true,
      render: (m) => m.aliases.champion ?? <span className="muted">none</span>,
      sort: (m) => m.aliases.champion ?? null,
    },
    {
      key: 'versions',
      label: 'Versions',
      align: 'right',
      render: (m) => m.versionCount.toLocaleString(),
      sort: (m) => m.versionCount,
    },
    {
      key: 'gate',
      label: 'Last gate',
      render: (m) =>
        m.latestGate ? (
          <span className="row-gap">
            <StatusBadge status={m.latestGate.passed ? 'passed' : 'failed'} />
            <span className="small">{m.latestGate.ref}</span>
          </span>
        ) : (
          <span className="muted">not evaluated</span>
        ),
      sort: (m) => (m.latestGate ? (m.latestGate.passed ? 1 : 0) : null),
    },
    {
      key: 'requests',
      label: 'Pending approvals',
      align: 'right',
      render: (m) => (m.pendingRequests > 0 ? <Badge tone="warn">{m.pendingRequests}</Badge> : '0'),
      sort: (m) => m.pendingRequests,
    },
    {
      key: 'health',
      label: 'Health',
      render: (m) => <Health health={health} model={m.name} />,
      sort: (m) => {
        const h = health?.get(m.name);
        return h ? (h.drifted ? 2 : 0) + h.openAlerts : null;
      },
    },
  ];
}

function Health({ health, model }: { health: Map<string, ModelHealth> | undefined; model: string }) {
  if (!health) return <span className="muted small">…</span>;
  const h = health.get(model);
  if (!h) return <span className="muted small">not served</span>;
  return (
    <span className="row-gap" data-testid={`health-${model}`}>
      {h.drifted === null ? (
        <span className="muted small">no monitor</span>
      ) : (
        <Badge tone={h.drifted ? 'bad' : 'good'}>{h.drifted ? 'drift' : 'no drift'}</Badge>
      )}
      {h.openAlerts > 0 ? (
        <Badge tone="bad">
          {h.openAlerts} open alert{h.openAlerts === 1 ? '' : 's'}
        </Badge>
      ) : null}
      {h.accuracy ? <span className="small">accuracy {h.accuracy.value.toFixed(3)}</span> : null}
    </span>
  );
}

export function InventoryPage() {
  const state = useLoad((client) => all(client, client.models.inventory), []);
  const health = useHealth(state.data !== undefined);
  const cols = useMemo(() => columns(health.data), [health.data]);
  const { query } = useLocation();
  const text = query.get('q') ?? '';
  const risk = query.get('risk') ?? '';
  const rows = useMemo(() => {
    const needle = text.toLowerCase();
    return (state.data ?? []).filter(
      (m) =>
        (!risk || m.riskClass === risk) &&
        (!needle || m.name.includes(needle) || m.owner.toLowerCase().includes(needle)),
    );
  }, [state.data, text, risk]);
  return (
    <>
      <PageHeader
        title="Inventory"
        sub="Every model in this project, its risk, champion and last gate decision"
      />
      <Async state={state}>
        {(items) =>
          items.length === 0 ? (
            <Empty command="plumb model register fraud --artifact model.onnx">
              No models yet. Register a first version:
            </Empty>
          ) : (
            <section className="card">
              <div className="toolbar">
                <input
                  type="search"
                  placeholder="Filter by name or owner"
                  aria-label="filter models"
                  value={text}
                  onChange={(e) => setQuery('q', e.target.value)}
                />
                <select
                  aria-label="risk class"
                  value={risk}
                  onChange={(e) => setQuery('risk', e.target.value)}
                >
                  <option value="">Any risk</option>
                  {Object.keys(RISK_ORDER).map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
                <span className="muted small">
                  {rows.length} of {items.length} models
                </span>
              </div>
              <DataTable columns={cols} rows={rows} rowKey={(m) => m.name} testId="inventory" />
            </section>
          )
        }
      </Async>
    </>
  );
}
