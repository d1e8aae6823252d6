import { PlumbError } from '../../core/errors.js';
import { OnnxModel } from '../../runtime/onnx-model.js';
import type { ArtifactStore } from './registry.deps.js';

/** Protocol buffers, and so ONNX files without external data, stop at 2 GiB. */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** What loading an ONNX file tells us about it; stored as the version's signature. */
export interface OnnxSignature {
  inputs: unknown[];
  outputs: unknown[];
  classes: (string | number)[] | null;
}

/**
 * Checks an uploaded file by loading it with the ONNX runtime, the same way serving will: a file
 * that does not load is refused now rather than when the first prediction arrives.
 */
export async function inspectOnnx(
  blobs: ArtifactStore,
  ref: string,
): Promise<{ size: number; signature: OnnxSignature }> {
  const stat = await blobs.stat(ref);
  if (!stat) {
    throw new PlumbError(
      'failed_precondition',
      `the model file ${ref} has not been uploaded; upload it first`,
      {
        details: { blobRef: ref },
      },
    );
  }
  if (stat.size > MAX_ONNX_BYTES) {
    throw new PlumbError(
      'invalid_argument',
      `the model file is ${stat.size} bytes; ONNX files stop at 2 GiB`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(ref)) chunks.push(chunk as Buffer);
  let model: OnnxModel;
  try {
    model = await OnnxModel.load(Buffer.concat(chunks));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlumbError('invalid_argument', `the artifact ${ref} was refused: ${reason}`, {
      cause: error,
      details: { blobRef: ref },
    });
  }
  try {
    return {
      size: stat.size,
      signature: {
        inputs: model.signature.inputs,
        outputs: model.signature.outputs,
        classes: model.classes,
      },
    };
  } finally {
    await model.close();
  }
}
