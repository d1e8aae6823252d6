import type { Pipeline, PipelineRun, PipelineStep } from '@plumb/sdk';
import { useEffect, useMemo, useState } from 'react';
import { useLoad, useSession } from '../api.js';
import { DagGraph } from '../components/dag-graph.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, Empty, ErrorBox, PageHeader, Section, StatusBadge, Time } from '../components/ui.js';
import { setQuery, useLocation } from '../router.js';
import { PipelineLogsView } from './pipeline-logs.js';

const ACTIVE = new Set(['queued', 'running', 'waiting']);

export function PipelinePage({ name }: { name: string }) {
  const pipeline = useLoad((c) => c.pipelines.get(name), [name]);
  const runs = useLoad((c) => c.pipelines.runs({ pipeline: name, limit: 50 }), [name]);
  const { query } = useLocation();
  const selected = query.get('run') ?? runs.data?.items[0]?.id ?? null;
  return (
    <Async state={pipeline}>
      {(p) => (
        <>
          <PageHeader
            title={p.name}
            sub={`${p.ref}${p.description ? ` · ${p.description}` : ''}`}
            actions={
              <RunButton
                pipeline={p}
                onStarted={(id) => {
                  runs.reload();
                  setQuery('run', id);
                }}
              />
            }
          />
          {selected ? (
            <RunView key={selected} id={selected} onChanged={runs.reload} />
          ) : runs.data === undefined ? null : (
            <Section title="Steps">
              <DagGraph
                nodes={p.spec.steps.map((s) => ({ id: s.name, label: s.name, kind: s.kind }))}
                edges={p.spec.steps.flatMap((s) => s.needs.map((n) => ({ from: n, to: s.name })))}
                testId="pipeline-dag"
              />
              <Empty command={`plumb pipeline run ${p.name}`}>This pipeline has not run yet.</Empty>
            </Section>
          )}
          <Section title="Runs">
            <Async state={runs}>
              {(list) =>
                list.items.length === 0 ? (
                  <p className="muted">No runs.</p>
                ) : (
                  <DataTable
                    rows={list.items}
                    rowKey={(r) => r.id}
                    testId="pipeline-runs"
                    columns={[
                      {
                        key: 'id',
                        label: 'Run',
                        render: (r) => (
                          <button
                            type="button"
                            className={`link-button${r.id === selected ? ' selected' : ''}`}
                            onClick={() => setQuery('run', r.id)}
                          >
                            {r.id}
                          </button>
                        ),
                      },
                      { key: 'status', label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
                      { key: 'trigger', label: 'Trigger', render: (r) => r.trigger.kind },
                      { key: 'version', label: 'Pipeline', render: (r) => `v${r.version}` },
                      { key: 'by', label: 'Started by', render: (r) => <Actor id={r.createdBy} /> },
                      { key: 'at', label: 'Started', render: (r) => <Time at={r.createdAt} /> },
                      { key: 'done', label: 'Finished', render: (r) => <Time at={r.finishedAt} /> },
                    ]}
                  />
                )
              }
            </Async>
          </Section>
        </>
      )}
    </Async>
  );
}

function RunButton({ pipeline, onStarted }: { pipeline: Pipeline; onStarted(id: string): void }) {
  const { client, can } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  if (!can('pipelines:run')) return null;
  return (
    <span className="row-gap">
      <button
        type="button"
        className="button primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            onStarted((await client.pipelines.run(pipeline.name)).id);
          } catch (e) {
            setError(e instanceof Error ? e : new Error(String(e)));
          } finally {
            setBusy(false);
          }
        }}
      >
        Run pipeline
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}

