import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline as pump } from 'node:stream/promises';
import type { PipelineInput } from '@plumb/sdk';
import { canonicalJson } from '../../core/canonical-json.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { PipelinesDeps } from './pipelines.ports.js';

/** An input with the identity its cache key is computed from. */
export type ResolvedInput =
  | { kind: 'dataset'; ref: string; versionId: string; digest: string }
  | { kind: 'model'; ref: string; versionId: string; digest: string }
  | { kind: 'blob'; ref: string; name: string; digest: string }
  | { kind: 'value'; value: unknown; digest: string };

/**
 * Resolves a step's inputs: references to their versions now (`flights@latest` becomes the version
 * it names at this moment), outputs of earlier steps from their stored outputs.
 */
export async function resolveInputs(
  deps: Pick<PipelinesDeps, 'datasets' | 'registry'>,
  projectId: string,
  inputs: Record<string, PipelineInput>,
  outputsOf: (step: string) => Record<string, unknown> | null,
): Promise<Record<string, ResolvedInput>> {
  const resolved: Record<string, ResolvedInput> = {};
  for (const [name, source] of Object.entries(inputs)) {
    if (typeof source === 'string') {
      const [, step, , output] = source.split('.') as [string, string, string, string];
      const outputs = outputsOf(step);
      if (!outputs || !(output in outputs)) {
        throw new PlumbError('failed_precondition', `input ${name}: step ${step} has no output ${output}`);
      }
      resolved[name] = await resolveValue(deps, projectId, outputs[output]);
    } else if ('dataset' in source || 'model' in source) {
      resolved[name] = await resolveValue(deps, projectId, source);
    } else {
      resolved[name] = valueInput(source.value);
    }
  }
  return resolved;
}

function valueInput(value: unknown): ResolvedInput {
  return { kind: 'value', value, digest: sha256(canonicalJson(value ?? null)) };
}

/** Output values `{dataset}`, `{model}` and `{blob, name}` stand for what they name; others are values. */
async function resolveValue(
  deps: Pick<PipelinesDeps, 'datasets' | 'registry'>,
  projectId: string,
  value: unknown,
): Promise<ResolvedInput> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.dataset === 'string') {
      const row = await deps.datasets.resolve(projectId, v.dataset);
      return {
        kind: 'dataset',
        ref: `${row.dataset_name}@v${row.version}`,
        versionId: row.id,
        digest: row.content_hash,
      };
    }
    if (typeof v.model === 'string') {
      const info = await deps.registry.models.resolve(projectId, v.model);
      const a = info.artifact;
      const digest = a.kind === 'onnx' ? a.blobRef : a.kind === 'oip' ? a.url : `${a.baseUrl}#${a.model}`;
      return { kind: 'model', ref: info.ref, versionId: info.id, digest };
    }
    if (typeof v.blob === 'string') {
      return {
        kind: 'blob',
        ref: v.blob,
        name: typeof v.name === 'string' ? v.name : 'file',
        digest: v.blob,
      };
    }
  }
  return valueInput(value);
}

/** Whether everything the outputs name still exists: a cached step is reused only then. */
export async function outputsExist(
  deps: Pick<PipelinesDeps, 'datasets' | 'registry' | 'blobService'>,
  projectId: string,
  outputs: Record<string, unknown>,
): Promise<boolean> {
  for (const value of Object.values(outputs)) {
    try {
      const r = await resolveValue(deps, projectId, value);
      if (r.kind === 'blob' && !(await deps.blobService.statIn(projectId, r.ref))) return false;
    } catch (error) {
      if (PlumbError.is(error, 'not_found') || PlumbError.is(error, 'invalid_argument')) return false;
      throw error;
    }
  }
  return true;
}

/**
 * Writes the inputs into `dir/inputs/NAME/` (dataset files under their paths, a model as
 * `model.onnx`, a file under its name) and returns the environment that describes them.
 */
export async function materializeInputs(
  deps: Pick<PipelinesDeps, 'datasets' | 'registry' | 'blobService'>,
  ctx: RequestContext,
  inputs: Record<string, ResolvedInput>,
  dir: string,
): Promise<{ env: Record<string, string>; manifest: Record<string, unknown> }> {
  const env: Record<string, string> = {};
  const manifest: Record<string, unknown> = {};
  const fetchBlob = async (ref: string, to: string) => {
    mkdirSync(dirname(to), { recursive: true });
    const { stream } = await deps.blobService.open(ctx, ref);
    await pump(stream, createWriteStream(to));
  };
  for (const [name, input] of Object.entries(inputs)) {
    const key = `PLUMB_INPUT_${name.toUpperCase()}`;
    const folder = join(dir, 'inputs', name);
    if (input.kind === 'value') {
      env[key] = typeof input.value === 'string' ? input.value : JSON.stringify(input.value);
      manifest[name] = { kind: 'value', value: input.value };
      continue;
    }
    if (input.kind === 'dataset') {
      const version = await deps.datasets.get(ctx, input.ref);
      const files: string[] = [];
      for (const f of version.files) {
        const to = safeJoin(folder, f.path);
        await fetchBlob(f.ref, to);
        files.push(to);
      }
      env[key] = folder;
      env[`${key}_REF`] = input.ref;
      manifest[name] = { kind: 'dataset', ref: input.ref, path: folder, files, format: version.format };
    } else if (input.kind === 'model') {
      const info = await deps.registry.models.resolve(ctx.principal.projectId, input.ref);
      env[`${key}_REF`] = input.ref;
      if (info.artifact.kind === 'onnx') {
        const to = join(folder, 'model.onnx');
        await fetchBlob(info.artifact.blobRef, to);
        env[key] = to;
        manifest[name] = { kind: 'model', ref: input.ref, path: to };
      } else {
        env[key] = input.ref;
        manifest[name] = { kind: 'model', ref: input.ref, artifact: info.artifact };
      }
    } else {
      const to = safeJoin(folder, input.name);
      await fetchBlob(input.ref, to);
      env[key] = to;
      manifest[name] = { kind: 'file', ref: input.ref, path: to };
    }
  }
  return { env, manifest };
}

function safeJoin(root: string, path: string): string {
  const to = resolve(root, path);
  if (!to.startsWith(root + sep)) throw new PlumbError('invalid_argument', `${path} leaves its folder`);
  return to;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Digests of the files a command step depends on: each listed file or folder (recursively, in
 * name order); a missing one counts as missing, so creating it later changes the key.
 */
export function fileDigests(baseDir: string, paths: readonly string[]): Record<string, string> {
  const digests: Record<string, string> = {};
  const walk = (path: string, shown: string) => {
    if (!existsSync(path)) {
      digests[shown] = 'missing';
      return;
    }
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry), `${shown}/${entry}`);
    } else {
      digests[shown] = sha256(readFileSync(path));
    }
  };
  for (const p of paths) walk(resolve(baseDir, p), p);
  return digests;
}

/** By default a command's files are its arguments that name files in the pipeline's folder. */
export function defaultFiles(baseDir: string, argv: readonly string[]): string[] {
  return argv.filter(
    (a) => !a.startsWith('-') && existsSync(resolve(baseDir, a)) && statSync(resolve(baseDir, a)).isFile(),
  );
}
