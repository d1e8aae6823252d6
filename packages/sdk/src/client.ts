import type { z } from 'zod';
import { alertsMethods } from './alerts-client.js';
import { type AnnotationMethods, annotationMethods } from './annotation-client.js';
import { PlumbError } from './errors.js';
import { monitoringMethods } from './monitoring-client.js';
import { performanceMethods } from './performance-client.js';
import { pipelinesMethods } from './pipelines-client.js';
import { AuditRecord, AuditVerification, type ListAudit } from './schemas/audit.js';
import { type BlobGcRequest, BlobGcResult } from './schemas/blobs.js';
import { Page, type PageParams } from './schemas/common.js';
import {
  BlobInfo,
  type CreateDatasetVersion,
  CreatedDatasetVersion,
  Dataset,
  DatasetDiff,
  DatasetVersion,
  Lineage,
  RowsPage,
  type RowsQuery,
  type ValidateDatasetVersion,
  ValidationReport,
} from './schemas/datasets.js';
import {
  type CreateEndpoint,
  Endpoint,
  type ListReviewQueue,
  type PredictRequest,
  PredictResponse,
  ReviewItem,
  ShadowReportList,
  type UpdateEndpoint,
} from './schemas/endpoints.js';
import {
  CreatedEvalSuite,
  EvalRun,
  EvalRunSummary,
  EvalSuite,
  type ListEvalRuns,
  type StartEvalRun,
} from './schemas/evals.js';
import {
  FeedbackResult,
  InferenceEvent,
  type ListEvents,
  PostEvents,
  type PostFeedback,
  RecordedEvents,
} from './schemas/events.js';
import { Health } from './schemas/health.js';
import {
  ApiKey,
  type CreateApiKey,
  CreatedApiKey,
  KeyNames,
  type ListApiKeys,
  WhoAmI,
} from './schemas/keys.js';
import {
  AliasMove,
  type CreateModel,
  type DecidePromotion,
  InventoryItem,
  type ListPromotionRequests,
  Model,
  ModelAlias,
  ModelAliasList,
  ModelCard,
  ModelVersion,
  type PromoteModelVersion,
  PromotionOutcome,
  PromotionRequest,
  type RegisterModelVersion,
  type RollbackAlias,
  type SetModelAlias,
  type SetModelCard,
  type SetModelVersionStatus,
  type UpdateModel,
} from './schemas/models.js';
import { type CreateProject, Project } from './schemas/projects.js';
import {
  type CreateRun,
  type FinishRun,
  type ListRuns,
  LoggedRunMetrics,
  type LogRunArtifact,
  LogRunMetrics,
  Run,
  RunArtifact,
  RunComparison,
  type RunMetricHistoryQuery,
  RunMetricPoint,
  RunSummary,
} from './schemas/runs.js';
import { HttpTransport, type Query } from './transport.js';

/** Requests that read whole datasets (adding a version, validating one) may take minutes. */
const SCAN_TIMEOUT_MS = 60 * 60 * 1000;

export interface PlumbClientOptions {
  /** Base URL of the Plumb server, e.g. `http://127.0.0.1:7070`. */
  url: string;
  apiKey?: string;
  /** Injected for tests and non-standard runtimes; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Typed client for the Plumb REST API; works in Node 20+ and browsers. */
export class PlumbClient {
  readonly url: string;
  readonly #transport: HttpTransport;

  constructor(options: PlumbClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#transport = new HttpTransport({
      url: this.url,
      apiKey: options.apiKey,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  }

  readonly health = {
    live: () => this.request('GET', '/healthz', { schema: Health }),
    ready: () => this.request('GET', '/readyz', { schema: Health }),
  };

  readonly whoami = () => this.request('GET', '/api/v1/whoami', { schema: WhoAmI });

  readonly projects = {
    create: (body: CreateProject) => this.request('POST', '/api/v1/projects', { body, schema: Project }),
    list: (query: PageParams = {}) =>
      this.request('GET', '/api/v1/projects', { query, schema: Page(Project) }),
  };

