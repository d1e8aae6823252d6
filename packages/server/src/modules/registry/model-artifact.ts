import type { ModelRuntime } from '../../runtime/model-runtime.js';

/** What loading an ONNX file tells us about it; stored as the version's signature. */
export interface OnnxSignature {
  inputs: unknown[];
  outputs: unknown[];
  classes: (string | number)[] | null;
}

/**
 * Checks an uploaded file by loading it with the ONNX runtime, the same way serving will: a file
 * that does not load is refused now rather than when the first prediction arrives. A session
 * already loaded in this thread's runtime is reused; otherwise the check's own is closed at once
 * (evaluations run in the job thread, with their own sessions). A file too large, or whose first
 * bytes are not an ONNX model, is refused before it is read whole.
 */
export async function inspectOnnx(
  runtime: ModelRuntime,
  ref: string,
): Promise<{ size: number; signature: OnnxSignature }> {
  return runtime.withModel(ref, (model) => ({
    size: model.byteSize,
    signature: {
      inputs: model.signature.inputs,
      outputs: model.signature.outputs,
      classes: model.classes,
    },
  }));
}
