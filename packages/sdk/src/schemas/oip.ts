import { z } from 'zod';

// The Open Inference Protocol v2 (KServe, Triton) REST bodies, as its specification names them.

const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
/** Row-major elements, flat or nested by dimension. */
const TensorData = z.array(z.unknown());

export const OipRequestInput = z.object({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  datatype: z.string(),
  parameters: Parameters.optional(),
  data: TensorData,
});

export const OipInferenceRequest = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z.array(OipRequestInput).min(1, 'send at least one input tensor'),
  outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
});
export type OipInferenceRequest = z.infer<typeof OipInferenceRequest>;

export const OipResponseOutput = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  datatype: z.string(),
  parameters: Parameters.optional(),
  data: TensorData,
});

export const OipInferenceResponse = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: Parameters.optional(),
  outputs: z.array(OipResponseOutput),
});
export type OipInferenceResponse = z.infer<typeof OipInferenceResponse>;

export const OipMetadataTensor = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
});

export const OipModelMetadata = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string(),
  inputs: z.array(OipMetadataTensor).optional(),
  outputs: z.array(OipMetadataTensor).optional(),
});

export const OipServerMetadata = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});

export const OipLive = z.object({ live: z.boolean() });
/** The specification writes the server ready body as `{ "live": … }`; both fields are sent. */
export const OipServerReady = z.object({ live: z.boolean(), ready: z.boolean() });
export const OipModelReady = z.object({ name: z.string(), ready: z.boolean() });

export const OipModelParams = z.object({ name: z.string().min(1).max(100) }).strict();
export const OipVersionParams = z
  .object({ name: z.string().min(1).max(100), v: z.string().min(1).max(300) })
  .strict();
