import type { DatasetVersion } from '@plumb/sdk';
import { useState } from 'react';
import { all, useLoad } from '../api.js';
import { ColumnProfileCard } from '../components/column-profile.js';
import { DataTable } from '../components/data-table.js';
import {
  Actor,
  Async,
  Badge,
  Empty,
  Fields,
  formatBytes,
  formatNumber,
  PageHeader,
  Section,
  StatusBadge,
  Time,
} from '../components/ui.js';
import { setQuery, useLocation } from '../router.js';
import { DatasetDiffView, ValidationView } from './dataset-reports.js';
import { LineageView } from './lineage-view.js';

export function DatasetPage({ name }: { name: string }) {
  const versions = useLoad((c) => all(c, (q) => c.datasets.versions(name, q)), [name]);
  const { query } = useLocation();
  return (
    <>
      <PageHeader title={name} sub="Dataset" />
      <Async state={versions}>
        {(list) => {
          if (list.length === 0) {
            return (
              <Empty command={`plumb dataset add ${name} data.csv`}>This dataset has no versions yet.</Empty>
            );
          }
          const newest = list.reduce((a, b) => (b.version > a.version ? b : a));
          const chosen = list.find((v) => String(v.version) === query.get('v')) ?? newest;
          return (
            <>
              <Section title="Versions">
                <DataTable
                  rows={list}
                  rowKey={(v) => v.id}
                  testId="dataset-versions"
                  initialSort={{ key: 'version', desc: true }}
                  columns={[
                    {
                      key: 'version',
                      label: 'Version',
                      render: (v) => (
                        <button
                          type="button"
                          className={`link-button${v.id === chosen.id ? ' selected' : ''}`}
                          onClick={() => setQuery('v', String(v.version))}
                        >
                          {v.ref}
                        </button>
                      ),
                      sort: (v) => v.version,
                    },
                    {
                      key: 'rows',
                      label: 'Rows',
                      align: 'right',
                      render: (v) => v.rowCount.toLocaleString(),
                    },
                    { key: 'size', label: 'Size', align: 'right', render: (v) => formatBytes(v.byteSize) },
                    {
                      key: 'valid',
                      label: 'Validation',
                      render: (v) => <StatusBadge status={v.validationStatus} />,
                    },
                    {
                      key: 'message',
                      label: 'Message',
                      render: (v) => v.message || <span className="muted">—</span>,
                    },
                    { key: 'at', label: 'Added', render: (v) => <Time at={v.createdAt} /> },
                  ]}
                />
              </Section>
              <VersionDetail key={chosen.id} version={chosen} versions={list} />
            </>
          );
        }}
      </Async>
    </>
  );
}

function VersionDetail({ version: v, versions }: { version: DatasetVersion; versions: DatasetVersion[] }) {
  return (
    <>
      <div className="panel-title">
        <h2>{v.ref}</h2>
        <StatusBadge status={v.validationStatus} />
        {v.profileStatus !== 'ready' ? <Badge tone="warn">profile {v.profileStatus}</Badge> : null}
      </div>
      <div className="grid-2">
        <Section title="Summary">
          <Fields
            items={[
              ['Rows', v.rowCount.toLocaleString()],
              ['Size', formatBytes(v.byteSize)],
              ['Format', v.format],
              ['Files', v.files.map((f) => f.path).join(', ')],
              ['Content hash', <code key="h">{v.contentHash.slice(0, 23)}…</code>],
              ['Parents', v.parents.length ? v.parents.join(', ') : null],
              ['Produced by run', v.producedByRun],
              ['Added by', <Actor key="by" id={v.createdBy} />],
            ]}
          />
        </Section>
        <Section title="Schema">
          <DataTable
            rows={v.schema}
            rowKey={(c) => c.name}
            testId="schema"
            columns={[
              { key: 'name', label: 'Column', render: (c) => <strong>{c.name}</strong> },
              { key: 'type', label: 'Type', render: (c) => <code>{c.type}</code> },
            ]}
          />
        </Section>
      </div>
      <Section title="Column profiles">
        {v.profileStatus === 'pending' ? (
          <p className="muted">
            Profiling in the background
            {v.profileJob
              ? `: ${v.profileJob.progress.rows.toLocaleString()} of ${v.profileJob.progress.total.toLocaleString()} rows`
              : ''}
            . Reload to see progress.
          </p>
        ) : v.profile ? (
          <div className="profile-grid">
            {v.schema.map((c) =>
              v.profile?.[c.name] ? (
                <ColumnProfileCard key={c.name} name={c.name} type={c.type} summary={v.profile[c.name]!} />
              ) : null,
            )}
          </div>
        ) : (
          <p className="muted">No profile: {v.profileError ?? 'the profile failed'}.</p>
        )}
      </Section>
      <SliceCoverage version={v} />
      <ValidationView version={v} />
      <DatasetDiffView version={v} versions={versions} />
      <RowsView version={v} />
      <Section title="Lineage">
        <LineageView load={(c) => c.datasets.lineage(v.ref)} deps={[v.ref]} />
      </Section>
    </>
  );
}

