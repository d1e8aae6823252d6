import type { Alert, Endpoint } from '@plumb/sdk';
import { useState } from 'react';
import { all, useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, ErrorBox, formatNumber, Section, StatusBadge, Time } from '../components/ui.js';

/** Alerts not yet resolved; maintainers acknowledge or resolve them here. */
export function AlertsSection({ endpoint }: { endpoint: Endpoint }) {
  const session = useSession();
  const alerts = useLoad(
    async (c) => {
      const [open, acknowledged] = await Promise.all([
        all(c, (q) => c.alerts.list({ ...q, status: 'open' })),
        all(c, (q) => c.alerts.list({ ...q, status: 'acknowledged' })),
      ]);
      return [...open, ...acknowledged].filter((a) => a.endpoint === endpoint.name);
    },
    [endpoint.name],
  );
  const mayAct = session.can('alerts:ack');
  return (
    <Section title="Open alerts">
      <Async state={alerts}>
        {(items) =>
          items.length === 0 ? (
            <p className="muted" data-testid="alerts-none">
              No open alerts. Rules are created with <code>plumb alert rule create</code>.
            </p>
          ) : (
            <DataTable
              rows={items}
              rowKey={(a) => a.id}
              testId="alerts"
              columns={[
                { key: 'opened', label: 'Opened', render: (a) => <Time at={a.openedAt} /> },
                { key: 'rule', label: 'Rule', render: (a) => <strong>{a.ruleName}</strong> },
                { key: 'subject', label: 'Subject', render: (a) => a.subject ?? 'endpoint' },
                {
                  key: 'value',
                  label: 'Value / threshold',
                  align: 'right',
                  render: (a) => `${formatNumber(a.value, 4)} / ${formatNumber(a.threshold, 4)}`,
                },
                { key: 'status', label: 'Status', render: (a) => <StatusBadge status={a.status} /> },
                { key: 'ack', label: 'Acknowledged by', render: (a) => <Actor id={a.acknowledgedBy} /> },
                ...(mayAct
                  ? [
                      {
                        key: 'act',
                        label: '',
                        render: (a: Alert) => <AlertActions alert={a} onDone={alerts.reload} />,
                      },
                    ]
                  : []),
              ]}
            />
          )
        }
      </Async>
    </Section>
  );
}

function AlertActions({ alert, onDone }: { alert: Alert; onDone(): void }) {
  const { client } = useSession();
  const [error, setError] = useState<Error | null>(null);
  const act = async (what: 'acknowledge' | 'resolve') => {
    try {
      await (what === 'acknowledge' ? client.alerts.acknowledge(alert.id) : client.alerts.resolve(alert.id));
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <span className="row-gap">
      {alert.status === 'open' ? (
        <button type="button" className="button ghost" onClick={() => act('acknowledge')}>
          Acknowledge
        </button>
      ) : null}
      <button type="button" className="button ghost" onClick={() => act('resolve')}>
        Resolve
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}
