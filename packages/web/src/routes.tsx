import type { ReactNode } from 'react';
import { ANNOTATION_ROUTES } from './pages/annotation/annotation-routes.js';
import { AuditPage } from './pages/audit-page.js';
import { DatasetPage } from './pages/dataset-page.js';
import { DatasetsPage } from './pages/datasets-page.js';
import { EndpointPage } from './pages/endpoint-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { InventoryPage } from './pages/inventory-page.js';
import { ModelPage } from './pages/model-page.js';
import { PipelinePage } from './pages/pipeline-page.js';
import { PipelinesPage } from './pages/pipelines-page.js';

export interface PageRoute {
  /** `/models/:name`: segments starting with `:` are parameters. */
  path: string;
  render(params: Record<string, string>): ReactNode;
  /** Label in the left navigation, for pages reached from there. */
  nav?: string;
  /** Shown only to roles that hold this permission. */
  permission: string;
}

/** Every page of the UI. Adding a page is adding its component and one entry here. */
export const ROUTES: PageRoute[] = [
  { path: '/', nav: 'Inventory', permission: 'models:read', render: () => <InventoryPage /> },
  { path: '/models/:name', permission: 'models:read', render: (p) => <ModelPage name={p.name!} /> },
  { path: '/datasets', nav: 'Datasets', permission: 'datasets:read', render: () => <DatasetsPage /> },
  { path: '/datasets/:name', permission: 'datasets:read', render: (p) => <DatasetPage name={p.name!} /> },
  { path: '/endpoints', nav: 'Endpoints', permission: 'endpoints:read', render: () => <EndpointsPage /> },
  {
    path: '/endpoints/:name',
    permission: 'endpoints:read',
    render: (p) => <EndpointPage name={p.name!} />,
  },
  { path: '/pipelines', nav: 'Pipelines', permission: 'pipelines:read', render: () => <PipelinesPage /> },
  {
    path: '/pipelines/:name',
    permission: 'pipelines:read',
    render: (p) => <PipelinePage name={p.name!} />,
  },
  { path: '/audit', nav: 'Audit', permission: 'audit:read', render: () => <AuditPage /> },
  ...ANNOTATION_ROUTES,
];
