import { z } from 'zod';

/** Prefixed, time-sortable identifier such as `prj_01J…`. */
export const Id = z.string().min(4).max(64);

export const Timestamp = z.iso.datetime({ offset: true });

export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(512).optional(),
  })
  .strict();
export type PageQuery = z.infer<typeof PageQuery>;
/** What a caller passes to a paged list. */
export interface PageParams {
  limit?: number;
  cursor?: string;
}

export function Page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Lower-case slug used for project and resource names. */
export const Name = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    'use lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
  );
