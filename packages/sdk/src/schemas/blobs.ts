import { z } from 'zod';
import { BlobRef } from './datasets.js';

/** Refs listed in a garbage collection's answer at most; the counts cover every removed blob. */
export const GC_LISTED_REFS = 1000;

export const BlobGcRequest = z
  .object({
    /** Report what would be removed without removing anything. */
    dryRun: z.boolean().default(false),
    /**
     * Blobs uploaded, re-uploaded or used more recently than this are kept, so a blob an
     * upload just wrote is never removed before the version that will reference it exists.
     */
    graceSeconds: z
      .number()
      .int('expected a whole number of seconds')
      .min(60, 'expected a grace period of at least 60 seconds')
      .default(24 * 60 * 60),
  })
  .strict();
export type BlobGcRequest = z.input<typeof BlobGcRequest>;

export const BlobGcResult = z.object({
  dryRun: z.boolean(),
  graceSeconds: z.number().int(),
  /** Blobs removed (or, in a dry run, that would be). */
  removed: z.number().int().nonnegative(),
  /** Bytes those blobs held. */
  bytes: z.number().int().nonnegative(),
  /** The removed refs, the first GC_LISTED_REFS of them. */
  refs: z.array(BlobRef),
});
export type BlobGcResult = z.infer<typeof BlobGcResult>;
