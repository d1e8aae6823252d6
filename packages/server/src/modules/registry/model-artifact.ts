import type { ModelRuntime } from '../../runtime/model-runtime.js';

/** What loading an ONNX file tells us about it; stored as the version's signature. */
export interface OnnxSignature {
  inputs: unknown[];
  outputs: unknown[];
  classes: (string | number)[] | null;
}

/**
 * Checks an uploaded file by loading it with the ONNX runtime, the same way serving will: a file
 * that does not load is refused now rather than when the first prediction arrives. The model is
 * loaded through the shared runtime, so the evaluation or serving that usually follows reuses
 * it; a file too large, or whose first bytes are not an ONNX model, is refused before it is read
 * whole.
 */
export async function inspectOnnx(
  runtime: ModelRuntime,
  ref: string,
): Promise<{ size: number; signature: OnnxSignature }> {
  const lease = await runtime.acquire(ref);
  try {
    const model = lease.value;
    return {
      size: model.byteSize,
      signature: {
        inputs: model.signature.inputs,
        outputs: model.signature.outputs,
        classes: model.classes,
      },
    };
  } finally {
    lease.release();
  }
}
