import type { Readable } from 'node:stream';
import { PlumbError } from '../core/errors.js';
import { type Lease, ModelSessionPool } from './model-session-pool.js';
import { MAX_MODEL_BYTES, readOnnxFile } from './onnx-file.js';
import { OnnxModel } from './onnx-model.js';

/** Where model files are read from (the blob store). */
export interface ModelFiles {
  stat(ref: string): Promise<{ size: number } | null>;
  get(ref: string): Promise<Readable>;
}

export interface ModelRuntimeOptions {
  /** Largest model file accepted; default and ceiling MAX_MODEL_BYTES (2 GiB). */
  maxModelBytes?: number;
  /** How long a model nobody holds stays loaded; default one minute. */
  idleMs?: number;
  onCloseError?(error: unknown, ref: string): void;
}

/**
 * The ONNX models of one thread, loaded once each and shared by whoever needs them there
 * (registration checks, evaluations, serving): one instance per composition, closed with it.
 * Models are keyed by blob ref, so two versions with the same file share a session.
 */
export class ModelRuntime {
  readonly maxModelBytes: number;
  private readonly pool: ModelSessionPool<OnnxModel>;

  constructor(
    private readonly files: ModelFiles,
    options: ModelRuntimeOptions = {},
  ) {
    this.maxModelBytes = Math.min(options.maxModelBytes ?? MAX_MODEL_BYTES, MAX_MODEL_BYTES);
    this.pool = new ModelSessionPool<OnnxModel>({
      load: (bytes) => OnnxModel.load(bytes),
      // Evaluations come in bursts (a candidate against several suites), and registering a
      // version is usually followed by evaluating it; a minute keeps the session for the next
      // use without pinning native memory for long.
      idleMs: options.idleMs ?? 60_000,
      ...(options.onCloseError ? { onCloseError: options.onCloseError } : {}),
    });
  }

  /** Loads the model stored at `ref` (or shares the loaded one); release the lease when done. */
  acquire(ref: string): Promise<Lease<OnnxModel>> {
    return this.pool.acquire(ref, () => this.read(ref));
  }

  /**
   * Runs `use` on the model at `ref`: on the shared session when one is loaded, otherwise on a
   * session of its own that is closed right after, so a one-off check (registration) does not
   * keep a model resident that nobody here runs. Its native memory is several times the file.
   */
  async withModel<T>(ref: string, use: (model: OnnxModel) => Promise<T> | T): Promise<T> {
    if (this.pool.stats().some((e) => e.key === ref && e.loaded)) {
      const lease = await this.acquire(ref);
      try {
        return await use(lease.value);
      } finally {
        lease.release();
      }
    }
    const model = await OnnxModel.load(await this.read(ref));
    try {
      return await use(model);
    } finally {
      await model.close();
    }
  }

  /** The file's bytes, checked for size and ONNX-ness before it is read whole. */
  async read(ref: string): Promise<Uint8Array> {
    const stat = await this.files.stat(ref);
    if (!stat) {
      throw new PlumbError(
        'failed_precondition',
        `the model file ${ref} has not been uploaded; upload it first`,
        {
          details: { blobRef: ref },
        },
      );
    }
    return readOnnxFile(() => this.files.get(ref), stat.size, {
      what: `the model file ${ref}`,
      maxBytes: this.maxModelBytes,
    });
  }

  stats(): { key: string; leases: number; loaded: boolean }[] {
    return this.pool.stats();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
