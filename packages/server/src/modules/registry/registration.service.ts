import type { ModelVersion, RiskClass, Run } from '@plumb/sdk';
import { sha256Hex } from '../../core/audit/audit-hash.js';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import {
  credentialOf,
  describeCredential,
  ENV_NAME,
  isReservedEnvName,
  SECRET_FILE_NAME,
} from '../../core/secrets.js';
import { ModelRuntime } from '../../runtime/model-runtime.js';
import { inspectOnnx } from './model-artifact.js';
import { checkCardRisk, invalidRisk, type ParsedCard, parseCard, RISK_CLASSES } from './model-card.js';
import { versionRef } from './model-ref.js';
import type { ModelsService } from './models.service.js';
import type { RegistryDeps } from './registry.deps.js';
import type { ModelsTable, ModelVersionsTable } from './registry.tables.js';

export type ArtifactInput =
  | { kind: 'onnx'; blobRef: string }
  | { kind: 'oip'; url: string }
  | {
      kind: 'openai';
      baseUrl: string;
      model: string;
      /** Where the server reads the key it sends the upstream: a variable's or a secret file's name. */
      apiKeyEnv?: string | undefined;
      apiKeyFile?: string | undefined;
    };

export interface RegisterInput {
  artifact: ArtifactInput;
  runId?: string | undefined;
  card?: string | undefined;
  description: string;
  signature?: Record<string, unknown> | undefined;
  model?: { owner?: string | undefined; description?: string | undefined; riskClass?: RiskClass | undefined };
}

/** Refuses what the edge's schema refuses too, for callers of the service itself. */
function checkedCredential(a: { apiKeyEnv?: string | undefined; apiKeyFile?: string | undefined }) {
  if (a.apiKeyEnv !== undefined && a.apiKeyFile !== undefined)
    throw new PlumbError('invalid_argument', 'give apiKeyEnv or apiKeyFile, not both');
  if (a.apiKeyEnv !== undefined && (!ENV_NAME.test(a.apiKeyEnv) || isReservedEnvName(a.apiKeyEnv))) {
    throw new PlumbError(
      'invalid_argument',
      `apiKeyEnv ${JSON.stringify(a.apiKeyEnv)} must be an environment variable name other than Plumb's own PLUMB_ ones`,
    );
  }
  if (a.apiKeyFile !== undefined && !SECRET_FILE_NAME.test(a.apiKeyFile)) {
    throw new PlumbError(
      'invalid_argument',
      `apiKeyFile ${JSON.stringify(a.apiKeyFile)} must be a file name in the secrets folder, without a path`,
    );
  }
  return credentialOf({
    ...(a.apiKeyEnv !== undefined ? { apiKeyEnv: a.apiKeyEnv } : {}),
    ...(a.apiKeyFile !== undefined ? { apiKeyFile: a.apiKeyFile } : {}),
  });
}

/** Registers model versions: checks the artifact, the run and the card, records lineage. */
export class RegistrationService {
  private readonly runtime: ModelRuntime;

  constructor(
    private readonly deps: RegistryDeps,
    private readonly models: ModelsService,
  ) {
    this.runtime = deps.runtime ?? new ModelRuntime(deps.blobs);
  }

