import { z } from 'zod';
import { Id, type PageParams, PageQuery, Timestamp } from './common.js';

export const AuditRecord = z.object({
  seq: z.number().int().positive(),
  time: Timestamp,
  actor: z.string(),
  projectId: Id.nullable(),
  action: z.string(),
  resource: z.string(),
  change: z.unknown(),
  digest: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export const ListAudit = PageQuery.extend({
  resource: z.string().max(300).optional(),
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
}).strict();
export type ListAudit = PageParams & Omit<z.input<typeof ListAudit>, 'limit'>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  headSeq: z.number().int(),
  /** The first record that does not verify, and why; null when the chain is intact. */
  firstBroken: z
    .object({
      seq: z.number().int(),
      reason: z.enum(['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap', 'head_mismatch']),
      message: z.string(),
    })
    .nullable(),
});
export type AuditVerification = z.infer<typeof AuditVerification>;
