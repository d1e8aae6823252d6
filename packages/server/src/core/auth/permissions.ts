import { Role } from '@plumb/sdk';

/** A permission names a resource and an action: `datasets:read`. Modules declare their own. */
export type Permission = `${string}:${string}`;

/** Roles that read everything in their project. */
export const READERS: readonly Role[] = ['viewer', 'maintainer', 'approver'];

/**
 * Who may do what: every permission the modules declare, with the roles granted it. Admin keys
 * administer the whole instance and hold every permission. Built once, from the module
 * manifests; a route naming a permission no module declared is refused at start-up.
 */
export class PermissionTable {
  private readonly grants = new Map<string, ReadonlySet<Role>>();

  constructor(declarations: Iterable<[owner: string, permissions: Record<string, readonly Role[]>]>) {
    const ownerOf = new Map<string, string>();
    for (const [owner, permissions] of declarations) {
      for (const [permission, roles] of Object.entries(permissions)) {
        if (!/^[a-z-]+:[a-z-]+$/.test(permission)) {
          throw new TypeError(`module ${owner}: permission ${permission} is not of the form resource:action`);
        }
        const other = ownerOf.get(permission);
        if (other) throw new TypeError(`permission ${permission} is declared by both ${other} and ${owner}`);
        ownerOf.set(permission, owner);
        this.grants.set(permission, new Set<Role>(['admin', ...roles]));
      }
    }
  }

  has(permission: string): boolean {
    return this.grants.has(permission);
  }

  allows(role: Role, permission: string): boolean {
    return this.grants.get(permission)?.has(role) ?? false;
  }

  /** Every declared permission, in declaration order. */
  list(): string[] {
    return [...this.grants.keys()];
  }

  rolesFor(permission: string): Role[] {
    const granted = this.grants.get(permission);
    return Role.options.filter((role) => granted?.has(role));
  }
}
