import type { AuditRecord } from '@plumb/sdk';
import { useEffect, useState } from 'react';
import { useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, Badge, ErrorBox, PageHeader, Section, Time } from '../components/ui.js';
import { setQuery, useLocation } from '../router.js';

const PAGE = 100;
const FILTERS = [
  ['resource', 'Resource, e.g. model:fraud'],
  ['actor', 'Actor (key id)'],
  ['action', 'Action, e.g. alias.promote'],
] as const;

export function AuditPage() {
  const { query } = useLocation();
  const session = useSession();
  const filter = Object.fromEntries(FILTERS.map(([k]) => [k, query.get(k) ?? ''] as const));
  const key = JSON.stringify(filter);
  const first = useLoad(
    (c) =>
      c.audit.list({
        limit: PAGE,
        ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== '')),
      }),
    [key],
  );
  const [pages, setPages] = useState<{ items: AuditRecord[]; cursor: string | null }>({
    items: [],
    cursor: null,
  });
  const [moreError, setMoreError] = useState<Error | null>(null);
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, cursor: first.data.nextCursor });
  }, [first.data]);
  const more = async () => {
    if (!pages.cursor) return;
    try {
      const next = await session.client.audit.list({ ...JSON.parse(key), limit: PAGE, cursor: pages.cursor });
      setPages((p) => ({ items: [...p.items, ...next.items], cursor: next.nextCursor }));
    } catch (e) {
      setMoreError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <>
      <PageHeader
        title="Audit trail"
        sub="Every change, chained by hash so no record can be altered unseen"
      />
      {session.can('audit:verify') ? <Verification /> : null}
      <Section title="Records">
        <div className="toolbar">
          {FILTERS.map(([name, placeholder]) => (
            <input
              key={name}
              type="search"
              aria-label={name}
              placeholder={placeholder}
              defaultValue={filter[name]}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setQuery(name, (e.target as HTMLInputElement).value.trim());
              }}
              onBlur={(e) => setQuery(name, e.target.value.trim())}
            />
          ))}
        </div>
        <Async state={first}>
          {() =>
            pages.items.length === 0 ? (
              <p className="muted">No records match these filters.</p>
            ) : (
              <>
                <DataTable
                  rows={pages.items}
                  rowKey={(r) => String(r.seq)}
                  testId="audit"
                  columns={[
                    { key: 'seq', label: '#', align: 'right', render: (r) => r.seq },
                    { key: 'time', label: 'Time', render: (r) => <Time at={r.time} />, nowrap: true },
                    { key: 'action', label: 'Action', render: (r) => <Badge>{r.action}</Badge> },
                    {
                      key: 'resource',
                      label: 'Resource',
                      render: (r) => (
                        <button
                          type="button"
                          className="link-button"
                          title={r.resource}
                          onClick={() => setQuery('resource', r.resource)}
                        >
                          {/* A link button unsets every style, so the clipping is on the text. */}
                          <span className="clamp narrow">{r.resource}</span>
                        </button>
                      ),
                    },
                    {
                      key: 'actor',
                      label: 'Actor',
                      nowrap: true,
                      render: (r) => (
                        <button
                          type="button"
                          className="link-button"
                          onClick={() => setQuery('actor', r.actor)}
                        >
                          <Actor id={r.actor} />
                        </button>
                      ),
                    },
                    {
                      key: 'change',
                      label: 'Change',
                      render: (r) => (
                        <code className="clamp narrow" title={JSON.stringify(r.change, null, 2)}>
                          {JSON.stringify(r.change)}
                        </code>
                      ),
                    },
                    {
                      key: 'hash',
                      label: 'Hash',
                      render: (r) => <code title={r.hash}>{r.hash.slice(0, 10)}</code>,
                    },
                  ]}
                />
                {pages.cursor ? (
                  <button type="button" className="button ghost more" onClick={more}>
                    Show older records
                  </button>
                ) : null}
                {moreError ? <ErrorBox error={moreError} /> : null}
              </>
            )
          }
        </Async>
      </Section>
    </>
  );
}

function Verification() {
  const result = useLoad((c) => c.audit.verify(), []);
  return (
    <Section
      title="Chain verification"
      aside={
        <button type="button" className="button ghost" onClick={result.reload}>
          Verify again
        </button>
      }
    >
      <Async state={result}>
        {(v) =>
          v.ok ? (
            <p data-testid="audit-verified">
              <Badge tone="good">intact</Badge> {v.checked.toLocaleString()} records checked, head at #
              {v.headSeq}.
            </p>
          ) : (
            <p data-testid="audit-verified">
              <Badge tone="bad">broken</Badge> at #{v.firstBroken?.seq}: {v.firstBroken?.message}
            </p>
          )
        }
      </Async>
    </Section>
  );
}
