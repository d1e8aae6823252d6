/**
 * Whether the next item an annotator gets is a gold item. Each draw is a gold item with
 * probability `rate`, so gold items fall at no fixed positions an annotator could learn; a
 * run of luck is corrected once the count strays more than about one and a half items from
 * the rate, so every annotator's share stays close to it.
 */
export function wantsGold(goldServed: number, served: number, rate: number, u: number): boolean {
  if (rate <= 0) return false;
  const deficit = rate * (served + 1) - goldServed;
  if (deficit >= 1.5) return true;
  if (deficit <= -0.5) return false;
  return u < rate;
}
