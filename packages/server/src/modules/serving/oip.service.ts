import type { OipInferenceRequest, OipInferenceResponse } from '@plumb/sdk';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointsService } from './endpoints.service.js';
import type { PredictService } from './predict.service.js';

const NUMERIC = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
]);

const OIP_TYPE_OF: Record<string, string> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

/**
 * The Open Inference Protocol v2 over endpoints: an endpoint is an OIP model; its route's
 * versions are the model's versions. Inference takes the one row-major input tensor
 * `[rows, features]` and answers every output tensor as
 * onnxruntime gave it, through the same path as REST predictions (routing, fallback, cache,
 * logging, review, shadows).
 */
export class OipService {
  constructor(
    private readonly endpoints: EndpointsService,
    private readonly predictions: PredictService,
  ) {}

  async infer(
    ctx: RequestContext,
    name: string,
    version: string | undefined,
    body: OipInferenceRequest,
  ): Promise<OipInferenceResponse> {
    const pinned = version === undefined ? undefined : await this.versionTarget(ctx, name, version);
    if (body.inputs.length !== 1) {
      throw new PlumbError(
        'invalid_argument',
        `the model takes one input tensor; the request has ${body.inputs.length}`,
      );
    }
    const input = body.inputs[0]!;
    if (!NUMERIC.has(input.datatype)) {
      throw new PlumbError(
        'invalid_argument',
        `input ${input.name}: datatype ${input.datatype} is not accepted; send FP32 (or another numeric type)`,
      );
    }
    const flat = (input.data as unknown[]).flat(Number.POSITIVE_INFINITY);
    const count = input.shape.reduce((a, b) => a * b, 1);
    if (count !== flat.length) {
      throw new PlumbError(
        'invalid_argument',
        `input ${input.name}: shape [${input.shape.join(', ')}] holds ${count} elements but data has ${flat.length}`,
      );
    }
    if (input.shape.length !== 2 || count === 0) {
      throw new PlumbError(
        'invalid_argument',
        `input ${input.name}: expected shape [rows, features], got [${input.shape.join(', ')}]`,
      );
    }
    const [rows, width] = input.shape as [number, number];
    const data = new Float32Array(flat.length);
    flat.forEach((v, i) => {
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        throw new PlumbError('invalid_argument', `input ${input.name}: element ${i} is not a finite number`);
      }
      data[i] = n;
    });
    const result = await this.predictions.predict(ctx, name, {
      input: { kind: 'tensor', data, rows, width },
      pinned,
      ...(body.id ? { traceId: body.id.slice(0, 200) } : {}),
    });
    const first = result.predictions[0]!;
    if (result.predictions.some((p) => p.tensors === null)) {
      throw new PlumbError(
        'unavailable',
        `endpoint ${name} answered its fallback default, which is not a tensor`,
      );
    }
    const wanted = body.outputs?.map((o) => o.name);
    const names = first.tensors!.map((t) => t.name);
    for (const w of wanted ?? []) {
      if (!names.includes(w))
        throw new PlumbError('invalid_argument', `the model has no output ${w}; it has ${names.join(', ')}`);
    }
    const outputs = first
      .tensors!.map((t, k) => ({
        name: t.name,
        shape: [rows, ...t.dims],
        datatype: OIP_TYPE_OF[t.type] ?? t.type.toUpperCase(),
        data: result.predictions.flatMap((p) => p.tensors![k]!.data),
      }))
      .filter((o) => wanted === undefined || wanted.includes(o.name));
    return {
      model_name: name,
      ...(first.modelVersion ? { model_version: first.modelVersion } : {}),
      ...(body.id !== undefined ? { id: body.id } : {}),
      outputs,
    };
  }

  async metadata(ctx: RequestContext, name: string, version: string | undefined) {
    const served = await this.served(ctx, name);
    const info = version === undefined ? served[0]! : await this.resolvePinned(ctx, name, version, served);
    const signature = (info.signature ?? {}) as { inputs?: SigValue[]; outputs?: SigValue[] };
    const tensor = (v: SigValue) => ({
      name: v.name,
      datatype: OIP_TYPE_OF[v.elementType ?? ''] ?? String(v.elementType ?? 'BYTES').toUpperCase(),
      shape: (v.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
    });
    return {
      name,
      versions: [...new Set(served.map((s) => s.ref))],
      platform: info.artifact.kind === 'onnx' ? 'onnxruntime_onnx' : 'plumb_upstream',
      inputs: (signature.inputs ?? []).filter((v) => v.kind !== 'other').map(tensor),
      outputs: (signature.outputs ?? []).filter((v) => v.kind !== 'other').map(tensor),
    };
  }

  /** Not ready when a route's version no longer resolves or may not be served; 404 for no endpoint. */
  async ready(ctx: RequestContext, name: string, version: string | undefined) {
    await this.endpoints.record(ctx.principal.projectId, name);
    try {
      if (version === undefined) await this.served(ctx, name);
      else await this.versionTarget(ctx, name, version);
      return { name, ready: true };
    } catch (error) {
      if (error instanceof PlumbError) return { name, ready: false };
      throw error;
    }
  }

  /** The versions the endpoint's routes point at now, the primary (largest weight) first. */
  private async served(ctx: RequestContext, name: string): Promise<ModelVersionInfo[]> {
    const endpoint = await this.endpoints.record(ctx.principal.projectId, name);
    const order = [...endpoint.routes].sort((a, b) => b.weight - a.weight);
    return Promise.all(order.map((r) => this.predictions.servable(ctx.principal.projectId, r.target)));
  }

  private async versionTarget(ctx: RequestContext, name: string, version: string): Promise<string> {
    return (await this.resolvePinned(ctx, name, version, await this.served(ctx, name))).ref;
  }

  /** `name@vN`, `vN` or `N` of a version the endpoint's routes serve now. */
  private async resolvePinned(
    _ctx: RequestContext,
    name: string,
    version: string,
    served: ModelVersionInfo[],
  ): Promise<ModelVersionInfo> {
    const number = /^v?(\d+)$/.exec(version)?.[1];
    const found = served.find(
      (s) => s.ref === version || (number !== undefined && s.version === Number(number)),
    );
    if (!found) {
      throw new PlumbError(
        'not_found',
        `endpoint ${name} serves no version ${version}; it serves ${[...new Set(served.map((s) => s.ref))].join(', ')}`,
      );
    }
    return found;
  }
}

interface SigValue {
  name: string;
  kind?: string;
  elementType?: string;
  shape?: (number | string)[];
}
