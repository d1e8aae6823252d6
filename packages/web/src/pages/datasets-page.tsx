import { all, useLoad } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Actor, Async, Empty, Link, PageHeader, Time } from '../components/ui.js';
import { href } from '../router.js';

export function DatasetsPage() {
  const state = useLoad((c) => all(c, c.datasets.list), []);
  return (
    <>
      <PageHeader title="Datasets" sub="Versioned, content-addressed data with profiles and validation" />
      <Async state={state}>
        {(items) =>
          items.length === 0 ? (
            <Empty command="plumb dataset add weather data/weather.csv -m 'first cut'">
              No datasets yet. Add a first version from CSV, JSONL or Parquet files:
            </Empty>
          ) : (
            <section className="card">
              <DataTable
                rows={items}
                rowKey={(d) => d.id}
                testId="datasets"
                initialSort={{ key: 'name' }}
                columns={[
                  {
                    key: 'name',
                    label: 'Dataset',
                    render: (d) => (
                      <div>
                        <Link to={href('/datasets', d.name)} className="strong">
                          {d.name}
                        </Link>
                        {d.description ? <div className="muted small">{d.description}</div> : null}
                      </div>
                    ),
                    sort: (d) => d.name,
                  },
                  {
                    key: 'latest',
                    label: 'Latest',
                    render: (d) => (d.latestVersion ? `v${d.latestVersion}` : '—'),
                    sort: (d) => d.latestVersion,
                  },
                  {
                    key: 'versions',
                    label: 'Versions',
                    align: 'right',
                    render: (d) => d.versionCount.toLocaleString(),
                    sort: (d) => d.versionCount,
                  },
                  { key: 'by', label: 'Created by', render: (d) => <Actor id={d.createdBy} /> },
                  {
                    key: 'at',
                    label: 'Created',
                    render: (d) => <Time at={d.createdAt} />,
                    sort: (d) => d.createdAt,
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
