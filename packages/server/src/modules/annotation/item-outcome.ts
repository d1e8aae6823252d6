import type { LabelValue } from '@plumb/sdk';
import type { Executor } from '../../storage/database.js';
import { itemAgreement, majority } from './agreement.js';
import type { AnnotationRepo } from './annotation.repo.js';
import type { AnnotationItemsTable } from './annotation.tables.js';
import type { ProjectRecord } from './annotation-mapper.js';

/**
 * Settles an item once it has all its labels: its agreement, and by the project's consensus
 * rule either a consensus (majority with enough agreement, possibly sampled for a spot check)
 * or a place in the review queue. Reviewed items keep the reviewer's decision.
 */
export async function settleItem(
  trx: Executor,
  repo: AnnotationRepo,
  p: ProjectRecord,
  item: AnnotationItemsTable,
  random: () => number,
): Promise<void> {
  if (item.status === 'resolved') return;
  const labels = await repo.itemLabels(trx, item.id);
  if (labels.length < (item.target ?? Number.POSITIVE_INFINITY)) {
    if (item.status !== 'open') {
      await repo.setOutcome(trx, item.id, {
        status: 'open',
        agreement: null,
        consensus: null,
        consensus_source: null,
        spot_check: 0,
      });
    }
    return;
  }
  const values = labels.map((l) => JSON.parse(l.value) as LabelValue);
  const agreement = itemAgreement(p.schema, values);
  const rule = p.settings.consensus;
  if (rule.rule === 'reviewer') {
    await repo.setOutcome(trx, item.id, {
      status: 'review',
      agreement,
      consensus: null,
      consensus_source: null,
      spot_check: 0,
    });
    return;
  }
  const top = majority(p.schema, values);
  const disagreed =
    (agreement !== null && agreement < p.settings.adjudicationThreshold) || top.share < rule.minAgreement;
  if (disagreed) {
    await repo.setOutcome(trx, item.id, {
      status: 'adjudication',
      agreement,
      consensus: null,
      consensus_source: null,
      spot_check: 0,
    });
    return;
  }
  // A spot check drawn once stays drawn when a label is edited, so edits cannot dodge it.
  const spot = item.spot_check === 1 || random() < p.settings.spotCheckRate ? 1 : 0;
  await repo.setOutcome(trx, item.id, {
    status: 'agreed',
    agreement,
    consensus: JSON.stringify(top.value),
    consensus_source: 'majority',
    spot_check: spot,
  });
}
