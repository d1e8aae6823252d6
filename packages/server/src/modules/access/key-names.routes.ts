import { KeyNames } from '@plumb/sdk';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { KeysService } from './keys.service.js';

export function keyNameRoutes(services: { keys: KeysService }): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/key-names',
      permission: 'keys:names',
      summary: "Every key of the caller's project by id and name, so who did what reads as a name",
      tag: 'access',
      response: KeyNames,
      handler: ({ ctx }) => services.keys.names(ctx),
    }),
  ];
}
