import type { Readable } from 'node:stream';
import { type BlobGcResult, type BlobInfo, GC_LISTED_REFS } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { blobRef, parseBlobRef, parseSha256 } from '../../storage/blob/blob-ref.js';
import type { BlobSource, BlobStat, BlobStore } from '../../storage/blob/blob-store.js';
import type { Db } from '../../storage/database.js';
import { BlobsRepo } from './blobs.repo.js';
import { Mutex } from './mutex.js';

export interface BlobsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  store: BlobStore;
  /** Bytes each project may own; undefined for no limit. */
  quotaBytes: number | undefined;
  /**
   * Every blob ref a dataset version, run artifact, model version or evaluation report holds,
   * in any project. Assembled in the wiring from the modules that own those tables.
   */
  referencedRefs(): Promise<Iterable<string>>;
}

export interface UploadOptions {
  expectedSha256?: string | undefined;
  /** The request's Content-Length, when the client sent one: lets the quota refuse up front. */
  contentLength?: number | undefined;
}

/** Deleted in one transaction each, so a collection of millions of blobs never holds one lock long. */
const GC_BATCH = 500;

/**
 * Blobs as projects see them. The bytes are content-addressed and stored once for everyone;
 * a project sees a blob only when it uploaded it (or referenced it before ownership existed),
 * and answers for any other blob are exactly those for a blob nobody stored.
 */
export class BlobsService {
  private readonly repo: BlobsRepo;
  /**
   * Orders ownership changes against garbage collection in this process: an upload of content
   * already stored records its ownership only after checking the bytes are still there, and a
   * collection re-reads ownership before removing. Writes to the audit chain serialize anyway.
   */
  private readonly ownership = new Mutex();

  constructor(private readonly deps: BlobsDeps) {
    this.repo = new BlobsRepo(deps.db);
  }

  /** Stores the bytes (once globally) and records that the caller's project holds them. */
  async upload(ctx: RequestContext, source: BlobSource, options: UploadOptions = {}): Promise<BlobInfo> {
    const projectId = ctx.principal.projectId;
    const expected = options.expectedSha256 === undefined ? undefined : parseSha256(options.expectedSha256);
    const quota = this.deps.quotaBytes;
    if (quota !== undefined && options.contentLength !== undefined) {
      // Re-sending content the project already holds adds nothing, so it is never refused.
      const held = expected !== undefined && (await this.repo.find(projectId, blobRef(expected)));
      if (!held) {
        const used = await this.repo.usage(projectId);
        if (used + options.contentLength > quota)
          throw quotaExceeded(ctx, quota, used, options.contentLength);
      }
    }

    const put = await this.deps.store.put(source, expected === undefined ? {} : { expectedSha256: expected });
    try {
      return await this.ownership.run(async () => {
        if (put.existed && !(await this.deps.store.stat(put.ref))) {
          throw new PlumbError(
            'unavailable',
            `blob ${put.ref} was removed while it was being uploaded (garbage collection); upload it again`,
            { details: { ref: put.ref } },
          );
        }
        return this.deps.db.kysely.transaction().execute(async (trx) => {
          // Appending first takes the audit chain's lock, so concurrent uploads (from other
          // replicas too) read ownership and usage one after the other: none slips under the quota.
          await this.deps.audit.append(trx, {
            actor: actorOf(ctx),
            projectId,
            action: 'blob.upload',
            resource: `blob:${put.ref}`,
            change: { ref: put.ref, size: put.size },
          });
          const held = await this.repo.find(projectId, put.ref, trx);
          if (!held) {
            const used = await this.repo.usage(projectId, trx);
            if (quota !== undefined && used + put.size > quota)
              throw quotaExceeded(ctx, quota, used, put.size);
            await this.repo.insert(trx, {
              project_id: projectId,
              ref: put.ref,
              size: put.size,
              created_at: isoNow(this.deps.clock),
              created_by: actorOf(ctx),
            });
          }
          return { ref: put.ref, size: put.size, existed: held !== undefined };
        });
      });
    } catch (error) {
      // Bytes this upload wrote that no project holds are removed now rather than left to GC.
      if (!put.existed) {
        await this.ownership.run(async () => {
          if (!(await this.repo.owned(put.ref))) await this.deps.store.delete(put.ref);
        });
      }
      throw error;
    }
  }

  /** The blob's size if the project holds it and its bytes are stored; null otherwise. */
  async statIn(projectId: string, ref: string): Promise<BlobStat | null> {
    parseBlobRef(ref);
    const owner = await this.repo.find(projectId, ref);
    if (!owner) return null;
    return this.deps.store.stat(ref);
  }

