import type { Page, ReviewItem } from '@plumb/sdk';
import type { RequestContext } from '../../core/context.js';

/** What annotation takes from other modules, narrowed to what it calls. */
export interface AnnotationPorts {
  /** A dataset version of the caller's project, by `name@vN`. */
  resolveDataset(
    ctx: RequestContext,
    ref: string,
  ): Promise<{ id: string; ref: string; sliceColumn: string | null }>;
  /** A page of a version's rows as objects, in file order. */
  datasetRows(
    ctx: RequestContext,
    ref: string,
    offset: number,
    limit: number,
  ): Promise<{ rows: Record<string, unknown>[]; total: number }>;
  /** An endpoint's low-confidence predictions waiting for review. */
  reviewQueue(
    ctx: RequestContext,
    endpoint: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<ReviewItem>>;
  /**
   * Recent predictions of an endpoint whose `field` takes a value production sees more often
   * than training did (by at least `minGap`, or never seen in training), from the monitoring
   * module's coverage report. Fails with `failed_precondition` where no monitoring runs.
   */
  coverageGaps(
    ctx: RequestContext,
    query: { endpoint: string; field: string; minGap: number; limit: number },
  ): Promise<{ predictionId: string; inputs: Record<string, unknown> }[]>;
  /** Stores JSON lines as a new version of dataset `name`, with its parents and tags. */
  writeDataset(
    ctx: RequestContext,
    name: string,
    jsonl: Uint8Array,
    meta: { parents: string[]; message: string; tags: Record<string, string> },
  ): Promise<{ id: string; ref: string }>;
}
