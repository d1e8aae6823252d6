import { all, useLoad, useSession } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { Async, Empty, Link, PageHeader, Time } from '../../components/ui.js';
import { href } from '../../router.js';
import { KeyId } from './key-id.js';

export function AnnotationProjectsPage() {
  const { can } = useSession();
  const state = useLoad((c) => all(c, c.annotation.list), []);
  return (
    <>
      <PageHeader
        title="Annotation"
        sub="Label schemas, guidelines, overlap, gold items, agreement and review"
      />
      <Async state={state}>
        {(items) =>
          items.length === 0 ? (
            <Empty command="plumb annotate project create reviews --schema schema.yaml --guidelines guidelines.md">
              No annotation projects yet. Create one from a label schema and guidelines:
            </Empty>
          ) : (
            <section className="card">
              <DataTable
                rows={items}
                rowKey={(p) => p.id}
                testId="annotation-projects"
                initialSort={{ key: 'name' }}
                columns={[
                  {
                    key: 'name',
                    label: 'Project',
                    render: (p) => (
                      <div>
                        {can('annotation:read') ? (
                          <Link to={href('/annotation', p.name)} className="strong">
                            {p.name}
                          </Link>
                        ) : (
                          <strong>{p.name}</strong>
                        )}
                        {p.description ? <div className="muted small">{p.description}</div> : null}
                      </div>
                    ),
                    sort: (p) => p.name,
                  },
                  {
                    key: 'items',
                    label: 'Items',
                    align: 'right',
                    render: (p) => p.items.toLocaleString(),
                    sort: (p) => p.items,
                  },
                  { key: 'overlap', label: 'Overlap', align: 'right', render: (p) => p.settings.overlap },
                  { key: 'guidelines', label: 'Guidelines', render: (p) => `v${p.guidelinesVersion}` },
                  {
                    key: 'label',
                    label: '',
                    render: (p) =>
                      can('annotation:label') ? (
                        <Link to={href('/annotation', p.name, 'label')} className="button primary">
                          Label
                        </Link>
                      ) : null,
                  },
                  { key: 'by', label: 'Created by', render: (p) => <KeyId id={p.createdBy} /> },
                  {
                    key: 'at',
                    label: 'Created',
                    render: (p) => <Time at={p.createdAt} />,
                    sort: (p) => p.createdAt,
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
