import type { ProfileStore } from './profile-store.js';
import type { WindowKey } from './profiles.repo.js';

/** A field's values in production and how often each came, from merged profiles. */
export interface ProductionValues {
  total: number;
  values: [value: string | number | boolean, count: number][];
}

/**
 * Each value of a field over [from, to): frequent items for categories (exact while the field
 * has few values), the quantile sketch's retained items and weights for numbers.
 */
export async function productionValues(
  store: ProfileStore,
  key: WindowKey,
  field: string,
  from: number,
  to: number,
): Promise<ProductionValues> {
  const { features } = await store.merged(key, { from, to, features: [field] }, new Map());
  const profile = features.get(field)?.profile;
  if (!profile) return { total: 0, values: [] };
  const values = new Map<string, [string | number | boolean, number]>();
  for (const t of profile.frequentItems?.top() ?? []) values.set(String(t.item), [t.item, t.estimate]);
  const sketch = profile.quantileSketch;
  if (sketch) {
    const { values: items, cum } = sketch.sortedView();
    let prev = 0;
    for (let i = 0; i < items.length; i++) {
      values.set(String(items[i]), [items[i]!, cum[i]! - prev]);
      prev = cum[i]!;
    }
  }
  return { total: profile.numericCount + profile.categoricalCount, values: [...values.values()] };
}
