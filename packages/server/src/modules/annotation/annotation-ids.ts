import { randomBytes } from 'node:crypto';

/**
 * Item ids are random, not time-ordered like other ids: gold items are added apart from the
 * tasks, and a sortable id would tell an annotator which items were added together.
 */
export function itemId(): string {
  return `ani_${randomBytes(13).toString('hex')}`;
}
