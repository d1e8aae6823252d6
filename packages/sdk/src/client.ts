import type { z } from 'zod';
import { ErrorEnvelope, PlumbError } from './errors.js';
import { AuditRecord, AuditVerification, type ListAudit } from './schemas/audit.js';
import { Page, type PageParams } from './schemas/common.js';
import { Health } from './schemas/health.js';
import { ApiKey, type CreateApiKey, CreatedApiKey, type ListApiKeys, WhoAmI } from './schemas/keys.js';
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

export interface PlumbClientOptions {
  /** Base URL of the Plumb server, e.g. `http://127.0.0.1:7070`. */
  url: string;
  apiKey?: string;
  /** Injected for tests and non-standard runtimes; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

type Query = { [key: string]: string | number | boolean | undefined } | object;

/** Typed client for the Plumb REST API; works in Node 20+ and browsers. */
export class PlumbClient {
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: PlumbClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
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

  /** Follows `nextCursor` until the list is exhausted. */
  async *paginate<T>(list: (query: PageParams) => Promise<Page<T>>, limit = 200): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await list({ limit, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; schema: S },
  ): Promise<z.infer<S>> {
    const url = new URL(this.url + path);
    for (const [k, v] of Object.entries((options.query ?? {}) as Record<string, unknown>)) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new PlumbError('unavailable', `cannot reach Plumb at ${this.url}: ${describe(cause)}`, { cause });
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) throw errorFrom(response.status, json, text);
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      throw new PlumbError('internal', `unexpected response from ${method} ${path}`, {
        details: parsed.error.issues,
      });
    }
    return parsed.data;
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

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, json: unknown, text: string): PlumbError {
  const envelope = ErrorEnvelope.safeParse(json);
  if (envelope.success) {
    const { code, message, details } = envelope.data.error;
    return new PlumbError(code, message, { details });
  }
  // A proxy or a non-Plumb server answered; keep what it said so the user can see why.
  const code =
    status === 401
      ? 'unauthenticated'
      : status === 403
        ? 'permission_denied'
        : status === 404
          ? 'not_found'
          : status >= 500
            ? 'unavailable'
            : 'invalid_argument';
  return new PlumbError(code, `HTTP ${status}: ${text.slice(0, 200)}`);
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}
