import type { DatasetVersion } from '@plumb/sdk';
import { useState } from 'react';
import { useLoad } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, Empty, formatNumber, Section, StatusBadge, Time } from '../components/ui.js';

export function ValidationView({ version: v }: { version: DatasetVersion }) {
  const id = v.validationReportId;
  const report = useLoad(async (c) => (id ? c.datasets.report(id) : null), [id]);
  return (
    <Section title="Validation" aside={<StatusBadge status={v.validationStatus} />}>
      <Async state={report}>
        {(r) =>
          r === null ? (
            <Empty command={`plumb validate ${v.ref} --suite expectations.yaml`}>
              This version has not been validated. Check it against a suite of expectations:
            </Empty>
          ) : (
            <>
              <p className="muted small">
                Suite {r.suite}
                {r.reference ? ` against ${r.reference}` : ''} · <Time at={r.createdAt} /> · by{' '}
                <Actor id={r.createdBy} />
              </p>
              <DataTable
                rows={r.results}
                rowKey={(x) => String(x.index)}
                testId="validation"
                columns={[
                  {
                    key: 'status',
                    label: 'Result',
                    render: (x) => <StatusBadge status={x.passed ? 'passed' : 'failed'} />,
                  },
                  { key: 'expect', label: 'Expectation', render: (x) => <code>{x.expect}</code> },
                  { key: 'column', label: 'Column', render: (x) => x.column ?? '—' },
                  { key: 'message', label: 'Detail', render: (x) => x.message },
                  {
                    key: 'failing',
                    label: 'Failing rows',
                    align: 'right',
                    render: (x) => (x.failingRows ? x.failingRows.count.toLocaleString() : '—'),
                  },
                ]}
              />
            </>
          )
        }
      </Async>
    </Section>
  );
}

export function DatasetDiffView({
  version: v,
  versions,
}: {
  version: DatasetVersion;
  versions: DatasetVersion[];
}) {
  const others = versions.filter((o) => o.id !== v.id).sort((a, b) => b.version - a.version);
  const [against, setAgainst] = useState(
    others.find((o) => o.version < v.version)?.ref ?? others[0]?.ref ?? '',
  );
  const diff = useLoad(async (c) => (against ? c.datasets.diff(against, v.ref) : null), [against, v.ref]);
  if (others.length === 0) {
    return (
      <Section title="Compare versions">
        <Empty command={`plumb dataset add ${v.dataset} <files>`}>
          Only one version: add another to compare schema, rows and distributions.
        </Empty>
      </Section>
    );
  }
  return (
    <Section
      title="Compare versions"
      aside={
        <label className="row-gap small">
          {v.ref} against
          <select value={against} onChange={(e) => setAgainst(e.target.value)} aria-label="compare with">
            {others.map((o) => (
              <option key={o.id} value={o.ref}>
                {o.ref}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <Async state={diff}>
        {(d) =>
          d === null ? null : (
            <>
              <div className="chips">
                <span className="chip">
                  rows {d.rows.from.toLocaleString()} → <strong>{d.rows.to.toLocaleString()}</strong>
                </span>
                <span className="chip">
                  added <strong>{d.rows.added.toLocaleString()}</strong>
                </span>
                <span className="chip">
                  removed <strong>{d.rows.removed.toLocaleString()}</strong>
                </span>
                <span className="chip">
                  unchanged <strong>{d.rows.unchanged.toLocaleString()}</strong>
                </span>
                <span className="chip">
                  columns +{d.schema.added.length} −{d.schema.removed.length} retyped{' '}
                  {d.schema.retyped.length}
                </span>
              </div>
              {d.shift.length ? (
                <DataTable
                  rows={d.shift}
                  rowKey={(s) => s.column}
                  testId="diff-shift"
                  columns={[
                    { key: 'column', label: 'Column', render: (s) => <strong>{s.column}</strong> },
                    { key: 'kind', label: 'Kind', render: (s) => s.kind },
                    { key: 'psi', label: 'PSI', align: 'right', render: (s) => formatNumber(s.psi) },
                    {
                      key: 'js',
                      label: 'Jensen–Shannon',
                      align: 'right',
                      render: (s) => formatNumber(s.jensenShannon),
                    },
                    { key: 'ks', label: 'KS', align: 'right', render: (s) => formatNumber(s.ks) },
                  ]}
                />
              ) : null}
            </>
          )
        }
      </Async>
    </Section>
  );
}
