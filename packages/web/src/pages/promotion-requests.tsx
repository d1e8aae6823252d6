import type { PromotionRequest } from '@plumb/sdk';
import { useState } from 'react';
import { all, useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, ErrorBox, Section, StatusBadge, Time } from '../components/ui.js';

/** A model's promotion requests; approvers decide pending ones here, with a comment. */
export function PromotionRequests({ model, onDecided }: { model: string; onDecided(): void }) {
  const session = useSession();
  const requests = useLoad((c) => all(c, (q) => c.models.requests({ ...q, model })), [model]);
  const mayDecide = session.can('models:approve');
  return (
    <Section title="Promotion requests">
      <Async state={requests}>
        {(items) =>
          items.length === 0 ? (
            <p className="muted">
              No promotion requests. A promotion of a model that needs approval creates one here.
            </p>
          ) : (
            <DataTable
              rows={items}
              rowKey={(r) => r.id}
              testId="promotion-requests"
              initialSort={{ key: 'at', desc: true }}
              columns={[
                {
                  key: 'at',
                  label: 'Requested',
                  render: (r) => <Time at={r.requestedAt} />,
                  sort: (r) => r.requestedAt,
                },
                { key: 'what', label: 'Change', render: (r) => `${r.alias} → ${r.ref}` },
                { key: 'by', label: 'By', render: (r) => <Actor id={r.requestedBy} /> },
                {
                  key: 'reason',
                  label: 'Reason',
                  render: (r) => r.reason || <span className="muted">—</span>,
                },
                { key: 'status', label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
                {
                  key: 'decision',
                  label: 'Decision',
                  render: (r) =>
                    r.status === 'pending' ? (
                      mayDecide ? (
                        <Decide
                          request={r}
                          onDone={() => {
                            requests.reload();
                            onDecided();
                          }}
                        />
                      ) : (
                        <span className="muted">awaiting an approver</span>
                      )
                    ) : (
                      <span>
                        <Actor id={r.decidedBy} />
                        {r.comment ? <span className="muted">: {r.comment}</span> : null}
                      </span>
                    ),
                },
              ]}
            />
          )
        }
      </Async>
    </Section>
  );
}

function Decide({ request, onDone }: { request: PromotionRequest; onDone(): void }) {
  const { client, me } = useSession();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  if (request.requestedBy === me.keyId) {
    return <span className="muted">your request: another approver decides</span>;
  }
  const decide = async (verdict: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    try {
      await (verdict === 'approve'
        ? client.models.approve(request.id, { comment })
        : client.models.reject(request.id, { comment }));
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="decide">
      <input
        aria-label="decision comment"
        placeholder="Comment (required)"
        value={comment}
        onChange={(e) => setComment(e.target.value)}
      />
      <button
        type="button"
        className="button primary"
        disabled={busy || comment.trim() === ''}
        onClick={() => decide('approve')}
      >
        Approve
      </button>
      <button
        type="button"
        className="button danger"
        disabled={busy || comment.trim() === ''}
        onClick={() => decide('reject')}
      >
        Reject
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </div>
  );
}
