import { auditMigrations } from '../../core/audit/audit.migrations.js';
import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import { registerAuditCommands } from './audit.cli.js';
import { auditRoutes } from './audit.routes.js';

/** The audit chain over HTTP and the CLI; every module appends to it through `Infra.audit`. */
export const auditModule = defineModule({
  name: 'audit',
  migrations: auditMigrations,
  permissions: { 'audit:read': READERS, 'audit:verify': ['approver'] },
  create: ({ audit }) => ({ audit }),
  routes: auditRoutes,
  cli: registerAuditCommands,
});
