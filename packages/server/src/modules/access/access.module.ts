import { Role } from '@plumb/sdk';
import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import { registerAccessCommands } from './access.cli.js';
import { accessMigrations } from './access.migrations.js';
import { accessRoutes } from './access.routes.js';
import { keyNameRoutes } from './key-names.routes.js';
import { KeysService } from './keys.service.js';
import { ProjectsService } from './projects.service.js';

/** Projects and API keys: who is calling, in which project, with which role. */
export const accessModule = defineModule({
  name: 'access',
  migrations: accessMigrations,
  permissions: {
    'self:read': Role.options,
    'projects:read': READERS,
    'projects:write': [],
    'keys:read': [],
    'keys:write': [],
    // Names only, for the people reading who did what; service keys read no metadata.
    'keys:names': [...READERS, 'annotator'],
  },
  create: ({ db, audit, clock, permissions }) => {
    const projects = new ProjectsService(db, audit, clock);
    return { projects, keys: new KeysService(db, projects, audit, clock), permissionTable: permissions };
  },
  routes: (services) => [...accessRoutes(services), ...keyNameRoutes(services)],
  cli: registerAccessCommands,
});