  readonly keys = {
    create: (body: CreateApiKey) => this.request('POST', '/api/v1/keys', { body, schema: CreatedApiKey }),
    list: (query: ListApiKeys = {}) =>
      this.request('GET', '/api/v1/keys', {
        query: { ...query },
        schema: Page(ApiKey),
      }),
    revoke: (id: string) => this.request('POST', `/api/v1/keys/${enc(id)}/revoke`, { schema: ApiKey }),
    /** Every key of the caller's project by id and name, revoked ones too (audit records name them). */
    names: () => this.request('GET', '/api/v1/key-names', { schema: KeyNames }),
  };

  /** Content-addressed bytes: dataset files, run artifacts and model files are uploaded here first. */
  readonly blobs = {
    /**
     * Streams bytes up (a Node Readable or async iterable, a web ReadableStream, or a buffer);
     * pass `sha256` when known so a corrupted transfer is refused. Uses fetch so it works in
     * browsers; Node's fetch reads a streamed body ahead of the socket, so multi-gigabyte
     * uploads from Node are better sent with `node:http` (the plumb CLI does).
     */
    upload: async (body: BlobBody, options: { sha256?: string } = {}) => {
      const response = await this.raw('POST', '/api/v1/blobs', {
        body,
        query: options.sha256 ? { sha256: options.sha256 } : {},
      });
      return BlobInfo.parse(await response.json());
    },
    stat: (ref: string) => this.request('GET', `/api/v1/blobs/${enc(ref)}/stat`, { schema: BlobInfo }),
    /** The blob's bytes as a web stream. */
    download: async (ref: string): Promise<ReadableStream<Uint8Array>> => {
      const response = await this.raw('GET', `/api/v1/blobs/${enc(ref)}`);
      if (!response.body) throw new PlumbError('internal', `empty response for blob ${ref}`);
      return response.body;
    },
    /** Admin only: removes blobs nothing references, older than the grace period (default a day). */
    gc: (body: BlobGcRequest = {}) =>
      this.request('POST', '/api/v1/blobs/gc', { body, schema: BlobGcResult }),
  };

  readonly datasets = {
    list: (query: PageParams = {}) =>
      this.request('GET', '/api/v1/datasets', { query, schema: Page(Dataset) }),
    /** Waits while the server reads every file (about 1.7 M CSV rows a second). */
    addVersion: (name: string, body: CreateDatasetVersion) =>
      this.request('POST', `/api/v1/datasets/${enc(name)}/versions`, {
        body,
        schema: CreatedDatasetVersion,
        timeoutMs: SCAN_TIMEOUT_MS,
      }),
    versions: (name: string, query: PageParams = {}) =>
      this.request('GET', `/api/v1/datasets/${enc(name)}/versions`, { query, schema: Page(DatasetVersion) }),
    /** `ref` is `name@vN`, `name@latest` or `name`. */
    get: (ref: string) => this.request('GET', versionPath(ref), { schema: DatasetVersion }),
    rows: (ref: string, query: RowsQuery = {}) =>
      this.request('GET', `${versionPath(ref)}/rows`, { query, schema: RowsPage }),
    diff: (from: string, to: string) =>
      this.request('GET', `${versionPath(to)}/diff`, { query: { against: from }, schema: DatasetDiff }),
    validate: (ref: string, body: ValidateDatasetVersion) =>
      this.request('POST', `${versionPath(ref)}/validations`, {
        body,
        schema: ValidationReport,
        timeoutMs: SCAN_TIMEOUT_MS,
      }),
    report: (id: string) =>
      this.request('GET', `/api/v1/validation-reports/${enc(id)}`, { schema: ValidationReport }),
    lineage: (ref: string) => this.request('GET', `${versionPath(ref)}/lineage`, { schema: Lineage }),
  };

  readonly audit = {
    list: (query: ListAudit = {}) =>
      this.request('GET', '/api/v1/audit', { query, schema: Page(AuditRecord) }),
    verify: () => this.request('POST', '/api/v1/audit/verify', { schema: AuditVerification }),
  };