  /**
   * `statIn` for a module about to reference the blob (a dataset version, a run artifact, a
   * model version): also restarts the blob's grace period, so garbage collection cannot remove
   * it while, say, a long dataset scan runs before the version is written.
   */
  async statForUse(projectId: string, ref: string): Promise<BlobStat | null> {
    const stat = await this.statIn(projectId, ref);
    if (stat) await this.deps.store.touch(ref);
    return stat;
  }

  /** Opens a blob the caller's project holds; `not_found` otherwise, as for one never stored. */
  async open(ctx: RequestContext, ref: string): Promise<{ size: number; stream: Readable }> {
    const stat = await this.statIn(ctx.principal.projectId, ref);
    if (!stat) throw notStored(ref);
    return { size: stat.size, stream: await this.deps.store.get(ref) };
  }

  /** Reads a blob whose visibility the caller has already checked (a version's own artifact). */
  get(ref: string): Promise<Readable> {
    return this.deps.store.get(ref);
  }

  /**
   * Removes the blobs no dataset version, run artifact, model version or evaluation report
   * references, that nobody uploaded, re-uploaded or used within the grace period, with their
   * ownership rows. Instance-wide: admin keys only.
   */
  async collectGarbage(
    ctx: RequestContext,
    options: { dryRun: boolean; graceSeconds: number },
  ): Promise<BlobGcResult> {
    const cutoffMs = this.deps.clock.now().getTime() - options.graceSeconds * 1000;
    const cutoff = new Date(cutoffMs).toISOString();
    const referenced = new Set(await this.deps.referencedRefs());
    const owned = await this.repo.newestOwnership();
    const candidates = new Map<string, number>();
    for await (const blob of this.deps.store.list()) {
      const newestOwner = owned.get(blob.ref);
      owned.delete(blob.ref);
      if (referenced.has(blob.ref) || blob.modifiedAt.getTime() >= cutoffMs) continue;
      if (newestOwner !== undefined && newestOwner >= cutoff) continue;
      candidates.set(blob.ref, blob.size);
    }
    // Ownership rows left whose bytes are gone hold quota for nothing; removed as well, uncounted.
    const orphans = [...owned].filter(([ref, newest]) => !referenced.has(ref) && newest < cutoff);

    if (!options.dryRun) {
      // A version may have started referencing a candidate while the store was listed.
      for (const ref of await this.deps.referencedRefs()) candidates.delete(ref);
    }
    const removed: string[] = [];
    let bytes = 0;
    const all = [...candidates.keys()];
    for (let i = 0; i < all.length; i += GC_BATCH) {
      const batch = all.slice(i, i + GC_BATCH);
      if (options.dryRun) {
        removed.push(...batch);
        continue;
      }
      await this.ownership.run(async () => {
        const recent = await this.repo.newestOwnership(batch);
        const doomed = batch.filter((ref) => (recent.get(ref) ?? '') < cutoff);
        await this.deps.db.kysely.transaction().execute((trx) => this.repo.deleteRefs(trx, doomed));
        for (const ref of doomed) if (await this.deps.store.delete(ref)) removed.push(ref);
      });
    }
    for (const ref of removed) bytes += candidates.get(ref) ?? 0;

    const result: BlobGcResult = {
      dryRun: options.dryRun,
      graceSeconds: options.graceSeconds,
      removed: removed.length,
      bytes,
      refs: removed.slice(0, GC_LISTED_REFS),
    };
    if (!options.dryRun) {
      await this.deps.db.kysely.transaction().execute(async (trx) => {
        await this.repo.deleteRefs(
          trx,
          orphans.map(([ref]) => ref),
        );
        await this.deps.audit.append(trx, {
          actor: actorOf(ctx),
          projectId: null,
          action: 'blob.gc',
          resource: 'blobs:*',
          change: { graceSeconds: options.graceSeconds, removed: result.removed, bytes, refs: result.refs },
        });
      });
    }
    return result;
  }
}

export function notStored(ref: string): PlumbError {
  return new PlumbError('not_found', `blob ${ref} is not stored`, { details: { ref } });
}

function quotaExceeded(ctx: RequestContext, quota: number, used: number, adding: number): PlumbError {
  return new PlumbError(
    'failed_precondition',
    `project ${ctx.principal.projectName} has a storage quota of ${quota} bytes (PLUMB_PROJECT_QUOTA_BYTES) and uses ${used}; this upload of ${adding} bytes would exceed it`,
    { details: { quotaBytes: quota, usedBytes: used, uploadBytes: adding } },
  );
}
