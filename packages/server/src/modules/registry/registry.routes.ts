import type { RouteSpec } from '../../http/route.js';
import { modelRoutes } from './models.routes.js';
import { promotionRoutes } from './promotion.routes.js';
import type { Registry } from './registry.js';

/** Every registry route: models, versions, cards, lineage, inventory, aliases and promotions. */
export function registryRoutes(services: { registry: Registry }): RouteSpec[] {
  return [...modelRoutes(services.registry), ...promotionRoutes(services.registry)];
}