  readonly runs = {
    create: (body: CreateRun) => this.request('POST', '/api/v1/runs', { body, schema: Run }),
    get: (id: string) => this.request('GET', `/api/v1/runs/${enc(id)}`, { schema: Run }),
    list: (query: ListRuns = {}) => this.request('GET', '/api/v1/runs', { query, schema: Page(RunSummary) }),
    /** One batch, one transaction. Checked here first: JSON cannot carry NaN or Infinity. */
    logMetrics: (id: string, body: LogRunMetrics) => {
      const checked = LogRunMetrics.safeParse(body);
      if (!checked.success) return Promise.reject(invalidBody(checked.error.issues));
      return this.request('POST', `/api/v1/runs/${enc(id)}/metrics`, { body, schema: LoggedRunMetrics });
    },
    metricHistory: (id: string, query: RunMetricHistoryQuery) =>
      this.request('GET', `/api/v1/runs/${enc(id)}/metrics`, { query, schema: Page(RunMetricPoint) }),
    logArtifact: (id: string, body: LogRunArtifact) =>
      this.request('POST', `/api/v1/runs/${enc(id)}/artifacts`, { body, schema: RunArtifact }),
    finish: (id: string, body: FinishRun = {}) =>
      this.request('POST', `/api/v1/runs/${enc(id)}/finish`, { body, schema: Run }),
    compare: (ids: string[]) =>
      this.request('GET', '/api/v1/runs/compare', { query: { ids: ids.join(',') }, schema: RunComparison }),
  };

  /** The inference log: predictions made elsewhere, their ground truth, and the log itself. */
  readonly events = {
    /**
     * Up to 10,000 events, all or nothing; resolves with their ids once they are committed.
     * Checked here first: JSON would turn a NaN confidence or cost into null, which means unknown.
     */
    record: (body: PostEvents) => {
      const checked = PostEvents.safeParse(body);
      if (!checked.success) return Promise.reject(invalidBody(checked.error.issues));
      return this.request('POST', '/api/v1/events', { body, schema: RecordedEvents });
    },
    list: (query: ListEvents = {}) =>
      this.request('GET', '/api/v1/events', { query, schema: Page(InferenceEvent) }),
    /** Ground truth by prediction id; ids the project has no event for come back in `unknown`. */
    feedback: (body: PostFeedback) =>
      this.request('POST', '/api/v1/feedback', { body, schema: FeedbackResult }),
  };

