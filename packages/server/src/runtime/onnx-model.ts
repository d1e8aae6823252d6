import type * as Ort from 'onnxruntime-node';
import { PlumbError } from '../core/errors.js';
import { type ClassifierOutput, type OutputTensor, toClassifierOutput } from './classifier-output.js';
import { type ClassLabel, prepareOnnxModel } from './onnx-model-prep.js';
import { OnnxNativeSession } from './onnx-native-session.js';

// onnxruntime's native library is loaded with the first model, not with the module: the CLI
// imports the modules that use this file and never runs a model.
let runtime: Promise<typeof Ort> | undefined;
const loadRuntime = () => (runtime ??= import('onnxruntime-node'));

/** An input or output as the model declares it; string dims are symbolic (`'N'`), '' unnamed. */
export type ValueSignature =
  | { name: string; kind: 'tensor'; elementType: string; shape: (number | string)[] }
  | { name: string; kind: 'other' };

export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
}

export interface LoadOptions {
  /** Class labels in probability-column order; overrides what the model declares. */
  classes?: ClassLabel[];
  /** Threads one inference may use; default 1, so concurrent models share the CPU fairly. */
  intraOpThreads?: number;
}

/**
 * One loaded ONNX model: its signature, and batch inference on float features. Share one
 * instance per model version through ModelSessionPool; onnxruntime sessions are safe to run
 * concurrently.
 */
export class OnnxModel {
  private closed = false;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: OnnxNativeSession,
    readonly signature: ModelSignature,
    /** Declared or configured classes; null when the model names none (columns are then 0..C-1). */
    readonly classes: ClassLabel[] | null,
    readonly metadata: Record<string, string>,
    /** Size of the model file it was loaded from. */
    readonly byteSize: number,
  ) {}

  static async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<OnnxModel> {
    let prepared: ReturnType<typeof prepareOnnxModel>;
    let session: OnnxNativeSession;
    const ort = await loadRuntime();
    try {
      prepared = prepareOnnxModel(bytes);
      session = new OnnxNativeSession(prepared.bytes, {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new PlumbError('invalid_argument', `not a loadable ONNX model: ${messageOf(error)}`, {
        cause: error,
      });
    }
    const signature = {
      inputs: session.inputMetadata.map(toSignature),
      outputs: session.outputMetadata.map(toSignature),
    };
    const classes = options.classes ?? prepared.classes ?? classesFromMetadata(prepared.metadata);
    return new OnnxModel(ort, session, signature, classes, prepared.metadata, bytes.length);
  }

  /** Number of features per row the model's single float input expects, if its shape says. */
  get featureCount(): number | null {
    const input = this.floatInput();
    const last = input.shape[input.shape.length - 1];
    return typeof last === 'number' ? last : null;
  }

  /** Runs `rows` rows of row-major features through the model; returns every tensor output. */
  async run(features: Float32Array, rows: number): Promise<OutputTensor[]> {
    if (this.closed) throw new PlumbError('failed_precondition', 'the model was closed');
    const input = this.floatInput();
    if (!Number.isInteger(rows) || rows < 1 || features.length % rows !== 0) {
      throw new PlumbError('invalid_argument', `${features.length} features do not split into ${rows} rows`);
    }
    const width = features.length / rows;
    const expected = this.featureCount;
    if (expected !== null && expected !== width) {
      throw new PlumbError(
        'invalid_argument',
        `the model expects ${expected} features per row, got ${width}`,
        {
          details: { expected, got: width },
        },
      );
    }
    const shape = input.shape.length === 1 ? [rows * width] : [rows, width];
    const fetches = this.signature.outputs.filter((o) => o.kind === 'tensor').map((o) => o.name);
    let results: Record<string, Ort.Tensor>;
    try {
      // Synchronous: the prediction is answered in the turn of the event loop that parsed it.
      results = this.session.run(
        { [input.name]: new this.ort.Tensor('float32', features, shape) },
        fetches,
        this.ort.Tensor,
      );
    } catch (error) {
      throw new PlumbError('invalid_argument', `inference failed: ${messageOf(error)}`, { cause: error });
    }
    return fetches.map((name) => {
      const t = results[name]!;
      return { name, type: t.type, dims: t.dims, data: t.data as OutputTensor['data'] };
    });
  }

  /** Runs a batch and answers in the uniform classifier shape (see toClassifierOutput). */
  async classify(features: Float32Array, rows: number): Promise<ClassifierOutput> {
    return toClassifierOutput(await this.run(features, rows), { rows, classes: this.classes });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.release();
  }

  private floatInput(): Extract<ValueSignature, { kind: 'tensor' }> {
    const [input, ...rest] = this.signature.inputs;
    if (!input || rest.length > 0 || input.kind !== 'tensor' || input.elementType !== 'float32') {
      throw new PlumbError('failed_precondition', 'the model must have exactly one float32 tensor input', {
        details: { inputs: this.signature.inputs },
      });
    }
    return input;
  }
}

function toSignature(m: Ort.InferenceSession.ValueMetadata): ValueSignature {
  return m.isTensor
    ? { name: m.name, kind: 'tensor', elementType: m.type, shape: [...m.shape] }
    : { name: m.name, kind: 'other' };
}

/** Exporters without ONNX-ML classifier operators may record labels as metadata `classes` (a JSON array). */
function classesFromMetadata(metadata: Record<string, string>): ClassLabel[] | null {
  const raw = metadata.classes;
  if (raw === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((c) => typeof c === 'string' || typeof c === 'number')) {
      return parsed as ClassLabel[];
    }
  } catch {
    // fall through: malformed metadata is ignored like absent metadata
  }
  return null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