  /**
   * Creates `name@vN`, and the model itself on first registration (its risk class must then be
   * given, by the request or by the card: nobody gets a risk class by default). Everything is
   * checked before the transaction, which only writes.
   */
  async register(ctx: RequestContext, name: string, input: RegisterInput): Promise<ModelVersion> {
    const projectId = ctx.principal.projectId;
    const card = input.card === undefined ? null : parseCard(input.card);
    const run = input.runId === undefined ? null : await this.deps.runs.get(ctx, input.runId);
    // Another project's model file answers exactly as one never uploaded.
    const a = input.artifact;
    if (a.kind === 'onnx' && !(await this.deps.projectBlobs.stat(a.blobRef, projectId))) {
      throw new PlumbError(
        'failed_precondition',
        `the model file ${a.blobRef} has not been uploaded; upload it first`,
        {
          details: { blobRef: a.blobRef },
        },
      );
    }
    const artifact = await this.artifactColumns(input);

    const existing = await this.models.repo.findModel(projectId, name);
    const newModel = existing ? null : this.modelToCreate(ctx, name, input, card);

    // Two first registrations of a model, or two registrations racing for the same number on
    // PostgreSQL, end in a duplicate key; the loser tries again and sees the winner's rows.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insert(ctx, name, input, { card, run, artifact, newModel });
      } catch (error) {
        if (!PlumbError.is(error, 'already_exists') || attempt >= 3) throw error;
      }
    }
  }

  private async insert(
    ctx: RequestContext,
    name: string,
    input: RegisterInput,
    prepared: {
      card: ParsedCard | null;
      run: Run | null;
      artifact: Pick<
        ModelVersionsTable,
        | 'artifact_kind'
        | 'blob_ref'
        | 'artifact_size'
        | 'upstream_url'
        | 'upstream_model'
        | 'upstream_credential'
        | 'signature'
      >;
      newModel: ModelsTable | null;
    },
  ): Promise<ModelVersion> {
    const projectId = ctx.principal.projectId;
    const { run, artifact } = prepared;
    const id = await this.deps.db.kysely.transaction().execute(async (trx) => {
      let model = await this.models.repo.findModel(projectId, name, trx);
      if (!model) {
        model = prepared.newModel!;
        await this.models.repo.insertModel(trx, model);
        await this.models.auditCreate(trx, ctx, model);
      }
      await this.models.repo.lockModel(trx, model.id);
      checkCardRisk(prepared.card, model.risk_class);
      const now = isoNow(this.deps.clock);
      const row: ModelVersionsTable = {
        id: newId('mv'),
        model_id: model.id,
        version: await this.models.repo.nextVersionNumber(trx, model.id),
        ...artifact,
        run_id: run?.id ?? null,
        metrics: JSON.stringify(
          (run?.metrics ?? []).map((m) => ({ key: m.key, value: m.value, step: m.step })),
        ),
        status: 'registered',
        description: input.description,
        card: input.card ?? null,
        created_at: now,
        created_by: actorOf(ctx),
        status_changed_at: now,
      };
      const inputs = (run?.inputs ?? []).map((i, position) => ({
        version_id: row.id,
        position,
        dataset_version_id: i.datasetVersionId,
        ref: i.ref,
      }));
      await this.models.repo.insertVersion(trx, row, inputs);
      for (const i of inputs)
        await this.deps.datasets.recordConsumer(trx, i.dataset_version_id, {
          kind: 'model_version',
          id: row.id,
        });
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'model.version.register',
        resource: `model:${versionRef(name, row.version)}`,
        change: {
          id: row.id,
          artifact: {
            kind: artifact.artifact_kind,
            blobRef: artifact.blob_ref,
            url: artifact.upstream_url,
            model: artifact.upstream_model,
            // The reference only: the key itself is never in the registry.
            apiKey: artifact.upstream_credential === null ? null : JSON.parse(artifact.upstream_credential),
          },
          runId: row.run_id,
          datasets: inputs.map((i) => i.ref),
          card: input.card === undefined ? null : sha256Hex(input.card),
        },
      });
      return row.id;
    });
    return this.models.version(ctx, id);
  }

  private async artifactColumns(input: RegisterInput) {
    const a = input.artifact;
    const credential = a.kind === 'openai' ? checkedCredential(a) : null;
    if (a.kind === 'onnx') {
      const { size, signature } = await inspectOnnx(this.runtime, a.blobRef);
      return {
        artifact_kind: 'onnx',
        blob_ref: a.blobRef,
        artifact_size: size,
        upstream_url: null,
        upstream_model: null,
        upstream_credential: null,
        signature: JSON.stringify(signature),
      };
    }
    return {
      artifact_kind: a.kind,
      blob_ref: null,
      artifact_size: null,
      upstream_url: a.kind === 'oip' ? a.url : a.baseUrl,
      upstream_model: a.kind === 'openai' ? a.model : null,
      upstream_credential: credential === null ? null : JSON.stringify(credential),
      signature: input.signature === undefined ? null : JSON.stringify(input.signature),
    };
  }

  /**
   * The version with its upstream's key as the server finds it now (a variable unset, a file
   * missing), so `plumb model show-version` tells why calls would fail before one is made.
   */
  async withKeyStatus(version: ModelVersion): Promise<ModelVersion> {
    const a = version.artifact;
    const ref = a.kind === 'openai' ? credentialOf(a) : null;
    if (ref === null || !this.deps.secrets) return version;
    const problem = await this.deps.secrets.read(ref).then(
      () => null,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    return { ...version, upstreamKey: { reference: describeCredential(ref), problem } };
  }

  private modelToCreate(
    ctx: RequestContext,
    name: string,
    input: RegisterInput,
    card: ParsedCard | null,
  ): ModelsTable {
    const riskClass = input.model?.riskClass ?? card?.fields.risk_class ?? undefined;
    if (riskClass === undefined) {
      throw new PlumbError(
        'invalid_argument',
        `model ${name} does not exist yet: give its risk class (minimal, limited, high or unacceptable) ` +
          'to create it, or create it first with plumb model create',
      );
    }
    if (!RISK_CLASSES.includes(riskClass)) throw invalidRisk(riskClass);
    return this.models.newModel(ctx, {
      name,
      owner: input.model?.owner ?? card?.fields.owner ?? undefined,
      description: input.model?.description ?? '',
      riskClass: riskClass as RiskClass,
      policy: { gatedAliases: ['champion'], approvalRequired: false },
    });
  }
}
