import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { PipelineSpec, PipelineStepSpec, Role } from '@plumb/sdk';
import { stringify } from 'yaml';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { approvalsBefore } from './approval-desk.js';
import { runCommand } from './command-runner.js';
import { recordProcess } from './orphan-process.js';
import type { PipelinesDeps } from './pipelines.ports.js';
import type { RunRow } from './pipelines.repo.js';
import { snapshotTraffic } from './snapshot-step.js';
import { FinalStepFailure, StepTimeout } from './step-failure.js';
import { materializeInputs, type ResolvedInput } from './step-inputs.js';

export interface StepRunContext {
  deps: PipelinesDeps;
  run: RunRow;
  /** The run's principal: built-in steps act as it. */
  ctx: RequestContext;
  spec: PipelineStepSpec;
  pipeline: PipelineSpec;
  baseDir: string | null;
  attempt: number;
  inputs: Record<string, ResolvedInput>;
  params: Record<string, unknown>;
  /** A fresh folder of this attempt's own. */
  workDir: string;
  signal: AbortSignal;
  timeoutMs: number | undefined;
  log(stream: 'stdout' | 'stderr' | 'system', text: string): void;
}

export interface Executed {
  outputs: Record<string, unknown>;
}

/** Variables a program needs from the server's environment to start at all (PATH to find it). */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ', 'SYSTEMROOT'];

export function runBuiltin(c: StepRunContext): Promise<Executed> {
  switch (c.spec.kind) {
    case 'command':
      return command(c);
    case 'train':
      return train(c);
    case 'validate':
      return validate(c);
    case 'snapshot':
      return snapshotTraffic(c);
    case 'evaluate':
      return evaluate(c);
    case 'register':
      return register(c);
    case 'deploy':
      return deploy(c);
    case 'promote':
      return promote(c);
    default:
      throw new PlumbError('internal', `step kind ${c.spec.kind} has no executor`);
  }
}

function refOf(c: StepRunContext, name: string, kind: ResolvedInput['kind']): string {
  const input = c.inputs[name];
  if (!input || input.kind !== kind)
    throw new FinalStepFailure(`input ${name} must be a ${kind}, not ${input ? input.kind : 'missing'}`);
  return (input as { ref: string }).ref;
}

/**
 * Runs the program with its inputs in `workDir/inputs`, described by PLUMB_INPUT_* variables and
 * PLUMB_INPUTS (a JSON manifest), its parameters in PLUMB_PARAMS and PLUMB_PARAM_*, and an API key
 * of its own for the attempt (revoked after it) so it can log runs and metrics through the SDK.
 * It declares outputs by writing a JSON object to the file named by PLUMB_OUTPUTS; `{"file": path}`
 * values are stored as blobs.
 */
