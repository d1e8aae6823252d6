import { z } from 'zod';
import { Id, Name, type PageParams, PageQuery, Timestamp } from './common.js';

export const Role = z.enum(['admin', 'maintainer', 'approver', 'annotator', 'viewer', 'service']);
export type Role = z.infer<typeof Role>;

export const ApiKey = z.object({
  id: Id,
  projectId: Id,
  project: Name,
  name: z.string(),
  role: Role,
  prefix: z.string(),
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKey = z
  .object({
    name: z.string().min(1).max(200),
    role: Role,
    /** Project name; defaults to the caller's project. Only admins may name another project. */
    project: Name.optional(),
  })
  .strict();
export type CreateApiKey = z.input<typeof CreateApiKey>;

/** The only time a key's secret is ever returned. */
export const CreatedApiKey = z.object({ key: ApiKey, secret: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ListApiKeys = PageQuery.extend({
  includeRevoked: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  project: Name.optional(),
}).strict();
export type ListApiKeys = PageParams & { includeRevoked?: boolean; project?: string };

export const KeyIdParams = z.object({ id: Id }).strict();

/** A key of the caller's project by id and name, to show who did something; nothing else of it. */
export const KeyName = z.object({ id: Id, name: z.string(), revoked: z.boolean() });
export type KeyName = z.infer<typeof KeyName>;
export const KeyNames = z.object({ items: z.array(KeyName) });
export type KeyNames = z.infer<typeof KeyNames>;

export const WhoAmI = z.object({
  keyId: Id,
  keyName: z.string(),
  role: Role,
  projectId: Id,
  project: Name,
  /** Every permission the role holds (`models:approve`…), so a client offers only what it may do. */
  permissions: z.array(z.string()),
});
export type WhoAmI = z.infer<typeof WhoAmI>;
