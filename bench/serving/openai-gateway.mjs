// OpenAI chat completions through Plumb's gateway (`POST /v1/chat/completions`, streamed) against
// the same OpenAI-compatible upstream called directly: time to the first chunk and to the last,
// and completions per second, with every completion logged (tokens and cost) before its [DONE].
// The upstream (a local SSE server answering at once, 20 chunks) and the load generator each run
// in their own process; Plumb runs in this one, on a temporary SQLite home. The upstream wants an
// API key, which Plumb reads from the environment variable the version names at each call. A
// third run goes through an endpoint with a response cache, where every call after the first is
// replayed from it. After `npm run build`:
//   node bench/serving/openai-gateway.mjs [requests=2000] [connections=16]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNKS = 20;
// The upstream's key: Plumb sends it from BENCH_UPSTREAM_KEY, the version's apiKeyEnv.
const UPSTREAM_KEY = 'sk-bench-upstream-key';
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

if (process.argv[2] === 'upstream') await upstream();
else if (process.argv[2] === 'client') await client(JSON.parse(process.argv[3]));
else await main();

/** An OpenAI-compatible upstream that streams CHUNKS chunks and usage at once. */
async function upstream() {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${UPSTREAM_KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"no key"}}');
      return;
    }
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const body = JSON.parse(text);
      const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: body.model };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < CHUNKS; i++) {
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: ` w${i}` }, finish_reason: null }] })}\n\n`,
        );
      }
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
      );
      if (body.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS } })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}

/** Sends `requests` streamed completions over `connections` connections; prints JSON figures. */
async function client({ url, key, model, requests, connections }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const body = JSON.stringify({
    model,
    stream: true,
    messages: [{ role: 'user', content: 'hello there' }],
  });
  const first = [];
  const total = [];
  let failed = 0;
  let sent = 0;
  const one = () =>
    new Promise((resolve) => {
      const start = process.hrtime.bigint();
      let firstAt = null;
      let text = '';
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (d) => {
            firstAt ??= process.hrtime.bigint();
            text += d;
          });
          res.on('end', () => {
            if (res.statusCode === 200 && text.endsWith('data: [DONE]\n\n')) {
              first.push(Number(firstAt - start) / 1e6);
              total.push(Number(process.hrtime.bigint() - start) / 1e6);
            } else failed += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed += 1;
        resolve();
      });
      req.end(body);
    });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent < requests) {
        sent += 1;
        await one();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  first.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({
      perSecond: total.length / seconds,
      failed,
      first50: percentile(first, 0.5),
      first99: percentile(first, 0.99),
      total50: percentile(total, 0.5),
      total99: percentile(total, 0.99),
    }),
  );
}

function runClient(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      fileURLToPath(import.meta.url),
      'client',
      JSON.stringify(options),
    ]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.pipe(process.stderr);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`)),
    );
  });
}

async function main() {
  const requests = Number(process.argv[2] ?? 2000);
  const connections = Number(process.argv[3] ?? 16);
  const up = spawn(process.execPath, [fileURLToPath(import.meta.url), 'upstream']);
  const port = await new Promise((resolve) =>
    up.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  const baseUrl = `http://127.0.0.1:${port}/v1`;

  const { loadConfig } = await import('../../packages/server/dist/core/config.js');
  const { startServer } = await import('../../packages/server/dist/server.js');
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-openai-'));
  const config = loadConfig({ PLUMB_HOME: home, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'silent' });
  const { plumb, url, adminSecret } = await startServer(config, { print: () => {} });
  try {
    const s = plumb.services;
    const admin = { principal: await s.keys.authenticate(adminSecret), requestId: 'bench' };
    await s.registry.models.create(admin, {
      name: 'llm',
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    process.env.BENCH_UPSTREAM_KEY = UPSTREAM_KEY;
    await s.registry.registration.register(admin, 'llm', {
      artifact: { kind: 'openai', baseUrl, model: 'small-chat', apiKeyEnv: 'BENCH_UPSTREAM_KEY' },
      description: '',
    });
    for (const [name, cacheTtlMs] of [
      ['assistant', 0],
      ['assistant-cached', 600_000],
    ]) {
      await s.endpoints.create(admin, {
        name,
        description: '',
        routes: [{ target: 'llm@v1', weight: 1 }],
        shadows: [],
        fallback: { versions: [], defaultResponse: null },
        timeoutMs: 5000,
        cacheTtlMs,
        reviewThreshold: null,
        redact: {},
        features: null,
      });
    }
    await s.prices.set(admin, {
      upstreamModel: 'small-chat',
      inputPer1m: 0.15,
      outputPer1m: 0.6,
      from: '2020-01-01',
    });
    const key = (await s.keys.create(admin, { name: 'bench', role: 'service' })).secret;

    console.log(
      `node ${process.version}, Plumb ${url} on SQLite; ${requests} streamed completions of ${CHUNKS} chunks, ${connections} connections`,
    );
    const options = { model: 'assistant', requests, connections };
    const direct = await runClient({ ...options, url: `${baseUrl}/chat/completions`, key: UPSTREAM_KEY });
    const gateway = await runClient({ ...options, url: `${url}/v1/chat/completions`, key });
    const cached = await runClient({
      ...options,
      model: 'assistant-cached',
      url: `${url}/v1/chat/completions`,
      key,
    });
    const row = (name, r) =>
      console.log(
        `${name.padEnd(16)} ${r.perSecond.toFixed(0).padStart(6)}/s  first chunk p50 ${r.first50.toFixed(2)} ms p99 ${r.first99.toFixed(2)} ms  last p50 ${r.total50.toFixed(2)} ms p99 ${r.total99.toFixed(2)} ms  failed ${r.failed}`,
      );
    row('upstream direct', direct);
    row('through Plumb', gateway);
    row('Plumb, cached', cached);
    console.log(
      `added to first chunk p50 ${(gateway.first50 - direct.first50).toFixed(2)} ms; throughput ratio ${(gateway.perSecond / direct.perSecond).toFixed(2)}`,
    );
    const logged = await s.events.list(admin, { endpoint: 'assistant', limit: 1 });
    console.log(
      `last logged: ${logged.items[0]?.completionTokens} completion tokens, $${logged.items[0]?.costUsd}`,
    );
    const hit = (await s.events.list(admin, { endpoint: 'assistant-cached', limit: 1 })).items[0];
    console.log(`last cached call logged as arm ${hit?.arm}, $${hit?.costUsd}`);
  } finally {
    await plumb.close();
    up.kill();
    rmSync(home, { recursive: true, force: true });
  }
}
