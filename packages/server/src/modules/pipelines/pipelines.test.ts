import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineRun } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { PipelinesService } from './pipelines.service.js';

// The engine on both backends: its transactions lock the run row on PostgreSQL.
describeEachBackend('pipelines', (backend) => {
  let t: TestPlumb;
  let pipelines: PipelinesService;
  let dir: string;

  beforeAll(async () => {
    t = await createTestPlumb(backend);
    pipelines = t.plumb.services.pipelines;
    t.plumb.worker.start();
    dir = mkdtempSync(join(tmpdir(), 'plumb-pipeline-'));
  });
  afterAll(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function waitFor(id: string, done: (run: PipelineRun) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await pipelines.getRun(t.adminCtx, id);
      if (done(run)) return run;
      if (Date.now() > deadline)
        throw new Error(`run ${id} is still ${run.status}: ${JSON.stringify(run.steps)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const ended = (run: PipelineRun) => ['succeeded', 'failed', 'cancelled'].includes(run.status);

  async function applyAndRun(yaml: string, params: Record<string, unknown> = {}) {
    await pipelines.apply(t.adminCtx, yaml, dir);
    const name = /^name: (\S+)/m.exec(yaml)![1]!;
    const { run } = await pipelines.run(t.adminCtx, name, { params });
    return waitFor(run.id, ended);
  }
  const step = (run: PipelineRun, name: string) => run.steps.find((s) => s.name === name)!;

  describe('pipeline specs', () => {
    it('refuse a cycle, naming it', async () => {
      const yaml = `name: loop
steps:
  - { name: a, kind: command, run: [node, -e, ""], needs: [c] }
  - { name: b, kind: command, run: [node, -e, ""], needs: [a] }
  - { name: c, kind: command, run: [node, -e, ""], needs: [b] }
`;
      await expect(pipelines.apply(t.adminCtx, yaml, dir)).rejects.toThrow(/cycle: a → b → c → a/);
    });

    it('refuse an input from a step the step does not depend on, with its line', async () => {
      const yaml = `name: stray
steps:
  - { name: a, kind: command, run: [node, -e, ""] }
  - name: b
    kind: command
    run: [node, -e, ""]
    inputs: { x: steps.a.outputs.y }
`;
      await expect(pipelines.apply(t.adminCtx, yaml, dir)).rejects.toThrow(
        /a must be in this step's needs.*line 7/,
      );
    });

    it('version on apply: the same text twice is one version', async () => {
      const yaml = 'name: versions\nsteps:\n  - { name: a, kind: command, run: [node, -e, ""] }\n';
      const first = await pipelines.apply(t.adminCtx, yaml, dir);
      const again = await pipelines.apply(t.adminCtx, yaml, dir);
      const second = await pipelines.apply(t.adminCtx, `${yaml}description: changed\n`, dir);
      expect([first.created, again.created, second.created]).toEqual([true, false, true]);
      expect(second.pipeline.ref).toBe('versions@v2');
    });
  });

  describe('command steps', () => {
    it('pass outputs along the DAG, capture logs, and reuse a step only while its inputs, files and outputs stand', async () => {
      writeFileSync(
        join(dir, 'make.mjs'),
        "import { writeFileSync } from 'node:fs';\n" +
          "const out = process.env.PLUMB_WORK_DIR + '/model.bin';\n" +
          "writeFileSync(out, 'weights ' + process.env.PLUMB_PARAM_SIZE);\n" +
          "writeFileSync(process.env.PLUMB_OUTPUTS, JSON.stringify({ model: { file: 'model.bin' }, size: Number(process.env.PLUMB_PARAM_SIZE) }));\n" +
          "console.log('made a model of size', process.env.PLUMB_PARAM_SIZE);\n",
      );
      writeFileSync(
        join(dir, 'use.mjs'),
        "import { readFileSync } from 'node:fs';\n" +
          "console.log('read:', readFileSync(process.env.PLUMB_INPUT_MODEL, 'utf8'));\n" +
          "console.error('size input', process.env.PLUMB_INPUT_SIZE);\n",
      );
      const yaml = `name: chain
params: { size: 3 }
steps:
  - { name: make, kind: command, run: [node, make.mjs] }
  - name: use
    kind: command
    needs: [make]
    run: [node, use.mjs]
    inputs: { model: steps.make.outputs.model, size: steps.make.outputs.size }
`;
      const first = await applyAndRun(yaml);
      expect(first.status, JSON.stringify(first.steps)).toBe('succeeded');
      const logs = await pipelines.logs(t.adminCtx, first.id, { after: 0, limit: 1000 });
      const text = logs.lines.map((l) => `${l.step}/${l.stream}: ${l.text}`);
      expect(text).toContain('make/stdout: made a model of size 3');
      expect(text).toContain('use/stdout: read: weights 3');
      expect(text).toContain('use/stderr: size input 3');
      expect(logs.done).toBe(true);

      const second = await applyAndRun(yaml);
      expect(step(second, 'make').status).toBe('cached');
      expect(step(second, 'make').cachedFrom).toBe(first.id);
      expect(step(second, 'use').cachedFrom).toBe(first.id);

      // A different parameter is a different step.
      const bigger = await applyAndRun(yaml, { size: 4 });
      expect(step(bigger, 'make').status).toBe('succeeded');

      // An edited command file is a different step, even with every input the same.
      writeFileSync(join(dir, 'make.mjs'), `${readFileSync(join(dir, 'make.mjs'), 'utf8')}// edited\n`);
      const edited = await applyAndRun(yaml);
      expect(step(edited, 'make').status).toBe('succeeded');
      expect(step(edited, 'use').status).toBe('cached');

      // A deleted output is not reused: the step runs again.
      const blob = (step(edited, 'make').outputs!.model as { blob: string }).blob;
      const store = t.plumb.services.blobs as FileBlobStore;
      unlinkSync(store.localPath(blob));
      const rerun = await applyAndRun(yaml);
      expect(step(rerun, 'make').status).toBe('succeeded');
      expect(existsSync(store.localPath(blob))).toBe(true);
    }, 60_000);

    it('retry a failing step with backoff, recording every attempt', async () => {
      const counter = join(dir, 'flaky-count');
      writeFileSync(
        join(dir, 'flaky.mjs'),
        "import { readFileSync, writeFileSync, existsSync } from 'node:fs';\n" +
          `const f = ${JSON.stringify(counter)};\n` +
          "const n = existsSync(f) ? Number(readFileSync(f, 'utf8')) + 1 : 1;\n" +
          "writeFileSync(f, String(n));\nif (n < 3) { console.error('failing', n); process.exit(7); }\n",
      );
      const yaml = `name: flaky
steps:
  - name: try
    kind: command
    run: [node, flaky.mjs]
    cache: false
    retries: { max: 2, backoff: { base: 50ms, factor: 2, cap: 1s, jitter: 0 } }
`;
      const run = await applyAndRun(yaml);
      expect(run.status).toBe('succeeded');
      expect(step(run, 'try').attempts.map((a) => [a.status, a.exitCode])).toEqual([
        ['failed', 7],
        ['failed', 7],
        ['succeeded', null],
      ]);
      writeFileSync(counter, '-5');
      const exhausted = await applyAndRun(yaml);
      expect(exhausted.status).toBe('failed');
      expect(step(exhausted, 'try').attempts).toHaveLength(3);
      expect(exhausted.error).toMatch(/step try failed: the program exited with code 7/);
    }, 30_000);

    it('end a step at its timeout and skip what depends on it', async () => {
      const yaml = `name: slow
steps:
  - { name: sleep, kind: command, run: [node, -e, "setTimeout(() => {}, 30000)"], timeout: 500ms }
  - { name: after, kind: command, run: [node, -e, ""], needs: [sleep] }
`;
      const started = Date.now();
      const run = await applyAndRun(yaml);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(run.status).toBe('failed');
      expect(step(run, 'sleep').attempts[0]!.status).toBe('timed_out');
      expect(step(run, 'after').status).toBe('skipped');
    }, 30_000);

    it('cancel a run: its program is stopped and nothing after it starts', async () => {
      const marker = join(dir, 'cancel-marker');
      const yaml = `name: cancellable
steps:
  - name: long
    kind: command
    run:
      - node
      - -e
      - setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 4000)
  - { name: next, kind: command, run: [node, -e, ""], needs: [long] }
`;
      await pipelines.apply(t.adminCtx, yaml, dir);
      const { run } = await pipelines.run(t.adminCtx, 'cancellable', { params: {} });
      await waitFor(run.id, (r) => step(r, 'long').status === 'running');
      const cancelled = await pipelines.cancel(t.adminCtx, run.id);
      expect(cancelled.status).toBe('cancelled');
      expect(step(cancelled, 'next').status).toBe('skipped');
      const after = await waitFor(run.id, (r) => step(r, 'long').attempts[0]!.status === 'cancelled');
      expect(after.status).toBe('cancelled');
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect(existsSync(marker)).toBe(false);
    }, 30_000);
  });

  describe('approval steps', () => {
    const yaml = (extra = '') => `name: gated
steps:
  - name: ask
    kind: approval
    with: { approvers: ["release key"], quorum: 1${extra} }
  - { name: ship, kind: command, run: [node, -e, "console.log('shipped')"], needs: [ask] }
`;

    it('wait without a worker, and go on once an approver approves', async () => {
      await pipelines.apply(t.adminCtx, yaml(), dir);
      const { run } = await pipelines.run(t.adminCtx, 'gated', { params: {} });
      const waiting = await waitFor(run.id, (r) => r.status === 'waiting');
      expect(step(waiting, 'ask').status).toBe('waiting');
      expect(t.plumb.worker.active).toBe(0);
      const release = await t.plumb.services.keys.create(t.adminCtx, {
        name: 'release key',
        role: 'approver',
      });
      const other = await t.plumb.services.keys.create(t.adminCtx, { name: 'someone', role: 'approver' });
      const denied = await t.call('POST', `/api/v1/pipeline-runs/${run.id}/steps/ask/approve`, {
        key: other.secret,
        body: { comment: 'me too' },
      });
      expect(denied.statusCode).toBe(403);
      const ok = await t.call('POST', `/api/v1/pipeline-runs/${run.id}/steps/ask/approve`, {
        key: release.secret,
        body: { comment: 'looks good' },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      const done = await waitFor(run.id, ended);
      expect(done.status).toBe('succeeded');
      expect(step(done, 'ask').approval!.decisions).toMatchObject([
        { decision: 'approve', comment: 'looks good' },
      ]);
      const audit = await t.call('GET', '/api/v1/audit?limit=200');
      expect(audit.body).toContain('pipeline.approval.approve');
    }, 30_000);

    it('fail the run on a rejection, and apply the default outcome at the timeout', async () => {
      const { run } = await pipelines.run(t.adminCtx, 'gated', { params: {} });
      await waitFor(run.id, (r) => r.status === 'waiting');
      await pipelines.decide(t.adminCtx, run.id, 'ask', 'reject', 'not this one');
      const rejected = await waitFor(run.id, ended);
      expect(rejected.status).toBe('failed');
      expect(step(rejected, 'ship').status).toBe('skipped');

      await pipelines.apply(t.adminCtx, yaml(', timeout: 300ms, onTimeout: approve'), dir);
      const { run: timed } = await pipelines.run(t.adminCtx, 'gated', { params: {} });
      const done = await waitFor(timed.id, ended);
      expect(done.status).toBe('succeeded');
      expect(step(done, 'ask').approval!.decisions).toMatchObject([{ actor: 'system', decision: 'approve' }]);
    }, 30_000);
  });

  describe('triggers', () => {
    it('start one run per event: dataset version, alert, webhook and cron tick', async () => {
      const yaml = `name: triggered
triggers:
  - { dataset: incoming }
  - { alert: { rule: drift } }
  - { webhook: {} }
  - { cron: "0 3 * * *", timeZone: Europe/Berlin }
steps:
  - { name: a, kind: command, run: [node, -e, ""], cache: false }
`;
      const applied = await pipelines.apply(t.adminCtx, yaml, dir);
      expect(applied.webhookSecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const runsOf = async (kind: string) =>
        (await pipelines.listRuns(t.adminCtx, { pipeline: 'triggered', limit: 100 })).items.filter(
          (r) => r.trigger.kind === kind,
        );
      const until = async (kind: string, n: number) => {
        const deadline = Date.now() + 10_000;
        while ((await runsOf(kind)).length < n && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
        return runsOf(kind);
      };

      // A dataset version: adding the same content again is no new version, so no new run.
      const csv = join(dir, 'incoming.csv');
      writeFileSync(csv, 'a,b\n1,2\n3,4\n');
      const blobs = t.plumb.services.blobService;
      const { createReadStream } = await import('node:fs');
      const blob = await blobs.upload(t.adminCtx, createReadStream(csv));
      const add = () =>
        t.plumb.services.datasets.addVersion(t.adminCtx, 'incoming', {
          files: [{ path: 'incoming.csv', ref: blob.ref }],
          message: 'm',
          parents: [],
          tags: {},
        });
      await add();
      await add();
      expect(await until('dataset', 1)).toHaveLength(1);

      const alert = {
        id: 'alr_1',
        projectId: t.adminCtx.principal.projectId,
        ruleId: 'rul_1',
        ruleName: 'drift',
        endpoint: 'flights',
        dedupKey: 'drift:flights',
        openedAt: '2026-01-01T00:00:00.000Z',
      };
      await pipelines.onAlert(alert);
      await pipelines.onAlert(alert);
      await pipelines.onAlert({ ...alert, ruleName: 'latency', dedupKey: 'latency:flights' });
      expect(await runsOf('alert')).toHaveLength(1);

      const secret = applied.webhookSecret!;
      const body = JSON.stringify({ params: { reason: 'new labels' } });
      const signed = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const post = (delivery: string) =>
        t.call('POST', `/api/v1/projects/${t.adminCtx.principal.projectName}/pipelines/triggered/webhook`, {
          key: null,
          body,
          headers: {
            'content-type': 'application/octet-stream',
            'x-plumb-signature': signed,
            'x-plumb-delivery': delivery,
          },
        });
      const first = await post('d1');
      expect(first.statusCode, first.body).toBe(201);
      expect((await post('d1')).statusCode).toBe(200);
      const hooked = await runsOf('webhook');
      expect(hooked).toHaveLength(1);
      expect(hooked[0]!.params).toEqual({ reason: 'new labels' });

      // 03:00 in Berlin in January is 02:00 UTC; two ticks at once enqueue it once.
      const jobs = t.plumb.services.jobs;
      const schedule = (await jobs.listSchedules()).find((s) => s.queue === 'pipeline.cron')!;
      expect(schedule.timeZone).toBe('Europe/Berlin');
      expect(schedule.nextRunAt.toISOString()).toMatch(/T02:00:00.000Z$/);
      const tick = new Date(schedule.nextRunAt.getTime() + 1000);
      const enqueued = (await Promise.all([jobs.tickSchedules(tick), jobs.tickSchedules(tick)]))
        .flat()
        .filter((j) => j.queue === 'pipeline.cron');
      expect(enqueued).toHaveLength(1);
      // Its job is due at the tick, a day from now: run its handler now, twice, as a redelivery would.
      const cronJob = enqueued[0]!;
      const handler = t.plumb.worker as unknown as {
        handlers: Map<string, (job: unknown, c: unknown) => unknown>;
      };
      for (let i = 0; i < 2; i++) await handler.handlers.get('pipeline.cron')!(cronJob, {});
      const cron = await runsOf('cron');
      expect(cron).toHaveLength(1);
      expect(cron[0]!.trigger.dedupKey).toBe(`cron:${schedule.nextRunAt.toISOString()}`);
    }, 30_000);

    it('a webhook is authenticated by its signature alone, and a bad one reveals nothing', async () => {
      const hooked = await pipelines.apply(
        t.adminCtx,
        'name: hooked\ntriggers:\n  - { webhook: {} }\nsteps:\n  - { name: a, kind: command, run: [node, -e, ""], cache: false }\n',
        dir,
      );
      const secret = hooked.webhookSecret!;
      // Applied again, the secret is kept and not shown.
      const again = await pipelines.apply(
        t.adminCtx,
        'name: hooked\ntriggers:\n  - { webhook: {} }\nsteps:\n  - { name: a, kind: command, run: [node, -e, "1"], cache: false }\n',
        dir,
      );
      expect(again.webhookSecret).toBeNull();
      await pipelines.apply(
        t.adminCtx,
        'name: unhooked\nsteps:\n  - { name: a, kind: command, run: [node, -e, ""], cache: false }\n',
        dir,
      );
      const project = t.adminCtx.principal.projectName;
      const hookUrl = (p: string, name: string) => `/api/v1/projects/${p}/pipelines/${name}/webhook`;
      expect(hooked.webhookPath).toBe(hookUrl(project, 'hooked'));
      const sign = (bytes: string, key = secret) =>
        `sha256=${createHmac('sha256', key).update(bytes).digest('hex')}`;
      const post = (url: string, bytes: string, headers: Record<string, string>) =>
        t.call('POST', url, { key: null, body: bytes, headers });
      const runs = async () =>
        (await pipelines.listRuns(t.adminCtx, { pipeline: 'hooked', limit: 100 })).items;

      // A sender that posts JSON (GitHub's headers): the signature covers the bytes as sent.
      const github = '{ "action": "published",\n  "params": { "tag": "v2" } }';
      const accepted = await post(hookUrl(project, 'hooked'), github, {
        'content-type': 'application/json',
        'x-hub-signature-256': sign(github),
        'x-github-delivery': 'gh-1',
      });
      expect(accepted.statusCode, accepted.body).toBe(201);
      const run = accepted.json().run as {
        id: string;
        params: unknown;
        trigger: { kind: string; dedupKey: string };
      };
      expect(run).toMatchObject({
        params: { tag: 'v2' },
        trigger: { kind: 'webhook', dedupKey: 'webhook:gh-1' },
      });
      expect(run.id).toBe((await runs())[0]!.id);
      const audit = (await t.call('GET', '/api/v1/audit?limit=200')).json().items as {
        action: string;
        actor: string;
        resource: string;
      }[];
      expect(
        audit.find((r) => r.resource === `pipeline_run:${run.id}` && r.action === 'pipeline.run.start'),
      ).toMatchObject({ actor: 'webhook' });

      // Every failure is the same 401, whether or not the pipeline exists or takes webhooks.
      const denials = [
        post(hookUrl(project, 'hooked'), github, {
          'content-type': 'application/json',
          'x-hub-signature-256': sign(github, 'wrong'),
        }),
        post(hookUrl(project, 'hooked'), github, { 'content-type': 'application/json' }),
        post(hookUrl(project, 'hooked'), github, { 'x-plumb-signature': 'sha256=zz' }),
        post(hookUrl(project, 'hooked'), `${github} `, { 'x-plumb-signature': sign(github) }),
        post(hookUrl(project, 'missing'), github, { 'x-plumb-signature': sign(github) }),
        post(hookUrl('no-such-project', 'hooked'), github, { 'x-plumb-signature': sign(github) }),
        post(hookUrl(project, 'unhooked'), github, { 'x-plumb-signature': sign(github) }),
      ];
      const bodies = new Set<string>();
      for (const response of await Promise.all(denials)) {
        expect(response.statusCode, response.body).toBe(401);
        bodies.add(response.body);
      }
      expect([...bodies]).toEqual([
        JSON.stringify({
          error: { code: 'unauthenticated', message: 'the webhook signature does not match', details: {} },
        }),
      ]);
      expect(await runs()).toHaveLength(1);

      // A redelivery starts nothing new; a body signed without a delivery id is keyed by its digest.
      const redelivered = await post(hookUrl(project, 'hooked'), github, {
        'x-plumb-signature': sign(github),
        'x-plumb-delivery': 'gh-1',
      });
      expect(redelivered.statusCode).toBe(200);
      expect(redelivered.json().run.id).toBe(run.id);
      const plain = '{}';
      for (const expected of [201, 200]) {
        expect(
          (await post(hookUrl(project, 'hooked'), plain, { 'x-plumb-signature': sign(plain) })).statusCode,
        ).toBe(expected);
      }
      expect(await runs()).toHaveLength(2);
    });
  });
});
