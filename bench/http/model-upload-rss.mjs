// Peak resident memory of `plumb serve` while model files are uploaded and registered: a 512 MiB
// file that is not ONNX (random bytes), registered once and four times at once, and a real
// ONNX model with a 128 MiB weight matrix. Peaks are the kernel's high-water mark (VmHWM),
// reset before each step through /proc/PID/clear_refs (Linux, run as the server's owner).
// Run after `npm run build`:
//   node bench/http/model-upload-rss.mjs [junk-MiB=512] [onnx-weights-MiB=128]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOnnxModel } from '../../examples/dist/onnx-writer.js';

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
const ADMIN_KEY = `plumb_${'r'.repeat(43)}`;
const junkMiB = Number(process.argv[2] ?? 512);
const weightsMiB = Number(process.argv[3] ?? 128);
const MiB = 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-rss-'));
const home = join(dir, 'home');
const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
  env: { ...process.env, PLUMB_HOME: home, PLUMB_ADMIN_KEY: ADMIN_KEY, PLUMB_LOG_LEVEL: 'info' },
});
let output = '';
const url = await new Promise((resolve, reject) => {
  const onData = (d) => {
    output += d;
    const found = /Plumb (http:\/\/\S+)/.exec(output)?.[1];
    if (found && /"msg":"worker started"/.test(output)) resolve(found);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
});

const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())[1]);
const resetPeak = () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
const mib = (k) => `${(k / 1024).toFixed(0)} MiB`;

function upload(path) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/blobs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        'content-type': 'application/octet-stream',
        'content-length': String(statSync(path).size),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(body).ref) : reject(new Error(body))));
    });
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
}

async function register(ref) {
  const response = await fetch(`${url}/api/v1/models/m/versions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ artifact: { kind: 'onnx', blobRef: ref }, model: { riskClass: 'minimal' } }),
  });
  const body = await response.json();
  return { status: response.status, message: body.error?.message ?? body.ref };
}

async function step(label, work) {
  resetPeak();
  const before = kib('VmRSS');
  const t0 = performance.now();
  const result = await work();
  const seconds = ((performance.now() - t0) / 1000).toFixed(2);
  const peak = kib('VmHWM');
  // Resident a moment later: what the step left behind (a model kept loaded, buffers not freed).
  await new Promise((r) => setTimeout(r, 1000));
  console.log(
    `${label}: peak RSS ${mib(peak)} (from ${mib(before)}, ${mib(kib('VmRSS'))} after), ${seconds} s` +
      (result ? `: ${result}` : ''),
  );
}

try {
  console.log(`plumb serve pid ${child.pid}, node ${process.version}; idle RSS ${mib(kib('VmRSS'))}`);
  const junk = join(dir, 'junk.bin');
  const block = randomBytes(MiB);
  writeFileSync(
    junk,
    Buffer.concat(Array.from({ length: junkMiB }, (_, i) => (i === 0 ? randomBytes(MiB) : block))),
  );
  let junkRef;
  await step(`upload ${junkMiB} MiB not ONNX`, async () => {
    junkRef = await upload(junk);
  });
  await step(`register it`, async () => {
    const r = await register(junkRef);
    return `${r.status} ${r.message.slice(0, 90)}`;
  });
  await step(`register it 4 times at once`, async () => {
    const all = await Promise.all([1, 2, 3, 4].map(() => register(junkRef)));
    return all.map((r) => r.status).join(' ');
  });

  // A real model: y = softmax(x W) with W [features, 4] float, weightsMiB of weights.
  const features = (weightsMiB * MiB) / 4 / 4;
  const weights = new Float32Array(features * 4);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const model = encodeOnnxModel({
    opsets: { '': 17 },
    graph: {
      name: 'wide_linear',
      initializers: [{ name: 'w', type: 'float', dims: [features, 4], values: weights }],
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['logits'] },
        { opType: 'Softmax', inputs: ['logits'], outputs: ['probabilities'] },
      ],
      inputs: [{ name: 'x', type: { tensor: 'float', shape: ['N', features] } }],
      outputs: [{ name: 'probabilities', type: { tensor: 'float', shape: ['N', 4] } }],
    },
  });
  const onnx = join(dir, 'wide.onnx');
  writeFileSync(onnx, model);
  let onnxRef;
  await step(`upload ${(model.length / MiB).toFixed(0)} MiB ONNX`, async () => {
    onnxRef = await upload(onnx);
  });
  await step(`register it`, async () => {
    const r = await register(onnxRef);
    return `${r.status} ${r.message}`;
  });
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
