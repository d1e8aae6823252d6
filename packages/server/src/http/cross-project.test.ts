import { randomBytes } from 'node:crypto';
import { Role } from '@plumb/sdk';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../core/ids.js';
import { registryKit } from '../modules/registry/registry.test-kit.js';
import { describeEachBackend } from '../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';

/** One project's resources, each named by the id (or ref) another project might try. */
interface World {
  project: string;
  keys: Map<Role, string>;
  /** A blob the project uploaded, for bodies that need files. */
  blob: string;
  /** A blob only this project holds (the weather file is held by both). */
  privateBlob: string;
  datasetVersion: string;
  run: string;
  modelVersion: string;
  evalRun: string;
  promotionRequest: string;
  validationReport: string;
}

/** A request that names `ref`, a resource of some other project, by id. */
interface Case {
  label: string;
  method: string;
  /** The route as registered, to find its permission. */
  route: string;
  /** The resource kind `ref` stands for, to make up an id of the same kind that exists nowhere. */
  kind: 'dsv' | 'run' | 'mv' | 'evr' | 'prq' | 'vr' | 'blob';
  pick: (other: World) => string;
  /** What the refusal says, when not `not_found`: a body naming a file the project has not uploaded. */
  code?: 'failed_precondition';
  request: (ref: string, from: World) => { url: string; body?: unknown };
}

const gateSuite = (name: string, datasets: string[], redTeam: string[] = []) =>
  [
    `name: ${name}`,
    `datasets: [${datasets.join(', ')}]`,
    'label: weather',
    'task: classification',
    'features: [precipitation, temp_max, temp_min, wind]',
    'metrics: [accuracy]',
    ...(redTeam.length ? [`red_team: [${redTeam.join(', ')}]`] : []),
  ].join('\n');

