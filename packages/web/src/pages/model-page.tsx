import type { AliasMove, ModelAlias, ModelVersion } from '@plumb/sdk';
import { useEffect, useState } from 'react';
import { type Loaded, useLoad, useSession } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import {
  Actor,
  Async,
  Badge,
  Empty,
  Fields,
  formatNumber,
  Link,
  PageHeader,
  Section,
  StatusBadge,
  Time,
} from '../components/ui.js';
import { setQuery, useLocation } from '../router.js';
import { ModelVersionPanel } from './model-version-panel.js';
import { PromotionRequests } from './promotion-requests.js';

const PAGE = 50;

export function ModelPage({ name }: { name: string }) {
  const model = useLoad((c) => c.models.get(name), [name]);
  const aliases = useLoad((c) => c.models.aliases(name), [name]);
  const moves = useAliasMoves(name, aliases.data?.items);
  const { query } = useLocation();
  const reloadAll = () => {
    model.reload();
    aliases.reload();
  };
  return (
    <Async state={model}>
      {(m) => {
        const selected =
          query.get('v') ?? m.aliases.champion?.split('@v')[1] ?? String(m.latestVersion ?? '');
        return (
          <>
            <PageHeader
              title={m.name}
              sub={
                <span className="row-gap">
                  <StatusBadge status={m.riskClass} />
                  {m.approvalRequired ? <Badge tone="warn">approval required</Badge> : null}
                  <span>owned by {m.owner}</span>
                  <span className="muted">{m.versionCount.toLocaleString()} versions</span>
                </span>
              }
            />
            {m.description ? <p className="lead">{m.description}</p> : null}
            <div className="grid-2">
              <Section title="Aliases">
                <Async state={aliases}>
                  {(list) =>
                    list.items.length === 0 ? (
                      <Empty command={`plumb model promote ${m.name}@v${m.latestVersion ?? 1}`}>
                        No alias points at a version yet. Promote one to champion:
                      </Empty>
                    ) : (
                      <DataTable
                        rows={list.items}
                        rowKey={(a) => a.alias}
                        testId="aliases"
                        columns={[
                          { key: 'alias', label: 'Alias', render: (a) => <strong>{a.alias}</strong> },
                          { key: 'ref', label: 'Version', render: (a) => a.ref, nowrap: true },
                          {
                            key: 'gated',
                            label: 'Gated',
                            render: (a) => (a.gated ? <Badge tone="info">gated</Badge> : 'no'),
                          },
                          {
                            key: 'by',
                            label: 'Moved by',
                            render: (a) => <MovedBy alias={a} moves={moves.data} />,
                            nowrap: true,
                          },
                          { key: 'at', label: 'When', render: (a) => <Time at={a.updatedAt} /> },
                        ]}
                      />
                    )
                  }
                </Async>
              </Section>
              <Section title="Policy">
                <Fields
                  items={[
                    ['Gated aliases', m.policy.gatedAliases.join(', ') || 'none'],
                    [
                      'Approval',
                      m.approvalRequired ? 'required, by someone other than the requester' : 'not required',
                    ],
                    ['Created', <Time key="c" at={m.createdAt} />],
                    ['Created by', <Actor key="by" id={m.createdBy} />],
                  ]}
                />
              </Section>
            </div>
            <AliasHistory aliases={m.aliases} moves={moves} />
            <PromotionRequests model={m.name} onDecided={reloadAll} />
            <VersionList name={m.name} selected={selected} revision={JSON.stringify(m.aliases)} />
            {selected ? (
              <ModelVersionPanel key={selected} reference={`${m.name}@v${selected}`} onChanged={reloadAll} />
            ) : null}
          </>
        );
      }}
    </Async>
  );
}

/** Every alias's recent moves, newest first; reloads whenever an alias moves. */
function useAliasMoves(name: string, aliases: ModelAlias[] | undefined): Loaded<AliasMove[]> {
  const key = JSON.stringify(aliases?.map((a) => [a.alias, a.version]) ?? []);
  return useLoad(
    async (c) => {
      const lists = await Promise.all(
        (aliases ?? []).map((a) => c.models.aliasHistory(name, a.alias, { limit: 20 })),
      );
      return lists.flatMap((l) => l.items).sort((a, b) => b.at.localeCompare(a.at));
    },
    [name, key],
  );
}

/** The key that last moved the alias and, when a pipeline moved it after approval, its approvers. */
function MovedBy({ alias, moves }: { alias: ModelAlias; moves: AliasMove[] | undefined }) {
  const last = moves?.find((m) => m.alias === alias.alias);
  const approvals = last && last.toVersion === alias.version ? last.approvedBy : [];
  return (
    <>
      <Actor id={alias.updatedBy} />
      {approvals.length > 0 ? (
        // The key's name stays on one line; the approvers wrap below it rather than widen the table.
        <div className="muted small" style={{ whiteSpace: 'normal' }}>
          approved by{' '}
          {approvals.map((a, i) => (
            <span key={`${a.step}-${a.keyId}`}>
              {i === 0 ? null : ', '}
              <Actor id={a.keyId} />
            </span>
          ))}
        </div>
      ) : null}
    </>
  );
}

