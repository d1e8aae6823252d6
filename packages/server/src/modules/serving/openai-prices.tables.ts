/**
 * A price of one upstream model (the name the OpenAI-compatible upstream serves), in effect
 * from `effective_from` until the next price of the same model.
 */
export interface PricesTable {
  id: string;
  project_id: string;
  upstream_model: string;
  /** ISO-8601 UTC; prices compare as text, so every value is written by toISOString. */
  effective_from: string;
  /** USD per million prompt tokens. */
  input_per_1m: number;
  /** USD per million completion tokens. */
  output_per_1m: number;
  created_at: string;
  created_by: string;
}

export interface PricesTables {
  serving_prices: PricesTable;
}

declare module '../../storage/schema.js' {
  interface Database extends PricesTables {}
}