/** One run: its DAG with each step's state, refreshed while it is active, approvals and logs. */
function RunView({ id, onChanged }: { id: string; onChanged(): void }) {
  const run = useLoad((c) => c.pipelines.getRun(id), [id]);
  const active = run.data ? ACTIVE.has(run.data.status) : false;
  const status = run.data?.status;
  // The runs list shows each run's status: refresh it whenever this one's changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a change of status should refresh the list
  useEffect(() => {
    if (status) onChanged();
  }, [status]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(run.reload, 1000);
    return () => clearInterval(timer);
  }, [active, run.reload]);
  const graph = useMemo(() => {
    const steps = run.data?.steps ?? [];
    return {
      nodes: steps.map((s) => ({
        id: s.name,
        label: `${s.name} · ${s.status}`,
        kind: s.kind,
        status: s.status,
      })),
      edges: steps.flatMap((s) => s.needs.map((n) => ({ from: n, to: s.name }))),
    };
  }, [run.data?.steps]);
  return (
    <Async state={run}>
      {(r) => (
        <>
          <div className="panel-title">
            <h2>{r.id}</h2>
            <StatusBadge status={r.status} />
            {r.error ? <span className="muted small">{r.error}</span> : null}
          </div>
          <Section title="Steps">
            <DagGraph nodes={graph.nodes} edges={graph.edges} testId="pipeline-dag" height={280} />
            {r.steps
              .filter((s) => s.kind === 'approval' && s.status === 'waiting')
              .map((s) => (
                <ApprovalBox
                  key={s.name}
                  run={r}
                  step={s}
                  onDecided={() => {
                    run.reload();
                    onChanged();
                  }}
                />
              ))}
            <DataTable
              rows={r.steps}
              rowKey={(s) => s.name}
              testId="pipeline-steps"
              columns={[
                { key: 'name', label: 'Step', render: (s) => <strong>{s.name}</strong> },
                { key: 'kind', label: 'Kind', render: (s) => s.kind },
                { key: 'status', label: 'Status', render: (s) => <StatusBadge status={s.status} /> },
                { key: 'attempts', label: 'Attempts', align: 'right', render: (s) => s.attempts.length },
                { key: 'start', label: 'Started', render: (s) => <Time at={s.startedAt} /> },
                { key: 'end', label: 'Finished', render: (s) => <Time at={s.finishedAt} /> },
                {
                  key: 'detail',
                  label: 'Detail',
                  render: (s) =>
                    s.error ??
                    (s.outputs ? <code className="clamp">{JSON.stringify(s.outputs)}</code> : null),
                },
              ]}
            />
          </Section>
          <PipelineLogsView run={r} />
        </>
      )}
    </Async>
  );
}

function ApprovalBox({ run, step, onDecided }: { run: PipelineRun; step: PipelineStep; onDecided(): void }) {
  const { client, can, me } = useSession();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const approval = step.approval;
  const named = approval && approval.approvers.length > 0 ? approval.approvers.includes(me.keyName) : true;
  const roleOk = approval?.role ? approval.role === me.role || me.role === 'admin' : true;
  const decided = approval?.decisions.some((d) => d.actor === me.keyId) ?? false;
  const may = can('pipelines:approve') && named && roleOk && !decided;
  const decide = async (verdict: 'approve' | 'reject') => {
    try {
      await (verdict === 'approve'
        ? client.pipelines.approve(run.id, step.name, comment)
        : client.pipelines.reject(run.id, step.name, comment));
      onDecided();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <div className="approval" data-testid="pipeline-approval">
      <strong>{step.name}</strong> waits for approval
      {approval ? (
        <span className="muted small">
          {' '}
          ({approval.decisions.length} of {approval.quorum}
          {approval.approvers.length ? `; from ${approval.approvers.join(', ')}` : ''}
          {approval.timeoutAt ? `; times out ${new Date(approval.timeoutAt).toLocaleString()}` : ''})
        </span>
      ) : null}
      {may ? (
        <div className="decide">
          <input
            aria-label="approval comment"
            placeholder="Comment"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <button type="button" className="button primary" onClick={() => decide('approve')}>
            Approve step
          </button>
          <button type="button" className="button danger" onClick={() => decide('reject')}>
            Reject step
          </button>
        </div>
      ) : (
        <span className="muted small"> · {decided ? 'you have decided' : 'another approver decides'}</span>
      )}
      {error ? <ErrorBox error={error} /> : null}
    </div>
  );
}