async function command(c: StepRunContext): Promise<Executed> {
  const { deps, ctx } = c;
  const { env: inputEnv, manifest } = await materializeInputs(deps, ctx, c.inputs, c.workDir);
  const manifestPath = join(c.workDir, 'inputs.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const outputsPath = join(c.workDir, 'outputs.json');
  const role: Role = ctx.principal.role === 'admin' ? 'maintainer' : ctx.principal.role;
  const key = await deps.keys.create(ctx, {
    name: `pipeline ${c.run.pipeline_name} ${c.run.id} ${c.spec.name}#${c.attempt}`.slice(0, 100),
    role,
    project: ctx.principal.projectName,
  });
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, c.spec.env, inputEnv, {
    PLUMB_API_KEY: key.secret,
    PLUMB_PIPELINE: c.run.pipeline_name,
    PLUMB_PIPELINE_RUN: c.run.id,
    PLUMB_STEP: c.spec.name,
    PLUMB_ATTEMPT: String(c.attempt),
    PLUMB_WORK_DIR: c.workDir,
    PLUMB_INPUTS: manifestPath,
    PLUMB_OUTPUTS: outputsPath,
    PLUMB_PARAMS: JSON.stringify(c.params),
  });
  if (deps.serverUrl) env.PLUMB_URL = deps.serverUrl;
  for (const [name, value] of Object.entries(c.params)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      env[`PLUMB_PARAM_${name.toUpperCase()}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  try {
    const result = await runCommand({
      argv: c.spec.run!,
      cwd: c.baseDir ?? c.workDir,
      env,
      onLine: c.log,
      signal: c.signal,
      timeoutMs: c.timeoutMs,
      onSpawn: (pid) => recordProcess(c.workDir, pid),
    });
    if (c.signal.aborted) throw c.signal.reason ?? new PlumbError('failed_precondition', 'cancelled');
    if (result.timedOut) throw new StepTimeout(c.timeoutMs!);
    if (result.exitCode !== 0) {
      const error = new PlumbError(
        'failed_precondition',
        result.signal
          ? `the program was ended by ${result.signal}`
          : `the program exited with code ${result.exitCode}`,
      );
      Object.assign(error, { exitCode: result.exitCode });
      throw error;
    }
  } finally {
    await deps.keys.revoke(ctx, key.key.id).catch(() => {});
  }
  return { outputs: await collectOutputs(c, outputsPath) };
}

async function collectOutputs(c: StepRunContext, path: string): Promise<Record<string, unknown>> {
  if (!existsSync(path)) return {};
  let declared: unknown;
  try {
    declared = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FinalStepFailure(`PLUMB_OUTPUTS is not JSON: ${(error as Error).message}`);
  }
  if (declared === null || typeof declared !== 'object' || Array.isArray(declared))
    throw new FinalStepFailure('PLUMB_OUTPUTS must hold a JSON object of outputs by name');
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(declared as Record<string, unknown>)) {
    const file = (value as { file?: unknown } | null)?.file;
    if (typeof file === 'string') {
      const at = isAbsolute(file) ? file : join(c.workDir, file);
      if (!existsSync(at) || !statSync(at).isFile())
        throw new FinalStepFailure(`output ${name}: ${file} is not a file`);
      const blob = await c.deps.blobService.upload(c.ctx, createReadStream(at));
      outputs[name] = { blob: blob.ref, name: basename(at), size: blob.size };
    } else {
      outputs[name] = value;
    }
  }
  return outputs;
}

/** A command that must declare a `model` file (the trained artifact, e.g. ONNX). */
async function train(c: StepRunContext): Promise<Executed> {
  const executed = await command(c);
  const model = executed.outputs.model as { blob?: unknown } | undefined;
  if (!model || typeof model.blob !== 'string')
    throw new FinalStepFailure(
      'a train step must declare its model as an output: {"model": {"file": "model.onnx"}}',
    );
  return executed;
}

async function validate(c: StepRunContext): Promise<Executed> {
  const ref = refOf(c, 'dataset', 'dataset');
  const suite = c.spec.with.suite;
  const text = typeof suite === 'string' ? suite : stringify(suite);
  const reference = c.inputs.reference ? refOf(c, 'reference', 'dataset') : undefined;
  const report = await c.deps.datasetAnalysis.validate(c.ctx, ref, text, reference);
  const failed = report.results.filter((r) => !(r as { passed: boolean }).passed);
  c.log(
    'system',
    `validation of ${ref}: ${report.results.length - failed.length} of ${report.results.length} passed`,
  );
  if (!report.passed)
    throw new FinalStepFailure(`${ref} failed validation (${failed.length} expectations)`, {
      reportId: report.id,
    });
  return { outputs: { dataset: { dataset: ref }, report: report.id } };
}

/** Evaluates the candidate against a baseline (the model's champion unless given); the gate must pass. */
async function evaluate(c: StepRunContext): Promise<Executed> {
  const candidate = refOf(c, 'model', 'model');
  const baseline =
    c.inputs.baseline !== undefined
      ? refOf(c, 'baseline', 'model')
      : typeof c.spec.with.baseline === 'string'
        ? c.spec.with.baseline
        : `${candidate.split('@')[0]}@champion`;
  const started = await c.deps.evals.startRun(c.ctx, {
    suite: String(c.spec.with.suite),
    candidate,
    baseline,
  });
  c.log('system', `evaluation ${started.id}: ${candidate} against ${baseline}`);
  for (;;) {
    const run = await c.deps.evals.getRun(c.ctx, started.id);
    if (run.status === 'failed')
      throw new PlumbError('unavailable', `evaluation ${run.id} failed: ${run.error}`);
    if (run.status === 'succeeded') {
      const passed = run.decision?.passed ?? true;
      const outputs = {
        evalRun: run.id,
        passed,
        baseline: run.baseline?.ref ?? null,
        reasons: run.decision?.reasons ?? [],
        model: { model: candidate },
      };
      if (!passed && c.spec.with.gate !== false) {
        throw new FinalStepFailure(
          `${candidate} did not pass the gate: ${outputs.reasons.join('; ')}`,
          outputs,
        );
      }
      return { outputs };
    }
    if (c.signal.aborted) throw c.signal.reason;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function register(c: StepRunContext): Promise<Executed> {
  const artifact = c.inputs.artifact;
  if (artifact?.kind !== 'blob') throw new FinalStepFailure('input artifact must be a file output');
  const run = c.inputs.run?.kind === 'value' ? c.inputs.run.value : undefined;
  const w = c.spec.with;
  const version = await c.deps.registry.registration.register(c.ctx, String(w.model), {
    artifact: { kind: 'onnx', blobRef: artifact.ref },
    runId: typeof run === 'string' ? run : undefined,
    description:
      typeof w.description === 'string'
        ? w.description
        : `trained by pipeline ${c.run.pipeline_name} run ${c.run.id}`,
    model: {
      ...(typeof w.riskClass === 'string' ? { riskClass: w.riskClass as 'minimal' } : {}),
      ...(typeof w.owner === 'string' ? { owner: w.owner } : {}),
    },
  });
  return { outputs: { model: { model: version.ref }, versionId: version.id } };
}

/** Adds the model to an endpoint as a shadow, or as a canary with `share` of the traffic. */
async function deploy(c: StepRunContext): Promise<Executed> {
  const target = refOf(c, 'model', 'model');
  const name = String(c.spec.with.endpoint);
  const endpoint = await c.deps.endpoints.get(c.ctx, name);
  if (c.spec.with.mode === 'shadow') {
    const shadows = [...endpoint.shadows.filter((s) => s !== target), target];
    await c.deps.endpoints.update(c.ctx, name, { shadows });
    return { outputs: { endpoint: name, mode: 'shadow', target } };
  }
  const share = Number(c.spec.with.share ?? 0.1);
  if (!(share > 0 && share < 1)) throw new FinalStepFailure('with.share must be between 0 and 1');
  const others = endpoint.routes.filter((r) => r.target !== target);
  const total = others.reduce((n, r) => n + r.weight, 0);
  const routes = [...others, { target, weight: (total * share) / (1 - share) }];
  await c.deps.endpoints.update(c.ctx, name, { routes });
  return { outputs: { endpoint: name, mode: 'canary', target, share } };
}

/**
 * Moves an alias (champion by default) through the model's promotion policy. The run's key acts;
 * the run and the approvals this step waited for go with the move as what authorized it.
 */
async function promote(c: StepRunContext): Promise<Executed> {
  const ref = refOf(c, 'model', 'model');
  const alias = typeof c.spec.with.alias === 'string' ? c.spec.with.alias : 'champion';
  const approvedBy = await approvalsBefore(c.deps, c.ctx, c.run, c.pipeline, c.spec.name);
  if (approvedBy.length > 0) {
    const who = approvedBy.map((a) => `${a.keyName} at ${a.step}`).join(', ');
    c.log('system', `promoting ${ref} to ${alias}, approved by ${who}`);
  }
  const outcome = await c.deps.registry.promotion.promote(c.ctx, ref, {
    alias,
    reason: typeof c.spec.with.reason === 'string' ? c.spec.with.reason : `pipeline run ${c.run.id}`,
    authorization: {
      pipelineRun: {
        id: c.run.id,
        pipeline: c.run.pipeline_name,
        step: c.spec.name,
        keyName: c.ctx.principal.keyName,
      },
      approvedBy,
    },
  });
  if (outcome.outcome === 'moved') return { outputs: { alias, model: { model: ref }, outcome: 'moved' } };
  return {
    outputs: { alias, model: { model: ref }, outcome: 'pending_approval', request: outcome.request.id },
  };
}
