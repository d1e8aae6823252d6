import type { PageRoute } from '../../routes.js';
import { AnnotationDashboard } from './annotation-dashboard.js';
import { AnnotationProjectsPage } from './annotation-projects-page.js';
import { AnnotatorPage } from './annotator-page.js';
import './annotation.css';

/** The annotation pages: projects, a project's dashboard, and the annotator's page. */
export const ANNOTATION_ROUTES: PageRoute[] = [
  {
    path: '/annotation',
    nav: 'Annotation',
    permission: 'annotation-projects:read',
    render: () => <AnnotationProjectsPage />,
  },
  {
    path: '/annotation/:project',
    permission: 'annotation:read',
    render: (p) => <AnnotationDashboard project={p.project!} />,
  },
  {
    path: '/annotation/:project/label',
    permission: 'annotation:label',
    render: (p) => <AnnotatorPage project={p.project!} />,
  },
];
