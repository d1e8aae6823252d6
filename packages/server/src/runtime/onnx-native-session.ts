import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

/** An input or output as onnxruntime-node's native session describes it. */
interface RawValueMetadata {
  name: string;
  isTensor: boolean;
  /** ONNX's TensorProto element type number. */
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: RawValueMetadata[];
  readonly outputMetadata: RawValueMetadata[];
  run(
    feeds: Record<string, Ort.Tensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, Ort.Tensor | { type: Ort.Tensor.Type; data: Ort.Tensor.DataType; dims: number[] }>;
  dispose(): void;
}

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

// ONNX element type numbers, as onnxruntime-node's own session handler names them.
const ELEMENT_TYPES: (string | undefined)[] = [
  undefined,
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  'uint4',
  'int4',
];

let bindingModule: BindingModule | undefined;

/**
 * One ONNX model in onnxruntime-node's native session, run synchronously.
 *
 * `InferenceSession.run` of onnxruntime-node runs the model on the calling thread too, but only
 * after a `setImmediate`: each batch-1 prediction then waits for another turn of the event loop
 * between parsing its request and answering it, behind whatever else that turn holds. This calls
 * the same native session directly (the one onnxruntime-node's session handler wraps, from the
 * package's `dist/binding`, pinned by the lockfile), so a prediction runs in the turn that parsed
 * it. Inputs, options and results are those of the public API; the outputs are the same tensors.
 */
export class OnnxNativeSession {
  readonly inputMetadata: Ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: Ort.InferenceSession.ValueMetadata[];
  private readonly native: NativeSession;
  private disposed = false;

  constructor(bytes: Uint8Array, options: Ort.InferenceSession.SessionOptions) {
    bindingModule ??= createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as BindingModule;
    bindingModule.initOrt();
    this.native = new bindingModule.binding.InferenceSession();
    this.native.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, options);
    this.inputMetadata = this.native.inputMetadata.map(toMetadata);
    this.outputMetadata = this.native.outputMetadata.map(toMetadata);
  }

  /** Runs the model now, on this thread; `fetches` names the outputs wanted. */
  run(
    feeds: Record<string, Ort.Tensor>,
    fetches: string[],
    Tensor: typeof Ort.Tensor,
  ): Record<string, Ort.Tensor> {
    if (this.disposed) throw new Error('the session was released');
    const wanted: Record<string, null> = {};
    for (const name of fetches) wanted[name] = null;
    const results = this.native.run(feeds, wanted, {});
    const out: Record<string, Ort.Tensor> = {};
    for (const name of fetches) {
      const result = results[name];
      if (result === undefined) throw new Error(`the model gave no output ${name}`);
      out[name] = result instanceof Tensor ? result : new Tensor(result.type, result.data, result.dims);
    }
    return out;
  }

  release(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.dispose();
  }
}

function toMetadata(m: RawValueMetadata): Ort.InferenceSession.ValueMetadata {
  if (!m.isTensor) return { name: m.name, isTensor: false };
  const type = ELEMENT_TYPES[m.type];
  if (type === undefined) throw new Error(`unsupported tensor element type ${m.type} of ${m.name}`);
  const shape = m.shape.map((dim, i) => {
    if (dim === -1) return m.symbolicDimensions[i] ?? '';
    if (dim >= 0) return dim;
    throw new Error(`invalid dimension ${dim} of ${m.name}`);
  });
  return { name: m.name, isTensor: true, type, shape } as Ort.InferenceSession.ValueMetadata;
}