function AliasHistory({ aliases, moves }: { aliases: Record<string, string>; moves: Loaded<AliasMove[]> }) {
  if (Object.keys(aliases).length === 0) return null;
  return (
    <Section title="Alias history">
      <Async state={moves}>
        {(moves) => (
          <DataTable
            rows={moves}
            rowKey={(m) => `${m.alias}-${m.seq}`}
            testId="alias-history"
            columns={[
              { key: 'at', label: 'When', render: (m) => <Time at={m.at} /> },
              { key: 'alias', label: 'Alias', render: (m) => <strong>{m.alias}</strong> },
              {
                key: 'move',
                label: 'Move',
                render: (m) => `${m.fromVersion === null ? 'unset' : `v${m.fromVersion}`} → v${m.toVersion}`,
              },
              { key: 'action', label: 'How', render: (m) => <StatusBadge status={m.action} /> },
              { key: 'actor', label: 'By', render: (m) => <Mover move={m} /> },
              { key: 'reason', label: 'Reason', render: (m) => m.reason || <span className="muted">—</span> },
            ]}
          />
        )}
      </Async>
    </Section>
  );
}

/** The key that moved the alias; for a pipeline's move, its run and who approved it. */
function Mover({ move }: { move: AliasMove }) {
  const run = move.pipelineRun;
  if (!run) return <Actor id={move.actor} />;
  return (
    <span>
      pipeline run{' '}
      <Link to={`/pipelines/${encodeURIComponent(run.pipeline)}?run=${encodeURIComponent(run.id)}`}>
        {run.id}
      </Link>{' '}
      (<Actor id={move.actor} />)
      {move.approvedBy.map((a, i) => (
        <span key={`${a.step}-${a.keyId}`}>
          {i === 0 ? ', approved by ' : ', '}
          <Actor id={a.keyId} />
          {a.comment ? `: '${a.comment}'` : null}
        </span>
      ))}
    </span>
  );
}

const VERSION_COLUMNS = (selected: string): Column<ModelVersion>[] => [
  {
    key: 'version',
    label: 'Version',
    nowrap: true,
    render: (v) => (
      <button
        type="button"
        className={`link-button${String(v.version) === selected ? ' selected' : ''}`}
        onClick={() => setQuery('v', String(v.version))}
      >
        {v.ref}
      </button>
    ),
    sort: (v) => v.version,
  },
  { key: 'status', label: 'Status', render: (v) => <StatusBadge status={v.status} />, sort: (v) => v.status },
  {
    key: 'aliases',
    label: 'Aliases',
    render: (v) =>
      v.aliases.length ? (
        <span className="row-gap">
          {v.aliases.map((a) => (
            <Badge key={a} tone="info">
              {a}
            </Badge>
          ))}
        </span>
      ) : null,
  },
  { key: 'artifact', label: 'Artifact', render: (v) => v.artifact.kind },
  {
    key: 'metrics',
    label: 'Training metrics',
    render: (v) =>
      v.metrics
        .slice(0, 3)
        .map((m) => `${m.key} ${formatNumber(m.value)}`)
        .join(' · ') || <span className="muted">—</span>,
  },
  { key: 'created', label: 'Registered', render: (v) => <Time at={v.createdAt} />, sort: (v) => v.createdAt },
];

/**
 * The newest versions first, a page at a time: a model may have thousands. `revision` changes
 * when an alias moves, which changes versions' aliases and status.
 */
function VersionList({ name, selected, revision }: { name: string; selected: string; revision: string }) {
  const { client } = useSession();
  const [pages, setPages] = useState<{ items: ModelVersion[]; cursor: string | null }>({
    items: [],
    cursor: null,
  });
  const first = useLoad((c) => c.models.versions(name, { limit: PAGE }), [name, revision]);
  useEffect(() => {
    if (first.data) setPages({ items: first.data.items, cursor: first.data.nextCursor });
  }, [first.data]);
  const more = async () => {
    if (!pages.cursor) return;
    const next = await client.models.versions(name, { limit: PAGE, cursor: pages.cursor });
    setPages((p) => ({ items: [...p.items, ...next.items], cursor: next.nextCursor }));
  };
  return (
    <Section title="Versions">
      <Async state={first}>
        {() =>
          pages.items.length === 0 ? (
            <Empty command={`plumb model register ${name} --artifact model.onnx`}>No versions yet.</Empty>
          ) : (
            <>
              <DataTable
                rows={pages.items}
                rowKey={(v) => v.id}
                columns={VERSION_COLUMNS(selected)}
                testId="versions"
              />
              {pages.cursor ? (
                <button type="button" className="button ghost more" onClick={more}>
                  Show more versions
                </button>
              ) : null}
            </>
          )
        }
      </Async>
    </Section>
  );
}
