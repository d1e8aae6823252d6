import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';

export const Project = z.object({
  id: Id,
  name: Name,
  description: z.string(),
  createdAt: Timestamp,
});
export type Project = z.infer<typeof Project>;

export const CreateProject = z
  .object({
    name: Name,
    description: z.string().max(2000).default(''),
  })
  .strict();
export type CreateProject = z.input<typeof CreateProject>;

export const ListProjects = PageQuery;