  /** The model registry. Versions are named `name@vN`, `name@latest` or `name@<alias>`. */
  readonly models = {
    create: (body: CreateModel) => this.request('POST', '/api/v1/models', { body, schema: Model }),
    list: (query: PageParams = {}) => this.request('GET', '/api/v1/models', { query, schema: Page(Model) }),
    get: (name: string) => this.request('GET', `/api/v1/models/${enc(name)}`, { schema: Model }),
    update: (name: string, body: UpdateModel) =>
      this.request('PATCH', `/api/v1/models/${enc(name)}`, { body, schema: Model }),
    /** Upload an ONNX file with `blobs.upload` first and pass its ref, or name an upstream. */
    register: (name: string, body: RegisterModelVersion) =>
      this.request('POST', `/api/v1/models/${enc(name)}/versions`, { body, schema: ModelVersion }),
    versions: (name: string, query: PageParams = {}) =>
      this.request('GET', `/api/v1/models/${enc(name)}/versions`, { query, schema: Page(ModelVersion) }),
    version: (ref: string) => this.request('GET', modelVersionPath(ref), { schema: ModelVersion }),
    setStatus: (ref: string, body: SetModelVersionStatus) =>
      this.request('POST', `${modelVersionPath(ref)}/status`, { body, schema: ModelVersion }),
    card: (ref: string) => this.request('GET', `${modelVersionPath(ref)}/card`, { schema: ModelCard }),
    setCard: (ref: string, body: SetModelCard) =>
      this.request('PUT', `${modelVersionPath(ref)}/card`, { body, schema: ModelVersion }),
    lineage: (ref: string) => this.request('GET', `${modelVersionPath(ref)}/lineage`, { schema: Lineage }),
    /** Moves the alias, or answers `pending_approval` with the request an approver must decide. */
    promote: (ref: string, body: PromoteModelVersion = {}) =>
      this.request('POST', `${modelVersionPath(ref)}/promote`, { body, schema: PromotionOutcome }),
    aliases: (name: string) =>
      this.request('GET', `/api/v1/models/${enc(name)}/aliases`, { schema: ModelAliasList }),
    setAlias: (name: string, alias: string, body: SetModelAlias) =>
      this.request('PUT', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}`, { body, schema: ModelAlias }),
    aliasHistory: (name: string, alias: string, query: PageParams = {}) =>
      this.request('GET', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}/history`, {
        query,
        schema: Page(AliasMove),
      }),
    rollback: (name: string, alias = 'champion', body: RollbackAlias = {}) =>
      this.request('POST', `/api/v1/models/${enc(name)}/aliases/${enc(alias)}/rollback`, {
        body,
        schema: ModelAlias,
      }),
    requests: (query: ListPromotionRequests = {}) =>
      this.request('GET', '/api/v1/promotion-requests', { query, schema: Page(PromotionRequest) }),
    request: (id: string) =>
      this.request('GET', `/api/v1/promotion-requests/${enc(id)}`, { schema: PromotionRequest }),
    approve: (id: string, body: DecidePromotion) =>
      this.request('POST', `/api/v1/promotion-requests/${enc(id)}/approve`, {
        body,
        schema: PromotionRequest,
      }),
    reject: (id: string, body: DecidePromotion) =>
      this.request('POST', `/api/v1/promotion-requests/${enc(id)}/reject`, {
        body,
        schema: PromotionRequest,
      }),
    inventory: (query: PageParams = {}) =>
      this.request('GET', '/api/v1/inventory', { query, schema: Page(InventoryItem) }),
  };

  /** Evaluation suites (versioned YAML), evaluation runs and their gate decisions. */
  readonly evals = {
    /** Stores the YAML as its suite's next version; identical text returns the latest (`created: false`). */
    createSuite: (yaml: string) =>
      this.request('POST', '/api/v1/eval-suites', { body: { yaml }, schema: CreatedEvalSuite }),
    listSuites: (query: PageParams = {}) =>
      this.request('GET', '/api/v1/eval-suites', { query, schema: Page(EvalSuite) }),
    /** `name` (the latest version), `name@vN` or `name@latest`. */
    getSuite: (ref: string) => {
      const at = ref.indexOf('@');
      const path =
        at === -1
          ? `/api/v1/eval-suites/${enc(ref)}`
          : `/api/v1/eval-suites/${enc(ref.slice(0, at))}/versions/${enc(ref.slice(at + 1))}`;
      return this.request('GET', path, { schema: EvalSuite });
    },
    suiteVersions: (name: string, query: PageParams = {}) =>
      this.request('GET', `/api/v1/eval-suites/${enc(name)}/versions`, { query, schema: Page(EvalSuite) }),
    /** Queues an evaluation; poll `getRun` or use `waitForRun`. */
    run: (body: StartEvalRun) => this.request('POST', '/api/v1/eval-runs', { body, schema: EvalRun }),
    getRun: (id: string) => this.request('GET', `/api/v1/eval-runs/${enc(id)}`, { schema: EvalRun }),
    listRuns: (query: ListEvalRuns = {}) =>
      this.request('GET', '/api/v1/eval-runs', { query, schema: Page(EvalRunSummary) }),
    /** The self-contained HTML report of a run. */
    reportHtml: async (id: string) =>
      (await this.raw('GET', `/api/v1/eval-runs/${enc(id)}/report.html`)).text(),
    /** Polls a run until it has succeeded or failed; `onProgress` sees every poll. */
    waitForRun: async (
      id: string,
      options: { intervalMs?: number; onProgress?: (run: EvalRun) => void; signal?: AbortSignal } = {},
    ): Promise<EvalRun> => {
      for (;;) {
        const run = await this.evals.getRun(id);
        options.onProgress?.(run);
        if (run.status === 'succeeded' || run.status === 'failed') return run;
        options.signal?.throwIfAborted();
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
      }
    },
  };

