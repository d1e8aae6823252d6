import {
  ApiKey,
  CreateApiKey,
  CreatedApiKey,
  CreateProject,
  KeyIdParams,
  ListApiKeys,
  ListProjects,
  Page,
  Project,
  WhoAmI,
} from '@plumb/sdk';
import type { PermissionTable } from '../../core/auth/permissions.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { KeysService } from './keys.service.js';
import type { ProjectsService } from './projects.service.js';

export function accessRoutes(services: {
  projects: ProjectsService;
  keys: KeysService;
  permissionTable: PermissionTable;
}): RouteSpec[] {
  const { projects, keys, permissionTable } = services;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/whoami',
      permission: 'self:read',
      summary: 'The key making the request, its role and project',
      tag: 'access',
      response: WhoAmI,
      handler: async ({ ctx }) => ({
        keyId: ctx.principal.keyId,
        keyName: ctx.principal.keyName,
        role: ctx.principal.role,
        projectId: ctx.principal.projectId,
        project: ctx.principal.projectName,
        permissions: permissionTable.list().filter((p) => permissionTable.allows(ctx.principal.role, p)),
      }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/projects',
      permission: 'projects:write',
      summary: 'Create a project',
      tag: 'access',
      body: CreateProject,
      response: Project,
      status: 201,
      handler: ({ ctx, body }) => projects.create(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/projects',
      permission: 'projects:read',
      summary: 'List projects',
      tag: 'access',
      query: ListProjects,
      response: Page(Project),
      handler: ({ ctx, query }) => projects.list(ctx, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/keys',
      permission: 'keys:write',
      summary: 'Create an API key; the secret is returned only in this response',
      tag: 'access',
      body: CreateApiKey,
      response: CreatedApiKey,
      status: 201,
      handler: ({ ctx, body }) => keys.create(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/keys',
      permission: 'keys:read',
      summary: 'List API keys (never their secrets)',
      tag: 'access',
      query: ListApiKeys,
      response: Page(ApiKey),
      handler: ({ query }) => keys.list(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/keys/:id/revoke',
      permission: 'keys:write',
      summary: 'Revoke an API key at once',
      tag: 'access',
      params: KeyIdParams,
      response: ApiKey,
      handler: ({ ctx, params }) => keys.revoke(ctx, params.id),
    }),
  ];
}
