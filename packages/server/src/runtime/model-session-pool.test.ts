import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportTreeEnsembleClassifier } from '../testing/tree-ensemble-onnx.js';
import { type Closable, ModelSessionPool } from './model-session-pool.js';
import { OnnxModel } from './onnx-model.js';

class FakeModel implements Closable {
  closed = 0;
  constructor(readonly key: string) {}
  async close() {
    this.closed += 1;
  }
}

function fakePool(idleMs = 1_000) {
  const loads: string[] = [];
  const models: FakeModel[] = [];
  let failNext = false;
  const pool = new ModelSessionPool<FakeModel>({
    idleMs,
    load: async (_bytes, key) => {
      loads.push(key);
      // Loading takes a few turns of the event loop, like a real session.
      await new Promise((r) => setImmediate(r));
      if (failNext) {
        failNext = false;
        throw new Error('corrupt model');
      }
      const model = new FakeModel(key);
      models.push(model);
      return model;
    },
  });
  const bytes = async () => new Uint8Array([1]);
  return { pool, loads, models, bytes, failNextLoad: () => (failNext = true) };
}

describe('ModelSessionPool', () => {
  afterEach(() => vi.useRealTimers());

  it('loads a key once for concurrent acquires and shares the model', async () => {
    const { pool, loads, bytes } = fakePool();
    const leases = await Promise.all([
      pool.acquire('mv_1', bytes),
      pool.acquire('mv_1', bytes),
      pool.acquire('mv_1', bytes),
    ]);
    expect(loads).toEqual(['mv_1']);
    expect(new Set(leases.map((l) => l.value)).size).toBe(1);
    expect(pool.stats()).toEqual([{ key: 'mv_1', leases: 3, loaded: true }]);
    const other = await pool.acquire('mv_2', bytes);
    expect(other.value).not.toBe(leases[0]!.value);
    expect(loads).toEqual(['mv_1', 'mv_2']);
  });

  it('closes a model only after its last lease is released and the idle time passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pool, bytes } = fakePool(1_000);
    const a = await pool.acquire('mv_1', bytes);
    const b = await pool.acquire('mv_1', bytes);
    const model = a.value;
    a.release();
    a.release(); // a second release of the same lease changes nothing
    vi.advanceTimersByTime(5_000);
    expect(model.closed).toBe(0);
    expect(pool.stats()).toEqual([{ key: 'mv_1', leases: 1, loaded: true }]);

    b.release();
    vi.advanceTimersByTime(999);
    expect(model.closed).toBe(0);
    vi.advanceTimersByTime(1);
    expect(model.closed).toBe(1);
    expect(pool.stats()).toEqual([]);
  });

  it('an acquire during the idle time keeps the model; one after it loads a fresh copy', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pool, loads, bytes } = fakePool(1_000);
    const first = await pool.acquire('mv_1', bytes);
    first.release();
    vi.advanceTimersByTime(500);
    const second = await pool.acquire('mv_1', bytes);
    expect(second.value).toBe(first.value);
    vi.advanceTimersByTime(10_000);
    expect(first.value.closed).toBe(0);
    second.release();
    vi.advanceTimersByTime(1_000);
    expect(first.value.closed).toBe(1);

    const third = await pool.acquire('mv_1', bytes);
    expect(third.value).not.toBe(first.value);
    expect(loads).toEqual(['mv_1', 'mv_1']);
  });

  it('a failed load rejects every waiter and is retried by the next acquire', async () => {
    const { pool, loads, bytes, failNextLoad } = fakePool();
    failNextLoad();
    const results = await Promise.allSettled([pool.acquire('mv_1', bytes), pool.acquire('mv_1', bytes)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(pool.stats()).toEqual([]);
    const lease = await pool.acquire('mv_1', bytes);
    expect(lease.value.key).toBe('mv_1');
    expect(loads).toEqual(['mv_1', 'mv_1']);
  });

  it('close releases every model and refuses new acquires', async () => {
    const { pool, models, bytes } = fakePool();
    await pool.acquire('mv_1', bytes);
    (await pool.acquire('mv_2', bytes)).release();
    await pool.close();
    expect(models.map((m) => m.closed)).toEqual([1, 1]);
    await expect(pool.acquire('mv_3', bytes)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('shares one onnxruntime session between concurrent users', async () => {
    const bytes = exportTreeEnsembleClassifier({
      featureCount: 1,
      classes: [0, 1],
      trees: [
        {
          feature: 0,
          threshold: 0,
          ifTrue: { leaf: { 0: 0.9, 1: 0.1 } },
          ifFalse: { leaf: { 0: 0.2, 1: 0.8 } },
        },
      ],
    });
    let loads = 0;
    const pool = new ModelSessionPool<OnnxModel>({
      idleMs: 60_000,
      load: (b) => {
        loads += 1;
        return OnnxModel.load(b);
      },
    });
    const leases = await Promise.all(
      Array.from({ length: 8 }, () => pool.acquire('sha256:model', async () => bytes)),
    );
    expect(loads).toBe(1);
    const results = await Promise.all(
      leases.map((l, i) => l.value.classify(Float32Array.from([i % 2 === 0 ? -1 : 1]), 1)),
    );
    expect(results.map((r) => r.labels[0])).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    for (const l of leases) l.release();
    await pool.close();
    await expect(leases[0]!.value.run(Float32Array.from([0]), 1)).rejects.toMatchObject({
      code: 'failed_precondition',
    });
  });
});
