import type { ModelVersion, RiskClass, Run } from '@plumb/sdk';
import { sha256Hex } from '../../core/audit/audit-hash.js';
import { isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
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
  | { kind: 'openai'; baseUrl: string; model: string };

export interface RegisterInput {
  artifact: ArtifactInput;
  runId?: string | undefined;
  card?: string | undefined;
  description: string;
  signature?: Record<string, unknown> | undefined;
  model?: { owner?: string | undefined; description?: string | undefined; riskClass?: RiskClass | undefined };
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
        'artifact_kind' | 'blob_ref' | 'artifact_size' | 'upstream_url' | 'upstream_model' | 'signature'
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
    if (a.kind === 'onnx') {
      const { size, signature } = await inspectOnnx(this.runtime, a.blobRef);
      return {
        artifact_kind: 'onnx',
        blob_ref: a.blobRef,
        artifact_size: size,
        upstream_url: null,
        upstream_model: null,
        signature: JSON.stringify(signature),
      };
    }
    return {
      artifact_kind: a.kind,
      blob_ref: null,
      artifact_size: null,
      upstream_url: a.kind === 'oip' ? a.url : a.baseUrl,
      upstream_model: a.kind === 'openai' ? a.model : null,
      signature: input.signature === undefined ? null : JSON.stringify(input.signature),
    };
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
