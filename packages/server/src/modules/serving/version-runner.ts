import { PlumbError } from '../../core/errors.js';
import type { OutputTensor } from '../../runtime/classifier-output.js';
import type { ModelRuntime } from '../../runtime/model-runtime.js';
import type { ClassLabel } from '../../runtime/onnx-model-prep.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import { type RowAnswer, rowAnswers } from './served-output.js';

/** A batch for one version: rows of named features, or a row-major tensor (OIP). */
export type BatchInput =
  | { kind: 'named'; rows: Record<string, unknown>[] }
  | { kind: 'tensor'; data: Float32Array; rows: number; width: number };

export interface VersionRun {
  answers: RowAnswer[];
  latencyMs: number;
}

/**
 * Runs a resolved model version on a batch: ONNX files on this thread's shared sessions,
 * Open Inference Protocol upstreams over HTTP. Gives up waiting after `timeoutMs`; an ONNX run
 * cannot be interrupted, so its session finishes the batch in the background.
 */
export class VersionRunner {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis),
  ) {}

  async run(
    info: ModelVersionInfo,
    input: BatchInput,
    options: { features: string[] | null; timeoutMs: number },
  ): Promise<VersionRun> {
    const started = performance.now();
    const answers = await withTimeout(this.answer(info, input, options), options.timeoutMs, info.ref);
    return { answers, latencyMs: performance.now() - started };
  }

  private async answer(
    info: ModelVersionInfo,
    input: BatchInput,
    options: { features: string[] | null; timeoutMs: number },
  ): Promise<RowAnswer[]> {
    const artifact = info.artifact;
    if (artifact.kind === 'onnx') {
      const lease = await this.runtime.acquire(artifact.blobRef);
      try {
        const model = lease.value;
        const features = input.kind === 'named' ? featureList(info, options.features, model.metadata) : null;
        const batch = input.kind === 'named' ? matrixOf(input.rows, features!) : input;
        const outputs = await model.run(batch.data, batch.rows);
        return rowAnswers(outputs, batch.rows, model.classes);
      } finally {
        lease.release();
      }
    }
    if (artifact.kind === 'oip') {
      const features = input.kind === 'named' ? featureList(info, options.features, {}) : null;
      const batch = input.kind === 'named' ? matrixOf(input.rows, features!) : input;
      const outputs = await this.callOip(info, artifact.url, batch, options.timeoutMs);
      return rowAnswers(outputs, batch.rows, classesOf(info));
    }
    throw new PlumbError(
      'failed_precondition',
      `${info.ref} is an OpenAI-compatible upstream; endpoints serve ONNX and Open Inference Protocol models`,
    );
  }

  private post(info: ModelVersionInfo, url: string, timeoutMs: number, init: RequestInit): Promise<Response> {
    return postTo(this.fetchImpl, info.ref, url, timeoutMs, init);
  }

  private async callOip(
    info: ModelVersionInfo,
    url: string,
    batch: { data: Float32Array; rows: number; width: number },
    timeoutMs: number,
  ): Promise<OutputTensor[]> {
    const inputName = firstInputName(info.signature) ?? 'input';
    const response = await this.post(info, `${url.replace(/\/+$/, '')}/infer`, timeoutMs, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          {
            name: inputName,
            shape: [batch.rows, batch.width],
            datatype: 'FP32',
            data: Array.from(batch.data),
          },
        ],
      }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new PlumbError(
        'unavailable',
        `${info.ref}: the upstream answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    const body = JSON.parse(text) as {
      outputs?: { name: string; shape: number[]; datatype: string; data: unknown[] }[];
    };
    if (!Array.isArray(body.outputs))
      throw new PlumbError('unavailable', `${info.ref}: the upstream answered no outputs`);
    return body.outputs.map((o) => ({
      name: o.name,
      type: ORT_TYPE_OF[o.datatype] ?? o.datatype.toLowerCase(),
      dims: o.shape,
      data: (o.data as unknown[]).flat(Number.POSITIVE_INFINITY) as (number | string)[],
    }));
  }
}

/** The upstream's answer, or `unavailable` saying it timed out or could not be reached. */
async function postTo(
  fetchImpl: typeof fetch,
  ref: string,
  url: string,
  timeoutMs: number,
  init: RequestInit,
): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new PlumbError('unavailable', `${ref} timed out after ${timeoutMs} ms`, { cause: error });
    }
    throw new PlumbError(
      'unavailable',
      `${ref}: the upstream could not be reached: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

const ORT_TYPE_OF: Record<string, string> = {
  FP32: 'float32',
  FP64: 'float64',
  INT64: 'int64',
  INT32: 'int32',
  BOOL: 'bool',
  BYTES: 'string',
};

/** The endpoint's feature list, else the one the model records in its ONNX metadata `features`. */
function featureList(
  info: ModelVersionInfo,
  configured: string[] | null,
  metadata: Record<string, string>,
): string[] {
  if (configured) return configured;
  const raw = metadata.features;
  if (raw !== undefined) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((f) => typeof f === 'string'))
        return parsed;
    } catch {
      // malformed metadata is treated like none
    }
  }
  throw new PlumbError(
    'failed_precondition',
    `${info.ref} records no feature names (ONNX metadata "features"); give the endpoint a feature list`,
    { details: { modelVersion: info.ref } },
  );
}

/** Row-major float32 features in the given order; booleans are 1 and 0. */
export function matrixOf(rows: Record<string, unknown>[], features: string[]) {
  const data = new Float32Array(rows.length * features.length);
  rows.forEach((row, r) => {
    features.forEach((feature, f) => {
      const value = row[feature];
      let n: number;
      if (typeof value === 'number' && Number.isFinite(value)) n = value;
      else if (typeof value === 'boolean') n = value ? 1 : 0;
      else {
        throw new PlumbError(
          'invalid_argument',
          value === undefined
            ? `inputs[${r}] has no feature ${feature} (the model takes ${features.join(', ')})`
            : `inputs[${r}].${feature} must be a finite number or a boolean, got ${JSON.stringify(value)}`,
          { details: { row: r, feature, features } },
        );
      }
      data[r * features.length + f] = n;
    });
  });
  return { data, rows: rows.length, width: features.length };
}

function firstInputName(signature: unknown): string | undefined {
  const inputs = (signature as { inputs?: { name?: unknown }[] } | null)?.inputs;
  const name = Array.isArray(inputs) ? inputs[0]?.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function classesOf(info: ModelVersionInfo): ClassLabel[] | null {
  const classes = (info.signature as { classes?: unknown } | null)?.classes;
  return Array.isArray(classes) ? (classes as ClassLabel[]) : null;
}

/** Rejects with `unavailable` once `ms` pass; the work itself is left to finish or fail unseen. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PlumbError('unavailable', `${what} timed out after ${ms} ms`)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
