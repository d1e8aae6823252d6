import type { AuditRecord, AuditVerification, Page } from '@plumb/sdk';
import type { Db, Executor } from '../../storage/database.js';
import { canonicalJson } from '../canonical-json.js';
import { type Clock, isoNow } from '../clock.js';
import { decodeCursor, isNumber, pageOf } from '../pagination.js';
import { type AuditFilter, AuditRepo } from './audit.repo.js';
import type { AuditRecordsTable } from './audit.tables.js';
import { recordHash, sha256Hex } from './audit-hash.js';

export interface AuditEntry {
  actor: string;
  projectId: string | null;
  /** Verb in `noun.verb` form, e.g. `key.create`. */
  action: string;
  /** `kind:identifier`, e.g. `key:key_01J…` or `dataset:weather@v3`. */
  resource: string;
  /** What changed; stored as canonical JSON and covered by the hash through its digest. */
  change: unknown;
}

/**
 * The tamper-evident audit trail. Every mutation calls `append` inside its own transaction, so
 * a change and its record commit or roll back together.
 */
export class AuditService {
  private readonly repo: AuditRepo;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.repo = new AuditRepo(db);
  }

  async append(trx: Executor, entry: AuditEntry): Promise<AuditRecord> {
    const head = await this.repo.lockHead(trx);
    const change = canonicalJson(entry.change ?? null);
    const fields = {
      seq: head.seq + 1,
      time: isoNow(this.clock),
      actor: entry.actor,
      projectId: entry.projectId,
      action: entry.action,
      resource: entry.resource,
      digest: sha256Hex(change),
    };
    const hash = recordHash(head.hash, fields);
    const row: AuditRecordsTable = {
      seq: fields.seq,
      time: fields.time,
      actor: fields.actor,
      project_id: fields.projectId,
      action: fields.action,
      resource: fields.resource,
      change,
      digest: fields.digest,
      prev_hash: head.hash,
      hash,
    };
    await this.repo.append(trx, row);
    return toRecord(row);
  }

  async list(
    filter: Omit<AuditFilter, 'beforeSeq'> & { limit: number; cursor?: string },
  ): Promise<Page<AuditRecord>> {
    const beforeSeq = decodeCursor(filter.cursor, isNumber);
    const rows = await this.repo.list(
      { ...filter, ...(beforeSeq === undefined ? {} : { beforeSeq }) },
      filter.limit + 1,
    );
    return pageOf(rows, filter.limit, toRecord, (r) => r.seq);
  }

  /**
   * Recomputes the chain from the first record and reports the first that does not verify:
   * an edited record fails its hash, a deleted or inserted one breaks the sequence or the
   * previous-hash link, a reordered one breaks the link, and a truncated tail no longer matches
   * the head row.
   */
  async verify(): Promise<AuditVerification> {
    let expectedSeq = 1;
    let prevHash = '0'.repeat(64);
    let checked = 0;
    const broken = (
      seq: number,
      reason: NonNullable<AuditVerification['firstBroken']>['reason'],
      message: string,
    ) => ({ ok: false, checked, headSeq: expectedSeq - 1, firstBroken: { seq, reason, message } }) as const;

    for await (const row of this.repo.scan()) {
      if (row.seq !== expectedSeq) {
        return broken(row.seq, 'sequence_gap', `expected record ${expectedSeq}, found ${row.seq}`);
      }
      if (row.prev_hash !== prevHash) {
        return broken(
          row.seq,
          'prev_hash_mismatch',
          `record ${row.seq} does not link to record ${row.seq - 1}`,
        );
      }
      const digest = sha256Hex(row.change);
      const hash = recordHash(row.prev_hash, {
        seq: row.seq,
        time: row.time,
        actor: row.actor,
        projectId: row.project_id,
        action: row.action,
        resource: row.resource,
        digest,
      });
      if (digest !== row.digest || hash !== row.hash) {
        return broken(row.seq, 'hash_mismatch', `record ${row.seq} was changed after it was written`);
      }
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    const head = await this.repo.head();
    if (head.seq !== expectedSeq - 1 || head.hash !== prevHash) {
      return broken(
        Math.min(head.seq, expectedSeq),
        'head_mismatch',
        `the chain ends at record ${expectedSeq - 1} but the head says ${head.seq}`,
      );
    }
    return { ok: true, checked, headSeq: head.seq, firstBroken: null };
  }
}

function toRecord(row: AuditRecordsTable): AuditRecord {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    projectId: row.project_id,
    action: row.action,
    resource: row.resource,
    change: JSON.parse(row.change),
    digest: row.digest,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
