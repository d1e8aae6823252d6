import type { Page } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, pageOf } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import type { PricesRepo } from './openai-prices.repo.js';
import type { ListPrices, Price, SetPrice } from './openai-prices.schemas.js';
import type { PricesTable } from './openai-prices.tables.js';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * The price table of upstream models: each price is in effect from its date until the model's
 * next one, so a completion is costed at the price of its own time, also after prices change.
 */
export class PricesService {
  constructor(
    private readonly deps: { db: Db; audit: AuditService; clock: Clock },
    private readonly repo: PricesRepo,
  ) {}

  /** Sets the price from a date; setting the same model and date again replaces it. */
  async set(ctx: RequestContext, input: SetPrice): Promise<Price> {
    const projectId = ctx.principal.projectId;
    const from = new Date(input.from).toISOString();
    const now = isoNow(this.deps.clock);
    const actor = actorOf(ctx);
    return this.deps.db.kysely.transaction().execute(async (trx) => {
      const before = await this.repo.find(trx, projectId, input.upstreamModel, from);
      const values = {
        input_per_1m: input.inputPer1m,
        output_per_1m: input.outputPer1m,
        created_at: now,
        created_by: actor,
      };
      let row: PricesTable;
      if (before) {
        await this.repo.update(trx, before.id, values);
        row = { ...before, ...values };
      } else {
        row = {
          id: newId('prc'),
          project_id: projectId,
          upstream_model: input.upstreamModel,
          effective_from: from,
          ...values,
        };
        await this.repo.insert(trx, row);
      }
      await this.deps.audit.append(trx, {
        actor,
        projectId,
        action: 'price.set',
        resource: `price:${input.upstreamModel}@${from}`,
        change: {
          before: before ? { inputPer1m: before.input_per_1m, outputPer1m: before.output_per_1m } : null,
          after: { inputPer1m: input.inputPer1m, outputPer1m: input.outputPer1m },
        },
      });
      return toPrice(row);
    });
  }

  async list(ctx: RequestContext, query: ListPrices): Promise<Page<Price>> {
    const after = decodeCursor(query.cursor, isModelAndFrom);
    const rows = await this.repo.list(
      ctx.principal.projectId,
      { model: query.upstreamModel, after },
      query.limit + 1,
    );
    return pageOf(rows, query.limit, toPrice, (r) => [r.upstream_model, r.effective_from]);
  }

  /**
   * USD for this usage at the model's price in effect at `at`; null when either is unknown
   * (no price yet, or the upstream reported no usage), as 0 would read as free.
   */
  async cost(projectId: string, model: string, at: Date, usage: TokenUsage | null): Promise<number | null> {
    return costOf(await this.priceAt(projectId, model, at), usage);
  }

  /** The model's price in effect at `at`, or null before its first price. */
  async priceAt(projectId: string, model: string, at: Date): Promise<UnitPrice | null> {
    const price = await this.repo.inEffect(projectId, model, at.toISOString());
    return price ? { inputPer1m: price.input_per_1m, outputPer1m: price.output_per_1m } : null;
  }
}

export interface UnitPrice {
  inputPer1m: number;
  outputPer1m: number;
}

/** USD for this usage at this price; null when either is unknown, as 0 would read as free. */
export function costOf(price: UnitPrice | null, usage: TokenUsage | null): number | null {
  if (!price || !usage) return null;
  return (usage.promptTokens * price.inputPer1m + usage.completionTokens * price.outputPer1m) / 1_000_000;
}

function isModelAndFrom(v: unknown): v is [string, string] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string');
}

function toPrice(r: PricesTable): Price {
  return {
    id: r.id,
    upstreamModel: r.upstream_model,
    inputPer1m: r.input_per_1m,
    outputPer1m: r.output_per_1m,
    from: r.effective_from,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
