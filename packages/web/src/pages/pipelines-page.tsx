import { all, useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, Empty, Link, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { href } from '../router.js';

export function PipelinesPage() {
  const state = useLoad(async (c) => {
    const [pipelines, runs] = await Promise.all([all(c, c.pipelines.list), c.pipelines.runs({ limit: 200 })]);
    // Runs come newest first: the first seen per pipeline is its latest.
    const latest = new Map<string, (typeof runs.items)[number]>();
    for (const run of runs.items) if (!latest.has(run.pipeline)) latest.set(run.pipeline, run);
    return pipelines.map((p) => ({ pipeline: p, latest: latest.get(p.name) ?? null }));
  }, []);
  const session = useSession();
  return (
    <>
      <PageHeader
        title="Pipelines"
        sub="Versioned DAGs of steps: snapshot, validate, train, evaluate, approve, promote"
      />
      <Async state={state}>
        {(rows) =>
          rows.length === 0 ? (
            <Empty command="plumb pipeline apply retrain.yaml">
              No pipelines yet.{session.can('pipelines:write') ? ' Apply one from its YAML:' : ''}
            </Empty>
          ) : (
            <section className="card">
              <DataTable
                rows={rows}
                rowKey={(r) => r.pipeline.id}
                testId="pipelines"
                columns={[
                  {
                    key: 'name',
                    label: 'Pipeline',
                    render: (r) => (
                      <div>
                        <Link to={href('/pipelines', r.pipeline.name)} className="strong">
                          {r.pipeline.name}
                        </Link>
                        {r.pipeline.description ? (
                          <div className="muted small">{r.pipeline.description}</div>
                        ) : null}
                      </div>
                    ),
                    sort: (r) => r.pipeline.name,
                  },
                  { key: 'version', label: 'Version', render: (r) => `v${r.pipeline.version}` },
                  {
                    key: 'steps',
                    label: 'Steps',
                    align: 'right',
                    render: (r) => r.pipeline.spec.steps.length,
                  },
                  {
                    key: 'last',
                    label: 'Last run',
                    render: (r) =>
                      r.latest ? (
                        <span className="row-gap">
                          <StatusBadge status={r.latest.status} />
                          <Time at={r.latest.createdAt} />
                        </span>
                      ) : (
                        <span className="muted">never run</span>
                      ),
                  },
                  { key: 'by', label: 'Applied by', render: (r) => <Actor id={r.pipeline.createdBy} /> },
                ]}
              />
            </section>
          )
        }
      </Async>
    </>
  );
}
