import { all, useLoad } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Async, Empty, Link, PageHeader, Time } from '../components/ui.js';
import { href } from '../router.js';

export function EndpointsPage() {
  const state = useLoad((c) => all(c, c.endpoints.list), []);
  return (
    <>
      <PageHeader
        title="Endpoints"
        sub="What applications call; which model version answers is decided here"
      />
      <Async state={state}>
        {(items) =>
          items.length === 0 ? (
            <Empty command="plumb endpoint create fraud --route fraud@champion=1">
              No endpoints yet. Serve a model version or alias:
            </Empty>
          ) : (
            <section className="card">
              <DataTable
                rows={items}
                rowKey={(e) => e.id}
                testId="endpoints"
                initialSort={{ key: 'name' }}
                columns={[
                  {
                    key: 'name',
                    label: 'Endpoint',
                    render: (e) => (
                      <div>
                        <Link to={href('/endpoints', e.name)} className="strong">
                          {e.name}
                        </Link>
                        {e.description ? <div className="muted small">{e.description}</div> : null}
                      </div>
                    ),
                    sort: (e) => e.name,
                  },
                  {
                    key: 'routes',
                    label: 'Traffic',
                    render: (e) => {
                      const total = e.routes.reduce((s, r) => s + r.weight, 0);
                      return e.routes
                        .map((r) => `${r.target} ${Math.round((r.weight / total) * 100)}%`)
                        .join(' · ');
                    },
                  },
                  {
                    key: 'shadows',
                    label: 'Shadows',
                    render: (e) =>
                      e.shadows.length ? e.shadows.join(', ') : <span className="muted">none</span>,
                  },
                  {
                    key: 'review',
                    label: 'Review below',
                    align: 'right',
                    render: (e) => (e.reviewThreshold === null ? '—' : e.reviewThreshold),
                  },
                  {
                    key: 'updated',
                    label: 'Updated',
                    render: (e) => <Time at={e.updatedAt} />,
                    sort: (e) => e.updatedAt,
                  },
                ]}
              />
            </section>
          )
        }
      </Async>
    </>
  );
}