  /** Endpoints: what applications call; which model version answers is decided in Plumb. */
  readonly endpoints = {
    create: (body: CreateEndpoint) => this.request('POST', '/api/v1/endpoints', { body, schema: Endpoint }),
    list: (query: PageParams = {}) =>
      this.request('GET', '/api/v1/endpoints', { query, schema: Page(Endpoint) }),
    get: (name: string) => this.request('GET', `/api/v1/endpoints/${enc(name)}`, { schema: Endpoint }),
    update: (name: string, body: UpdateEndpoint) =>
      this.request('PATCH', `/api/v1/endpoints/${enc(name)}`, { body, schema: Endpoint }),
    delete: (name: string) => this.request('DELETE', `/api/v1/endpoints/${enc(name)}`, { schema: Endpoint }),
    /** Rows of named features; pass `routeKey` to keep a caller on one route. */
    predict: (name: string, body: PredictRequest) =>
      this.request('POST', `/api/v1/endpoints/${enc(name)}/predict`, { body, schema: PredictResponse }),
    shadows: (name: string) =>
      this.request('GET', `/api/v1/endpoints/${enc(name)}/shadows`, { schema: ShadowReportList }),
    reviewQueue: (name: string, query: ListReviewQueue = {}) =>
      this.request('GET', `/api/v1/endpoints/${enc(name)}/review-queue`, { query, schema: Page(ReviewItem) }),
  };

  /** Annotation projects: tasks handed out blind, labels, agreement, review and export. */
  readonly annotation: AnnotationMethods = annotationMethods(this);

  /** Monitors: drift of an endpoint's inputs and outputs from stored profiles. */
  readonly monitors = monitoringMethods(this);

  /** Endpoint performance per window: realised from feedback, estimated before it, and traffic. */
  readonly performance = performanceMethods(this);

  /** Alert rules on monitored values, the alerts they open, and their webhook deliveries. */
  readonly alerts = alertsMethods(this);

  /** Pipelines: versioned step graphs, their runs, logs and approvals. */
  readonly pipelines = pipelinesMethods(this);

  /** Follows `nextCursor` until the list is exhausted. */
  async *paginate<T>(list: (query: PageParams) => Promise<Page<T>>, limit = 200): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await list({ limit, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** A request whose body or response is bytes; errors are rebuilt as for JSON requests. */
  raw(method: string, path: string, options: { body?: BlobBody; query?: Query } = {}): Promise<Response> {
    return this.#transport.send(method, path, {
      ...(options.query ? { query: options.query } : {}),
      ...(options.body === undefined ? {} : { body: options.body, contentType: 'application/octet-stream' }),
    });
  }

  /** A JSON request whose response is checked against the contract. */
  request<S extends z.ZodType>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
  ): Promise<z.infer<S>> {
    return this.#transport.json(method, path, options);
  }
}

/** The same error the server answers a bad body with: each issue names its field. */
function invalidBody(issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[]) {
  const list = issues.map((i) => ({
    field: i.path.map(String).join('.') || '(body)',
    message: i.message,
    code: i.code,
  }));
  const first = list[0]!;
  const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
  return new PlumbError('invalid_argument', `invalid body: ${first.field}: ${first.message}${more}`, {
    details: { issues: list },
  });
}

/** What an upload accepts: Node streams are async iterables of bytes. */
export type BlobBody = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array | Blob;

function versionPath(ref: string): string {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const version = at === -1 ? 'latest' : ref.slice(at + 1);
  return `/api/v1/datasets/${enc(name)}/versions/${enc(version)}`;
}

/** `name@vN`, `name@latest` or `name@<alias>` as a path. */
function modelVersionPath(ref: string): string {
  const at = ref.indexOf('@');
  if (at < 1)
    throw new PlumbError(
      'invalid_argument',
      `"${ref}" is not a model version; write name@vN or name@<alias>`,
    );
  return `/api/v1/models/${enc(ref.slice(0, at))}/versions/${enc(ref.slice(at + 1))}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
