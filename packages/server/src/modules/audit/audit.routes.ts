import { AuditRecord, AuditVerification, ListAudit, Page } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';

export function auditRoutes(services: { audit: AuditService }): RouteSpec[] {
  const { audit } = services;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit',
      permission: 'audit:read',
      summary: 'List audit records, newest first, filtered by resource, actor, action and time',
      tag: 'audit',
      query: ListAudit,
      response: Page(AuditRecord),
      // Admins read the whole trail; everyone else reads their own project's records.
      handler: ({ ctx, query }) =>
        audit.list({
          ...query,
          ...(ctx.principal.role === 'admin' ? {} : { projectId: ctx.principal.projectId }),
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/audit/verify',
      permission: 'audit:verify',
      summary: 'Recompute the hash chain and report the first record that does not verify',
      tag: 'audit',
      response: AuditVerification,
      handler: () => audit.verify(),
    }),
  ];
}