// Every reference a request body or path can make to another project's resource is refused
// as not_found, with the same message as for an id that exists nowhere (so existence does not
// leak), for every role that may call the route, and leaves nothing stored. Both directions:
// beta naming alpha's resources and alpha naming beta's.
describeEachBackend('no request reaches into another project', (backend) => {
  let t: TestPlumb;
  const worlds: World[] = [];

  async function call(key: string, method: string, url: string, body?: unknown) {
    return t.call(method, url, {
      key,
      ...(body === undefined
        ? {}
        : Buffer.isBuffer(body)
          ? { body, headers: { 'content-type': 'application/octet-stream' } }
          : { body }),
    });
  }

  async function ok(response: LightMyRequestResponse) {
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json();
  }

  async function buildWorld(project: string): Promise<World> {
    await ok(await t.call('POST', '/api/v1/projects', { body: { name: project } }));
    const keys = new Map<Role, string>();
    for (const role of Role.options) keys.set(role, await t.keyFor(role, project));
    const key = keys.get('maintainer')!;
    const csv = (await ok(await call(key, 'POST', '/api/v1/blobs', registryKit.weatherCsv()))).ref;
    const privateBlob = (
      await ok(await call(key, 'POST', '/api/v1/blobs', Buffer.from(`project,rows\n${project},1\n`)))
    ).ref;
    const dataset = (
      await ok(
        await call(key, 'POST', '/api/v1/datasets/weather/versions', {
          files: [{ path: 'seattle-weather.csv', ref: csv }],
        }),
      )
    ).version;
    const run = await ok(await call(key, 'POST', '/api/v1/runs', { name: 'train', inputs: ['weather@v1'] }));
    await ok(await call(key, 'POST', `/api/v1/runs/${run.id}/finish`, {}));
    const onnx = (
      await ok(await call(key, 'POST', '/api/v1/blobs', Buffer.from(registryKit.weatherModel().bytes)))
    ).ref;
    await ok(
      await call(key, 'POST', '/api/v1/models', {
        name: 'clf',
        riskClass: 'limited',
        policy: { gatedAliases: [], approvalRequired: true },
      }),
    );
    const version = await ok(
      await call(key, 'POST', '/api/v1/models/clf/versions', {
        artifact: { kind: 'onnx', blobRef: onnx },
        runId: run.id,
      }),
    );
    await ok(await call(key, 'POST', '/api/v1/eval-suites', { yaml: gateSuite('gate', ['weather@v1']) }));
    const evalRun = await ok(
      await call(key, 'POST', '/api/v1/eval-runs', { suite: 'gate', candidate: 'clf@v1' }),
    );
    const promotion = await ok(
      await call(key, 'POST', '/api/v1/models/clf/versions/1/promote', { alias: 'shadow' }),
    );
    const report = await ok(
      await call(key, 'POST', '/api/v1/datasets/weather/versions/1/validations', {
        suite: 'name: s\nexpectations:\n  - { expect: present, column: temp_max }\n',
      }),
    );
    return {
      project,
      keys,
      blob: csv,
      privateBlob,
      datasetVersion: dataset.id,
      run: run.id,
      modelVersion: version.id,
      evalRun: evalRun.id,
      promotionRequest: promotion.request.id,
      validationReport: report.id,
    };
  }

  beforeAll(async () => {
    t = await createTestPlumb(backend);
    worlds.push(await buildWorld('alpha'), await buildWorld('beta'));
  });
  afterAll(() => t.dispose());

  /** Rows in every table, so a refused request that stored anything shows up. */
  async function rowCounts(): Promise<Record<string, number>> {
    // Only this test's own tables: on PostgreSQL each test database is a schema, and other
    // tests create and drop theirs meanwhile, which the catalog-wide introspection would see.
    const schema = t.plumb.db.schema;
    const names = schema
      ? (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = ${schema}`.execute(t.plumb.db.kysely)
        ).rows
      : (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
            t.plumb.db.kysely,
          )
        ).rows;
    const counts: Record<string, number> = {};
    for (const { name } of names) {
      if (name.startsWith('kysely_') || name.startsWith('sqlite_')) continue;
      const row = await t.plumb.db.kysely
        .selectFrom(name as never)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      counts[name] = Number((row as { n: unknown }).n);
    }
    expect(Object.keys(counts).length).toBeGreaterThan(10);
    return counts;
  }

  const references: Case[] = [
    // Blobs: content another project uploaded is not there for this one, by any route.
    {
      label: 'blob download',
      method: 'GET',
      route: '/api/v1/blobs/:ref',
      kind: 'blob',
      pick: (w) => w.privateBlob,
      request: (ref) => ({ url: `/api/v1/blobs/${ref}` }),
    },
    {
      label: 'blob stat',
      method: 'GET',
      route: '/api/v1/blobs/:ref/stat',
      kind: 'blob',
      pick: (w) => w.privateBlob,
      request: (ref) => ({ url: `/api/v1/blobs/${ref}/stat` }),
    },
    {
      label: 'dataset version file',
      method: 'POST',
      route: '/api/v1/datasets/:name/versions',
      kind: 'blob',
      code: 'failed_precondition',
      pick: (w) => w.privateBlob,
      request: (ref) => ({
        url: '/api/v1/datasets/borrowed/versions',
        body: { files: [{ path: 'b.csv', ref }] },
      }),
    },
    {
      label: 'run artifact',
      method: 'POST',
      route: '/api/v1/runs/:id/artifacts',
      kind: 'blob',
      code: 'failed_precondition',
      pick: (w) => w.privateBlob,
      request: (ref, from) => ({
        url: `/api/v1/runs/${from.run}/artifacts`,
        body: { path: 'borrowed.csv', blobRef: ref },
      }),
    },
    {
      label: 'model version artifact',
      method: 'POST',
      route: '/api/v1/models/:name/versions',
      kind: 'blob',
      code: 'failed_precondition',
      pick: (w) => w.privateBlob,
      request: (ref) => ({
        url: '/api/v1/models/clf/versions',
        body: { artifact: { kind: 'onnx', blobRef: ref } },
      }),
    },
    {
      label: 'run input dataset version',
      method: 'POST',
      route: '/api/v1/runs',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref) => ({ url: '/api/v1/runs', body: { name: 'steal', inputs: [ref] } }),
    },
    {
      label: 'dataset version parent',
      method: 'POST',
      route: '/api/v1/datasets/:name/versions',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref, from) => ({
        url: '/api/v1/datasets/derived/versions',
        body: { files: [{ path: 'd.csv', ref: from.blob }], parents: [ref] },
      }),
    },
    {
      label: 'dataset version producedByRun',
      method: 'POST',
      route: '/api/v1/datasets/:name/versions',
      kind: 'run',
      pick: (w) => w.run,
      request: (ref, from) => ({
        url: '/api/v1/datasets/derived/versions',
        body: { files: [{ path: 'd.csv', ref: from.blob }], producedByRun: ref },
      }),
    },
    {
      label: 'producedByRun on content the project already holds',
      method: 'POST',
      route: '/api/v1/datasets/:name/versions',
      kind: 'run',
      pick: (w) => w.run,
      request: (ref, from) => ({
        url: '/api/v1/datasets/weather/versions',
        body: { files: [{ path: 'seattle-weather.csv', ref: from.blob }], producedByRun: ref },
      }),
    },
    {
      label: 'evaluation suite dataset',
      method: 'POST',
      route: '/api/v1/eval-suites',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref) => ({ url: '/api/v1/eval-suites', body: { yaml: gateSuite('stolen', [ref]) } }),
    },
    {
      label: 'evaluation suite red-team set',
      method: 'POST',
      route: '/api/v1/eval-suites',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref) => ({
        url: '/api/v1/eval-suites',
        body: { yaml: gateSuite('stolen', ['weather@v1'], [ref]) },
      }),
    },
    {
      label: 'evaluation run candidate model version',
      method: 'POST',
      route: '/api/v1/eval-runs',
      kind: 'mv',
      pick: (w) => w.modelVersion,
      request: (ref) => ({ url: '/api/v1/eval-runs', body: { suite: 'gate', candidate: ref } }),
    },
    {
      label: 'evaluation run baseline model version',
      method: 'POST',
      route: '/api/v1/eval-runs',
      kind: 'mv',
      pick: (w) => w.modelVersion,
      request: (ref) => ({
        url: '/api/v1/eval-runs',
        body: { suite: 'gate', candidate: 'clf@v1', baseline: ref },
      }),
    },
    {
      label: 'model version training run',
      method: 'POST',
      route: '/api/v1/models/:name/versions',
      kind: 'run',
      pick: (w) => w.run,
      request: (ref) => ({
        url: '/api/v1/models/clf/versions',
        body: { artifact: { kind: 'oip', url: 'http://triton:8000/v2/models/clf' }, runId: ref },
      }),
    },
    {
      label: 'validation drift reference',
      method: 'POST',
      route: '/api/v1/datasets/:name/versions/:v/validations',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref) => ({
        url: '/api/v1/datasets/weather/versions/1/validations',
        body: {
          suite: 'name: d\nexpectations:\n  - { expect: drift, column: temp_max, test: psi, max: 0.2 }\n',
          reference: ref,
        },
      }),
    },
    {
      label: 'diff against a dataset version',
      method: 'GET',
      route: '/api/v1/datasets/:name/versions/:v/diff',
      kind: 'dsv',
      pick: (w) => w.datasetVersion,
      request: (ref) => ({ url: `/api/v1/datasets/weather/versions/1/diff?against=${ref}` }),
    },
    // By id in the path or query.
    ...(
      [
        ['GET', '/api/v1/runs/:id', 'run', (w: World) => w.run, (r: string) => `/api/v1/runs/${r}`],
        [
          'GET',
          '/api/v1/runs/:id/metrics',
          'run',
          (w: World) => w.run,
          (r: string) => `/api/v1/runs/${r}/metrics?key=a`,
        ],
        [
          'GET',
          '/api/v1/runs/compare',
          'run',
          (w: World) => w.run,
          (r: string, from: World) => `/api/v1/runs/compare?ids=${from.run},${r}`,
        ],
        [
          'GET',
          '/api/v1/eval-runs/:id',
          'evr',
          (w: World) => w.evalRun,
          (r: string) => `/api/v1/eval-runs/${r}`,
        ],
        [
          'GET',
          '/api/v1/eval-runs/:id/report.html',
          'evr',
          (w: World) => w.evalRun,
          (r: string) => `/api/v1/eval-runs/${r}/report.html`,
        ],
        [
          'GET',
          '/api/v1/promotion-requests/:id',
          'prq',
          (w: World) => w.promotionRequest,
          (r: string) => `/api/v1/promotion-requests/${r}`,
        ],
        [
          'GET',
          '/api/v1/validation-reports/:id',
          'vr',
          (w: World) => w.validationReport,
          (r: string) => `/api/v1/validation-reports/${r}`,
        ],
      ] as const
    ).map(([method, route, kind, pick, url]) => ({
      label: `${method} ${route}`,
      method,
      route,
      kind,
      pick,
      request: (ref: string, from: World) => ({ url: url(ref, from) }),
    })),
    {
      label: 'metrics logged to a run',
      method: 'POST',
      route: '/api/v1/runs/:id/metrics',
      kind: 'run',
      pick: (w) => w.run,
      request: (ref) => ({
        url: `/api/v1/runs/${ref}/metrics`,
        body: { points: [{ key: 'a', value: 1, step: 0 }] },
      }),
    },
    {
      label: 'run finished',
      method: 'POST',
      route: '/api/v1/runs/:id/finish',
      kind: 'run',
      pick: (w) => w.run,
      request: (ref) => ({ url: `/api/v1/runs/${ref}/finish`, body: {} }),
    },
    {
      label: 'promotion request approved',
      method: 'POST',
      route: '/api/v1/promotion-requests/:id/approve',
      kind: 'prq',
      pick: (w) => w.promotionRequest,
      request: (ref) => ({ url: `/api/v1/promotion-requests/${ref}/approve`, body: { comment: 'ok' } }),
    },
    {
      label: 'promotion request rejected',
      method: 'POST',
      route: '/api/v1/promotion-requests/:id/reject',
      kind: 'prq',
      pick: (w) => w.promotionRequest,
      request: (ref) => ({ url: `/api/v1/promotion-requests/${ref}/reject`, body: { comment: 'no' } }),
    },
  ];

  it('covers every case against a registered route', () => {
    for (const c of references) {
      expect(
        t.plumb.routes.some((r) => r.method === c.method && r.url === c.route),
        c.label,
      ).toBe(true);
    }
  });

  it('each reference to the other project is not_found, indistinguishable from none, and stores nothing', async () => {
    let checked = 0;
    for (const [from, to] of [
      [worlds[1]!, worlds[0]!],
      [worlds[0]!, worlds[1]!],
    ] as const) {
      for (const c of references) {
        const spec = t.plumb.routes.find((r) => r.method === c.method && r.url === c.route)!;
        const foreign = c.pick(to);
        const nowhere = c.kind === 'blob' ? `sha256:${randomBytes(32).toString('hex')}` : newId(c.kind);
        for (const role of Role.options) {
          if (!t.plumb.permissions.allows(role, spec.permission as string)) continue;
          const label = `${role} of ${from.project} → ${to.project}: ${c.label}`;
          const key = from.keys.get(role)!;
          const before = await rowCounts();
          const theirs = c.request(foreign, from);
          const response = await call(key, c.method, theirs.url, theirs.body);
          const code = c.code ?? 'not_found';
          expect(response.statusCode, `${label}: ${response.body.slice(0, 300)}`).toBe(
            code === 'not_found' ? 404 : 412,
          );
          expect(response.json().error.code, label).toBe(code);
          expect(await rowCounts(), `${label} stored something`).toEqual(before);

          const made = c.request(nowhere, from);
          const missing = await call(key, c.method, made.url, made.body);
          expect(missing.json().error.code, `${label} (made-up id)`).toBe(code);
          expect(response.json().error.message.replaceAll(foreign, '<id>'), label).toBe(
            missing.json().error.message.replaceAll(nowhere, '<id>'),
          );
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(references.length * 2);
    // The ids are real: their own project reads them.
    for (const w of worlds) {
      const key = w.keys.get('viewer')!;
      for (const url of [
        `/api/v1/runs/${w.run}`,
        `/api/v1/eval-runs/${w.evalRun}`,
        `/api/v1/promotion-requests/${w.promotionRequest}`,
        `/api/v1/validation-reports/${w.validationReport}`,
        `/api/v1/blobs/${w.privateBlob}/stat`,
      ])
        expect((await call(key, 'GET', url)).statusCode, url).toBe(200);
    }
  }, 120_000);

  it("lists show a key nothing of another project's resources", async () => {
    const lists = [
      '/api/v1/projects',
      '/api/v1/runs',
      '/api/v1/datasets',
      ['/api/v1/datasets/:name/versions', '/api/v1/datasets/weather/versions'],
      '/api/v1/models',
      ['/api/v1/models/:name/versions', '/api/v1/models/clf/versions'],
      '/api/v1/inventory',
      '/api/v1/eval-suites',
      '/api/v1/eval-runs',
      '/api/v1/promotion-requests',
      '/api/v1/audit',
    ];
    for (const [from, to] of [
      [worlds[1]!, worlds[0]!],
      [worlds[0]!, worlds[1]!],
    ] as const) {
      const theirs = [
        to.datasetVersion,
        to.run,
        to.modelVersion,
        to.evalRun,
        to.promotionRequest,
        to.validationReport,
      ];
      const urls = [...lists, ['/api/v1/eval-runs', `/api/v1/eval-runs?candidate=${to.modelVersion}`]].map(
        (u): [string, string] => (typeof u === 'string' ? [u, u] : [u[0]!, u[1]!]),
      );
      // Admin keys administer the whole instance (every project, the whole audit chain).
      for (const role of Role.options.filter((r) => r !== 'admin')) {
        for (const [route, url] of urls) {
          const spec = t.plumb.routes.find((r) => r.method === 'GET' && r.url === route)!;
          expect(spec, route).toBeDefined();
          if (!t.plumb.permissions.allows(role, spec.permission as string)) continue;
          const response = await call(from.keys.get(role)!, 'GET', url);
          expect(response.statusCode, `${role} of ${from.project}: ${url}`).toBe(200);
          for (const id of theirs)
            expect(response.body, `${role} of ${from.project}: ${url}`).not.toContain(id);
          expect(response.body, `${role} of ${from.project}: ${url}`).not.toContain(`"${to.project}"`);
        }
      }
    }
  });

  it('a version may name a run of its own project as its producer', async () => {
    const [alpha] = worlds;
    const key = alpha!.keys.get('maintainer')!;
    const csv = (await ok(await call(key, 'POST', '/api/v1/blobs', Buffer.from('a,b\n1,2\n')))).ref;
    const added = await ok(
      await call(key, 'POST', '/api/v1/datasets/produced/versions', {
        files: [{ path: 'p.csv', ref: csv }],
        producedByRun: alpha!.run,
      }),
    );
    expect(added.version.producedByRun).toBe(alpha!.run);
  });
});
