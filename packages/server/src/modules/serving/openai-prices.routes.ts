import { Page } from '@plumb/sdk';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { ListPrices, Price, SetPrice } from './openai-prices.schemas.js';
import type { PricesService } from './openai-prices.service.js';

export function priceRoutes({ prices }: { prices: PricesService }): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/prices',
      permission: 'endpoints:write',
      summary:
        'Set the price of an upstream model from a date (USD per million prompt and completion tokens); the same date again replaces it',
      tag: 'endpoints',
      body: SetPrice,
      response: Price,
      status: 201,
      handler: ({ ctx, body }) => prices.set(ctx, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/prices',
      permission: 'endpoints:read',
      summary: 'Prices of upstream models by model and effective date',
      tag: 'endpoints',
      query: ListPrices,
      response: Page(Price),
      handler: ({ ctx, query }) => prices.list(ctx, query),
    }),
  ];
}
