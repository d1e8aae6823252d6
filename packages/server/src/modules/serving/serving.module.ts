import { join } from 'node:path';
import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { EventSink } from '../events/events.contract.js';
import type { Registry } from '../registry/registry.js';
import { EndpointsRepo } from './endpoints.repo.js';
import { endpointRoutes } from './endpoints.routes.js';
import { EndpointsService } from './endpoints.service.js';
import { EventTimes } from './event-times.js';
import { oipRoutes } from './oip.routes.js';
import { OipService } from './oip.service.js';
import { openAiRoutes } from './openai.routes.js';
import { OpenAiChatService } from './openai-chat.service.js';
import { registerPriceCommands } from './openai-prices.cli.js';
import { PricesRepo } from './openai-prices.repo.js';
import { priceRoutes } from './openai-prices.routes.js';
import { PricesService } from './openai-prices.service.js';
import { OpenAiUpstream } from './openai-upstream.js';
import { PredictService } from './predict.service.js';
import { RedactionKey } from './redaction.js';
import { ReviewQueueService } from './review-queue.service.js';
import { registerServingCommands } from './serving.cli.js';
import { servingMigrations } from './serving.migrations.js';
import type { ServingRegistry } from './serving.ports.js';
import { meteredEvents } from './serving-metrics.js';
import { shadowFigures } from './serving-metrics.repo.js';
import { ShadowRunner } from './shadow-runner.js';
import { VersionRunner } from './version-runner.js';

// A type literal, not an interface: the composition root reads every module's services as a record.
export type ServingServices = {
  endpoints: EndpointsService;
  predictions: PredictService;
  shadows: ShadowRunner;
  reviews: ReviewQueueService;
  oip: OipService;
  prices: PricesService;
  chat: OpenAiChatService;
  eventTimes: EventTimes;
};

/** Endpoints: traffic over model versions, shadows, fallback, cache, review; REST and OIP v2. */
export const servingModule = defineModule<ServingServices, { registry: Registry; events: EventSink }>({
  name: 'serving',
  migrations: servingMigrations,
  permissions: {
    'endpoints:read': READERS,
    'endpoints:write': ['maintainer'],
    'endpoints:predict': ['service', 'maintainer'],
  },
  needs: ['registry', 'events'],
  create: ({ db, audit, clock, config, models, metrics, permissions, secrets }, ports) => {
    const registry: ServingRegistry = {
      resolve: (projectId, ref) => ports.registry.models.resolve(projectId, ref),
      riskClass: async (projectId, model) =>
        (await ports.registry.models.requireModel(projectId, model)).risk_class,
    };
    const repo = new EndpointsRepo(db);
    const runner = new VersionRunner(models);
    // Created below; shadows only ask it once a prediction has been served.
    let predictions: PredictService;
    const endpoints = new EndpointsService({ db, audit, clock, registry }, repo);
    const events = meteredEvents(() => ports.events, metrics.serving);
    metrics.serving.shadowsFrom(() => shadowFigures(db));
    const shadows = new ShadowRunner({
      repo,
      runner,
      events,
      servable: (projectId, target) => predictions.servable(projectId, target),
    });
    predictions = new PredictService(
      {
        clock,
        registry,
        events,
        runner,
        shadows,
        redactionKey: new RedactionKey({
          secret: config.redactionKey,
          file: join(config.home, 'redaction.key'),
        }),
      },
      endpoints,
      repo,
    );
    const prices = new PricesService({ db, audit, clock }, new PricesRepo(db));
    const chat = new OpenAiChatService({
      clock,
      endpoints,
      servable: (projectId, target) => predictions.servable(projectId, target),
      loggable: (endpoint, row) => predictions.loggable(endpoint, row),
      // Counted by the chat service itself, with tokens, cost and time to first chunk.
      events: () => ports.events,
      prices,
      upstream: new OpenAiUpstream(),
      secrets,
      shadowStats: repo,
      meter: metrics.serving,
    });
    return {
      endpoints,
      predictions,
      shadows,
      reviews: new ReviewQueueService(endpoints, repo),
      oip: new OipService(endpoints, predictions),
      prices,
      chat,
      eventTimes: new EventTimes({ permissions, clock }),
    };
  },
  routes: (services) => [
    ...endpointRoutes(services),
    ...oipRoutes(services),
    ...priceRoutes(services),
    ...openAiRoutes(services),
  ],
  cli: (program) => {
    registerServingCommands(program);
    registerPriceCommands(program);
  },
  close: async ({ shadows, chat }) => {
    await shadows.drain();
    await chat.shadows.drain();
  },
});
