import type { Role } from '@plumb/sdk';

/** Who is acting: an API key, or Plumb itself (bootstrap, scheduled work). */
export interface Principal {
  keyId: string;
  keyName: string;
  role: Role;
  projectId: string;
  projectName: string;
}

export interface RequestContext {
  principal: Principal;
  requestId: string;
  /**
   * The database's change stamp (the audit head's sequence) as read when the request's key was
   * checked: lookups cached under it are current as of the request's arrival, so the request's
   * own lookups need not read it again. Absent for work no request started.
   */
  readAt?: number;
}

/** A checked key: who it is, and the change stamp the check read. */
export interface Authenticated {
  principal: Principal;
  readAt: number;
}

/** The actor recorded for work Plumb does on its own (first start, schedules, triggers). */
export const SYSTEM_ACTOR = 'system';

export function actorOf(ctx: RequestContext | null): string {
  return ctx ? ctx.principal.keyId : SYSTEM_ACTOR;
}
