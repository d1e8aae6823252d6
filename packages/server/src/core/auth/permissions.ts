import type { Role } from '@plumb/sdk';

/**
 * Every permission a route can require. Each route declares exactly one; the auth hook checks
 * it against the caller's role through ROLE_PERMISSIONS, the only table of who may do what.
 */
export const PERMISSIONS = [
  'self:read',
  'projects:read',
  'projects:write',
  'keys:read',
  'keys:write',
  'audit:read',
  'audit:verify',
  'runs:read',
  'runs:write',
  'blobs:read',
  'blobs:write',
  'datasets:read',
  'datasets:write',
  'evals:read',
  'evals:write',
  'models:read',
  'models:write',
  'models:approve',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = [
  'self:read',
  'projects:read',
  'audit:read',
  'runs:read',
  'blobs:read',
  'datasets:read',
  'evals:read',
  'models:read',
];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  // Admin keys administer the whole instance: projects, every project's keys, the audit chain.
  admin: new Set(PERMISSIONS),
  maintainer: new Set([
    ...READ,
    'runs:write',
    'blobs:write',
    'datasets:write',
    'evals:write',
    'models:write',
  ]),
  approver: new Set([...READ, 'audit:verify', 'models:approve']),
  annotator: new Set(['self:read']),
  viewer: new Set([...READ]),
  // Service keys are for applications: predictions, events and feedback only.
  service: new Set(['self:read']),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
