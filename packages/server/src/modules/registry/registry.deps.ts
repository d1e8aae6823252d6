import type { Readable } from 'node:stream';
import type { DatasetVersion, Lineage, Run } from '@plumb/sdk';
import type { AuditService } from '../../core/audit/audit.service.js';
import type { PermissionTable } from '../../core/auth/permissions.js';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import type { SecretSource } from '../../core/secrets.js';
import type { ModelRuntime } from '../../runtime/model-runtime.js';
import type { Db, Executor } from '../../storage/database.js';
import type { GateLookup } from './registry.contracts.js';

/** What the registry needs of the runs module. */
export interface RegistryRuns {
  /** Rejects with `not_found` when the run is not in the caller's project. */
  get(ctx: RequestContext, id: string): Promise<Run>;
}

/** What the registry needs of the datasets module. */
export interface RegistryDatasets {
  /** `name@vN` or `dsv_…`. */
  get(ctx: RequestContext, ref: string): Promise<DatasetVersion>;
  /** Runs inside the version's registering transaction, so the lineage edge commits with it. */
  recordConsumer(
    trx: Executor,
    versionId: string,
    consumer: { kind: 'model_version'; id: string },
  ): Promise<void>;
  lineage(ctx: RequestContext, ref: string): Promise<Lineage>;
}

/** Where model files are read from to check them. */
export interface ArtifactStore {
  stat(ref: string): Promise<{ size: number } | null>;
  get(ref: string): Promise<Readable>;
}

export interface RegistryDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  runs: RegistryRuns;
  datasets: RegistryDatasets;
  blobs: ArtifactStore;
  /** A model file's size when the project holds it (uploaded it); null otherwise, as for one never stored. */
  projectBlobs: { stat(ref: string, projectId: string): Promise<{ size: number } | null> };
  gates: GateLookup;
  /** This thread's shared model runtime: registration checks reuse a session it already holds. */
  runtime?: ModelRuntime;
  /** Loosening a policy needs `models:approve`, whoever holds it. */
  permissions: PermissionTable;
  /** Where upstreams' keys are read, to say in a version's view whether its key is there. */
  secrets?: SecretSource;
}
