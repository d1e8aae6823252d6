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
}

/** The actor recorded for work Plumb does on its own (first start, schedules, triggers). */
export const SYSTEM_ACTOR = 'system';

export function actorOf(ctx: RequestContext | null): string {
  return ctx ? ctx.principal.keyId : SYSTEM_ACTOR;
}
