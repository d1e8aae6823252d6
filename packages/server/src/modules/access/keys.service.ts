import { timingSafeEqual } from 'node:crypto';
import type { ApiKey, CreatedApiKey, KeyNames, Page, Role } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import {
  displayPrefix,
  generateSecret,
  hashSecret,
  looksLikeSecret,
} from '../../core/auth/api-key-secret.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { type Authenticated, actorOf, type Principal, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, isString, pageOf } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import type { ApiKeysTable } from './access.tables.js';
import { type KeyRow, KeysRepo } from './keys.repo.js';
import { DEFAULT_PROJECT, type ProjectsService } from './projects.service.js';
import { type CachedKey, VerifiedKeyCache } from './verified-key-cache.js';

/** last_used_at is written at most this often per key, so reads do not each cost a write. */
const TOUCH_INTERVAL_MS = 60_000;

export class KeysService {
  private readonly repo: KeysRepo;
  private readonly verified = new VerifiedKeyCache();

  constructor(
    private readonly db: Db,
    private readonly projects: ProjectsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.repo = new KeysRepo(db);
  }

  async create(
    ctx: RequestContext,
    input: { name: string; role: Role; project?: string | undefined },
  ): Promise<CreatedApiKey> {
    const projectName = input.project ?? ctx.principal.projectName;
    const project = await this.projects.getByName(projectName);
    const secret = generateSecret();
    const row = await this.db.kysely.transaction().execute(async (trx) => {
      const row: ApiKeysTable = {
        id: newId('key'),
        project_id: project.id,
        name: input.name,
        role: input.role,
        prefix: displayPrefix(secret),
        secret_hash: hashSecret(secret),
        created_at: isoNow(this.clock),
        created_by: actorOf(ctx),
        last_used_at: null,
        revoked_at: null,
      };
      await this.repo.insert(trx, row);
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: project.id,
        action: 'key.create',
        resource: `key:${row.id}`,
        change: { name: row.name, role: row.role, project: project.name },
      });
      return row;
    });
    return { key: toApiKey({ ...row, project_name: project.name }), secret };
  }

  async list(query: {
    limit: number;
    cursor?: string | undefined;
    includeRevoked?: boolean | undefined;
    project?: string | undefined;
  }): Promise<Page<ApiKey>> {
    const afterId = decodeCursor(query.cursor, isString);
    const projectId =
      query.project === undefined ? undefined : (await this.projects.getByName(query.project)).id;
    const rows = await this.repo.list(
      {
        includeRevoked: query.includeRevoked ?? false,
        ...(projectId === undefined ? {} : { projectId }),
        ...(afterId === undefined ? {} : { afterId }),
      },
      query.limit + 1,
    );
    return pageOf(rows, query.limit, toApiKey, (r) => r.id);
  }

  /** The names behind the key ids that audit records and authorship fields show. */
  async names(ctx: RequestContext): Promise<KeyNames> {
    const rows = await this.repo.names(ctx.principal.projectId);
    return { items: rows.map((r) => ({ id: r.id, name: r.name, revoked: r.revoked_at !== null })) };
  }

  async revoke(ctx: RequestContext, id: string): Promise<ApiKey> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.repo.findById(id, trx);
      if (!row) throw new PlumbError('not_found', `key ${id} does not exist`);
      const at = isoNow(this.clock);
      if (!(await this.repo.revoke(trx, id, at))) {
        throw new PlumbError('failed_precondition', `key ${id} is already revoked`);
      }
      await this.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: row.project_id,
        action: 'key.revoke',
        resource: `key:${id}`,
        change: { revokedAt: at },
      });
      return toApiKey({ ...row, revoked_at: at });
    });
  }

  /** The principal behind a secret, or null for an unknown or revoked key. */
  async authenticate(secret: string): Promise<Principal | null> {
    return (await this.check(secret))?.principal ?? null;
  }

  /**
   * The principal behind a secret and the change stamp the check read (which the request's own
   * lookups then use), or null for an unknown or revoked key.
   */
  async check(secret: string): Promise<Authenticated | null> {
    if (!looksLikeSecret(secret)) return null;
    const hash = hashSecret(secret);
    const stamp = await this.repo.changeStamp();
    const cached = await this.verified.get(stamp, hash, () => this.load(hash));
    if (!cached || !sameHash(cached.hashBytes, hash)) return null;
    const { row } = cached;
    const now = this.clock.now().getTime();
    if (cached.lastUsedMs === null || now - cached.lastUsedMs > TOUCH_INTERVAL_MS) {
      // Set before the write so concurrent requests of one key do not each write.
      cached.lastUsedMs = now;
      await this.repo.touch(row.id, new Date(now).toISOString());
    }
    const principal: Principal = {
      keyId: row.id,
      keyName: row.name,
      role: row.role as Role,
      projectId: row.project_id,
      projectName: row.project_name,
    };
    return { principal, readAt: stamp };
  }

  private async load(hash: string): Promise<CachedKey | null> {
    const row = await this.repo.findByHash(hash);
    if (!row || row.revoked_at !== null) return null;
    return {
      row,
      hashBytes: Buffer.from(row.secret_hash, 'hex'),
      lastUsedMs: row.last_used_at === null ? null : Date.parse(row.last_used_at),
    };
  }

  /**
   * First start: with no active key, creates the default project (if missing) and an admin
   * key, using `adminKey` when given so automation knows it in advance. Returns the secret to
   * show once, or null when keys already exist. Revoking every key and restarting is also how
   * an operator with access to the machine regains an admin key.
   */
  async bootstrap(adminKey: string | undefined): Promise<{ secret: string; key: ApiKey } | null> {
    return this.db.kysely.transaction().execute(async (trx) => {
      if ((await this.repo.countActive(trx)) > 0) return null;
      const project =
        (await this.projects.findByName(DEFAULT_PROJECT, trx)) ??
        (await this.projects.createIn(trx, null, {
          name: DEFAULT_PROJECT,
          description: 'Created on first start',
        }));
      const secret = adminKey ?? generateSecret();
      const row: ApiKeysTable = {
        id: newId('key'),
        project_id: project.id,
        name: 'first admin',
        role: 'admin',
        prefix: displayPrefix(secret),
        secret_hash: hashSecret(secret),
        created_at: isoNow(this.clock),
        created_by: null,
        last_used_at: null,
        revoked_at: null,
      };
      await this.repo.insert(trx, row);
      await this.audit.append(trx, {
        actor: actorOf(null),
        projectId: project.id,
        action: 'key.bootstrap',
        resource: `key:${row.id}`,
        change: { name: row.name, role: row.role, project: project.name, fromConfig: adminKey !== undefined },
      });
      return { secret, key: toApiKey({ ...row, project_name: project.name }) };
    });
  }
}

/** Compares a stored digest with a hex one in time independent of where they differ. */
function sameHash(stored: Buffer, hex: string): boolean {
  const given = Buffer.from(hex, 'hex');
  return stored.length === given.length && timingSafeEqual(stored, given);
}

function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    projectId: row.project_id,
    project: row.project_name,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