/** Slices listed before the rest is asked for: a column of airports has hundreds. */
const SLICES_SHOWN = 12;

function SliceCoverage({ version: v }: { version: DatasetVersion }) {
  const [all, setAll] = useState(false);
  if (!v.sliceColumn || !v.sliceCounts) {
    return (
      <Section title="Slice coverage">
        <Empty command={`plumb dataset add ${v.dataset} <files> --slice-column <column>`}>
          No slice column was named for this version. Add a version with one to count rows per slice:
        </Empty>
      </Section>
    );
  }
  const entries = Object.entries(v.sliceCounts).sort((a, b) => b[1] - a[1]);
  const top = Math.max(...entries.map(([, n]) => n), 1);
  const shown = all || entries.length <= SLICES_SHOWN ? entries : entries.slice(0, SLICES_SHOWN);
  return (
    <Section
      title={`Slice coverage by ${v.sliceColumn}`}
      aside={
        entries.length > SLICES_SHOWN ? (
          <button type="button" className="link-button small" onClick={() => setAll(!all)}>
            {all ? `Show the ${SLICES_SHOWN} largest` : `Show all ${entries.length.toLocaleString()} slices`}
          </button>
        ) : null
      }
    >
      <ul className="top-values wide" data-testid="slice-coverage">
        {shown.map(([slice, n]) => (
          <li key={slice}>
            <span className="top-label">{slice}</span>
            <span className="top-bar">
              <span style={{ width: `${(n / top) * 100}%` }} />
            </span>
            <span className="top-count">
              {n.toLocaleString()} ({formatNumber((n / v.rowCount) * 100, 1)}%)
            </span>
          </li>
        ))}
      </ul>
    </Section>
  );
}

const ROWS_PAGE = 25;

function RowsView({ version: v }: { version: DatasetVersion }) {
  const [offset, setOffset] = useState(0);
  const rows = useLoad((c) => c.datasets.rows(v.ref, { offset, limit: ROWS_PAGE }), [v.ref, offset]);
  return (
    <Section
      title="Rows"
      aside={
        <span className="row-gap small">
          <button
            type="button"
            className="button ghost"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - ROWS_PAGE))}
          >
            Previous
          </button>
          <span className="muted">
            {(offset + 1).toLocaleString()}–{Math.min(offset + ROWS_PAGE, v.rowCount).toLocaleString()} of{' '}
            {v.rowCount.toLocaleString()}
          </span>
          <button
            type="button"
            className="button ghost"
            disabled={offset + ROWS_PAGE >= v.rowCount}
            onClick={() => setOffset(offset + ROWS_PAGE)}
          >
            Next
          </button>
        </span>
      }
    >
      <Async state={rows}>
        {(page) => (
          <div className="table-wrap">
            <table className="table compact" data-testid="rows">
              <thead>
                <tr>
                  {page.columns.map((c) => (
                    <th key={c.name}>{c.name}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.rows.map((row, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity beyond their position
                  <tr key={offset + i}>
                    {row.map((cell, j) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                      <td key={j}>
                        {cell === null ? (
                          <span className="muted">null</span>
                        ) : typeof cell === 'object' ? (
                          JSON.stringify(cell)
                        ) : (
                          String(cell)
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Section>
  );
}
