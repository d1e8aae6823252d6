import { InventoryService } from './inventory.service.js';
import { ModelCardService } from './model-card.service.js';
import { ModelLineageService } from './model-lineage.service.js';
import { ModelsService } from './models.service.js';
import { PromotionService } from './promotion.service.js';
import { RegistrationService } from './registration.service.js';
import type { RegistryDeps } from './registry.deps.js';

/** The model registry's services, built together because they share the models service. */
export interface Registry {
  /** Models and versions; also the ModelVersionResolver evaluations and serving use. */
  models: ModelsService;
  registration: RegistrationService;
  promotion: PromotionService;
  cards: ModelCardService;
  inventory: InventoryService;
  lineage: ModelLineageService;
}

export function createRegistry(deps: RegistryDeps): Registry {
  const models = new ModelsService(deps);
  const promotion = new PromotionService(deps, models);
  return {
    models,
    registration: new RegistrationService(deps, models),
    promotion,
    cards: new ModelCardService(deps, models, promotion),
    inventory: new InventoryService(deps),
    lineage: new ModelLineageService(deps, models),
  };
}
