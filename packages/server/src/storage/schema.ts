import type { AuditTables } from '../core/audit/audit.tables.js';
import type { AccessTables } from '../modules/access/access.tables.js';
import type { DatasetTables } from '../modules/datasets/datasets.tables.js';
import type { EvalTables } from '../modules/evals/evals.tables.js';
import type { RegistryTables } from '../modules/registry/registry.tables.js';
import type { RunsTables } from '../modules/runs/runs.tables.js';
import type { JobTables } from './queue/jobs.tables.js';

/** Every table, each declared by the module that owns it. */
export interface Database
  extends AccessTables,
    AuditTables,
    JobTables,
    DatasetTables,
    RunsTables,
    RegistryTables,
    EvalTables {}
