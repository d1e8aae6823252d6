import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineSpec, PipelineStepSpec } from '@plumb/sdk';
import { canonicalJson } from '../../core/canonical-json.js';
import { isoNow } from '../../core/clock.js';
import type { Principal, RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { Executor } from '../../storage/database.js';
import { ApprovalDesk, type ApprovalState } from './approval-desk.js';
import { type Executed, runBuiltin, type StepRunContext } from './builtin-steps.js';
import { LogWriter } from './log-writer.js';
import { stopOrphan } from './orphan-process.js';
import { cachesStep, durationMs } from './pipeline-spec.js';
import type { PipelinesDeps } from './pipelines.ports.js';
import type { PipelinesRepo, RunRow } from './pipelines.repo.js';
import { backoffMs, FinalStepFailure, StepTimeout } from './step-failure.js';
import {
  defaultFiles,
  fileDigests,
  outputsExist,
  type ResolvedInput,
  resolveInputs,
  sha256,
} from './step-inputs.js';

export const STEP_QUEUE = 'pipeline.step';

/** A crashed worker's step is claimed again; this many claims of one step job, then it is dead. */
const STEP_JOB_ATTEMPTS = 10;
/** How often a running step looks whether its run was cancelled. */
const CANCEL_POLL_MS = 250;

export const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled']);
const DONE_STEP = new Set(['succeeded', 'cached']);
const ACTIVE_STEP = new Set(['queued', 'running', 'retrying', 'waiting', 'pending']);

export interface StepPayload {
  runId: string;
  step: string;
}

type Outcome =
  | { kind: 'succeeded'; outputs: Record<string, unknown>; cacheKey: string | null; cachedFrom?: string }
  | { kind: 'waiting'; approval: ApprovalState }
  | { kind: 'failed'; error: string; final: boolean; timedOut: boolean; exitCode: number | null }
  | { kind: 'cancelled' };

/**
 * Runs pipeline steps from the job queue. Every step is one job; a job's handler is idempotent
 * (it does nothing for a step that already ended), so at-least-once delivery runs each step's
 * work once unless a worker dies mid-step, when the step runs again from its start. Approval
 * steps hold no worker: their job ends once the request is filed; a decision or the timeout
 * job moves the run on.
 */
export class PipelineEngine {
  readonly approvals: ApprovalDesk;

  constructor(
    private readonly deps: PipelinesDeps,
    private readonly repo: PipelinesRepo,
  ) {
    this.approvals = new ApprovalDesk(deps, repo, (trx, run) => this.advance(trx, run));
    this.approvals.endRunHook = (trx, run, error) => this.endRun(trx, run, 'failed', error);
  }

  /** Queues a step's job inside `trx`, due at `runAt`. */
  async enqueueStep(
    trx: Executor,
    runId: string,
    step: string,
    attempt: number,
    runAt?: Date,
  ): Promise<void> {
    await this.deps.jobs.enqueue<StepPayload>(
      STEP_QUEUE,
      { runId, step },
      {
        dedupeKey: `pstep:${runId}:${step}:${attempt}`,
        maxAttempts: STEP_JOB_ATTEMPTS,
        ...(runAt ? { runAt } : {}),
      },
      trx,
    );
  }

  /** The handler of STEP_QUEUE. */
  async handle(payload: StepPayload, signal: AbortSignal): Promise<{ status: string }> {
    const started = await this.begin(payload);
    if (!started) return { status: 'skipped' };
    const { run, step, spec, attempt, pipeline, baseDir } = started;
    const log = new LogWriter(this.repo, this.deps.clock, run.id, step.name, attempt);
    if (started.orphaned)
      log.line('system', 'stopped the program of the interrupted attempt, which was still running');
    log.line('system', `attempt ${attempt} started`);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const watch = setInterval(() => {
      void this.repo.findRun(run.id).then(
        (current) => {
          if (current && TERMINAL_RUN.has(current.status))
            controller.abort(new PlumbError('failed_precondition', 'cancelled'));
        },
        () => {},
      );
    }, CANCEL_POLL_MS);
    let outcome: Outcome;
    try {
      outcome = await this.execute(run, pipeline, spec, baseDir, attempt, controller.signal, log);
    } catch (error) {
      if (controller.signal.aborted && !signal.aborted) outcome = { kind: 'cancelled' };
      else if (signal.aborted) throw signal.reason ?? error;
      else {
        const message = error instanceof Error ? error.message : String(error);
        outcome = {
          kind: 'failed',
          error: message,
          final: error instanceof FinalStepFailure,
          timedOut: error instanceof StepTimeout,
          exitCode: (error as { exitCode?: number }).exitCode ?? null,
        };
      }
    } finally {
      clearInterval(watch);
      signal.removeEventListener('abort', onAbort);
    }
    if (outcome.kind === 'failed') log.line('system', `attempt ${attempt} failed: ${outcome.error}`);
    else if (outcome.kind === 'succeeded')
      log.line(
        'system',
        outcome.cachedFrom
          ? `reused the outputs of run ${outcome.cachedFrom}`
          : `attempt ${attempt} succeeded`,
      );
    await log.close();
    await this.finish(run.id, step.name, attempt, spec, outcome);
    return { status: outcome.kind };
  }

  /** Marks the step running as a new attempt; null when there is nothing to do (ended, or run over). */
  private async begin(payload: StepPayload) {
    let orphaned = false;
    const begun = await this.deps.db.kysely.transaction().execute(async (trx) => {
      const run = await this.repo.lockRun(trx, payload.runId);
      if (!run || TERMINAL_RUN.has(run.status)) return null;
      const step = await this.repo.step(run.id, payload.step, trx);
      if (!step || !['queued', 'retrying', 'running'].includes(step.status)) return null;
      const now = isoNow(this.deps.clock);
      if (step.status === 'running') {
        // The worker of the previous attempt stopped (crash, restart) before recording an end;
        // its program may still run if it ran here.
        if (stopOrphan(join(this.deps.workRoot, run.id, step.name, String(step.attempts)))) orphaned = true;
        await this.repo.endAttempt(trx, run.id, step.name, step.attempts, {
          status: 'interrupted',
          finished_at: now,
          error: 'the worker running this attempt stopped',
        });
      }
      const attempt = step.attempts + 1;
      await this.repo.updateStep(trx, run.id, step.name, {
        status: 'running',
        attempts: attempt,
        started_at: step.started_at ?? now,
      });
      await this.repo.insertAttempt(trx, {
        run_id: run.id,
        step: step.name,
        attempt,
        status: 'running',
        started_at: now,
        finished_at: null,
        error: null,
        exit_code: null,
      });
      if (run.status === 'queued' || run.status === 'waiting')
        await this.repo.updateRun(trx, run.id, { status: 'running' });
      const version = await this.repo.findVersionById(run.version_id, trx);
      if (!version) throw new PlumbError('internal', `pipeline version ${run.version_id} is missing`);
      const pipeline = JSON.parse(version.spec) as PipelineSpec;
      const spec = pipeline.steps.find((s) => s.name === step.name);
      if (!spec)
        throw new PlumbError('internal', `step ${step.name} is not in ${version.name}@v${version.version}`);
      return { run, step, spec, attempt, pipeline, baseDir: version.base_dir };
    });
    return begun ? { ...begun, orphaned } : null;
  }

  private async execute(
    run: RunRow,
    pipeline: PipelineSpec,
    spec: PipelineStepSpec,
    baseDir: string | null,
    attempt: number,
    signal: AbortSignal,
    log: LogWriter,
  ): Promise<Outcome> {
    const principal = JSON.parse(run.principal) as Principal;
    const ctx: RequestContext = { principal, requestId: `pipeline:${run.id}:${spec.name}` };
    if (spec.kind === 'approval') {
      return { kind: 'waiting', approval: this.approvals.stateFor(spec, this.deps.clock.now()) };
    }
    const steps = await this.repo.steps(run.id);
    const outputsOf = (name: string) => {
      const s = steps.find((x) => x.name === name);
      return s?.outputs ? (JSON.parse(s.outputs) as Record<string, unknown>) : null;
    };
    const inputs = await resolveInputs(this.deps, run.project_id, spec.inputs, outputsOf);
    const params = {
      ...pipeline.params,
      ...spec.params,
      ...(JSON.parse(run.params) as Record<string, unknown>),
    };
    const cacheKey = cachesStep(spec) ? this.cacheKey(spec, params, inputs, baseDir) : null;
    if (cacheKey) {
      const hit = await this.repo.findCached(run.pipeline_id, cacheKey, run.id);
      if (hit?.outputs) {
        const outputs = JSON.parse(hit.outputs) as Record<string, unknown>;
        if (await outputsExist(this.deps, run.project_id, outputs)) {
          return { kind: 'succeeded', outputs, cacheKey, cachedFrom: hit.cached_from ?? hit.run_id };
        }
        log.line(
          'system',
          `run ${hit.run_id} had this step's result, but an output of it no longer exists; running again`,
        );
      }
    }
    const workDir = join(this.deps.workRoot, run.id, spec.name, String(attempt));
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    const timeoutMs = spec.timeout === undefined ? undefined : durationMs(spec.timeout);
    const context: StepRunContext = {
      deps: this.deps,
      run,
      ctx,
      spec,
      pipeline,
      baseDir,
      attempt,
      inputs,
      params,
      workDir,
      signal,
      timeoutMs,
      log: (stream, text) => log.line(stream, text),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = runBuiltin(context);
      const executed: Executed =
        timeoutMs === undefined
          ? await work
          : await Promise.race([
              work,
              new Promise<never>((_, reject) => {
                // The command runner ends its program at the timeout itself; this covers built-ins.
                timer = setTimeout(() => reject(new StepTimeout(timeoutMs)), timeoutMs + 1000);
              }),
            ]);
      return { kind: 'succeeded', outputs: executed.outputs, cacheKey };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SHA-256 over the step's canonical spec, its resolved parameters, the identity and content
   * digest of each input version, and the content of the command's files.
   */
  private cacheKey(
    spec: PipelineStepSpec,
    params: Record<string, unknown>,
    inputs: Record<string, ResolvedInput>,
    baseDir: string | null,
  ): string {
    const files =
      spec.run && baseDir ? fileDigests(baseDir, spec.files ?? defaultFiles(baseDir, spec.run)) : {};
    const inputIds = Object.fromEntries(
      Object.entries(inputs).map(([name, i]) => [name, { kind: i.kind, digest: i.digest }]),
    );
    return sha256(canonicalJson({ spec, params, inputs: inputIds, files }));
  }

  /** Records the attempt's outcome and moves the run on, in one transaction. */
  private async finish(
    runId: string,
    name: string,
    attempt: number,
    spec: PipelineStepSpec,
    outcome: Outcome,
  ) {
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      const run = await this.repo.lockRun(trx, runId);
      if (!run) return;
      const now = isoNow(this.deps.clock);
      if (TERMINAL_RUN.has(run.status) || outcome.kind === 'cancelled') {
        await this.repo.endAttempt(trx, runId, name, attempt, { status: 'cancelled', finished_at: now });
        return;
      }
      if (outcome.kind === 'succeeded') {
        await this.repo.endAttempt(trx, runId, name, attempt, { status: 'succeeded', finished_at: now });
        await this.repo.updateStep(trx, runId, name, {
          status: outcome.cachedFrom ? 'cached' : 'succeeded',
          outputs: JSON.stringify(outcome.outputs),
          cache_key: outcome.cacheKey,
          cached_from: outcome.cachedFrom ?? null,
          finished_at: now,
          error: null,
        });
      } else if (outcome.kind === 'waiting') {
        await this.repo.endAttempt(trx, runId, name, attempt, { status: 'succeeded', finished_at: now });
        await this.approvals.open(trx, run, name, outcome.approval);
      } else {
        await this.repo.endAttempt(trx, runId, name, attempt, {
          status: outcome.timedOut ? 'timed_out' : 'failed',
          finished_at: now,
          error: outcome.error.slice(0, 10_000),
          exit_code: outcome.exitCode,
        });
        const failed = (await this.repo.attempts(runId, trx)).filter(
          (a) => a.step === name && (a.status === 'failed' || a.status === 'timed_out'),
        ).length;
        const failures = failed;
        if (!outcome.final && failures <= spec.retries.max) {
          const b = spec.retries.backoff;
          const delay = backoffMs(failures, {
            baseMs: durationMs(b.base),
            factor: b.factor,
            capMs: durationMs(b.cap),
            jitter: b.jitter,
          });
          await this.repo.updateStep(trx, runId, name, {
            status: 'retrying',
            error: outcome.error.slice(0, 10_000),
          });
          await this.enqueueStep(
            trx,
            runId,
            name,
            attempt + 1,
            new Date(this.deps.clock.now().getTime() + delay),
          );
          return;
        }
        await this.repo.updateStep(trx, runId, name, {
          status: 'failed',
          finished_at: now,
          error: outcome.error.slice(0, 10_000),
        });
        await this.endRun(trx, run, 'failed', `step ${name} failed: ${outcome.error}`.slice(0, 10_000));
        return;
      }
      await this.advance(trx, run);
    });
  }

  /** Queues every step whose needs are all done, and ends or parks the run when nothing is left to run. */
  async advance(trx: Executor, run: RunRow): Promise<void> {
    const steps = await this.repo.steps(run.id, trx);
    const byName = new Map(steps.map((s) => [s.name, s]));
    const version = await this.repo.findVersionById(run.version_id, trx);
    const spec = JSON.parse(version!.spec) as PipelineSpec;
    for (const s of spec.steps) {
      const row = byName.get(s.name)!;
      if (row.status !== 'pending') continue;
      if (s.needs.every((n) => DONE_STEP.has(byName.get(n)!.status))) {
        if (await this.repo.updateStep(trx, run.id, s.name, { status: 'queued' }, ['pending'])) {
          row.status = 'queued';
          await this.enqueueStep(trx, run.id, s.name, row.attempts + 1);
        }
      }
    }
    if (steps.every((s) => DONE_STEP.has(s.status))) {
      await this.endRun(trx, run, 'succeeded', null);
      return;
    }
    const moving = steps.some((s) => ['queued', 'running', 'retrying'].includes(s.status));
    const status = moving ? 'running' : steps.some((s) => s.status === 'waiting') ? 'waiting' : run.status;
    if (status !== run.status) await this.repo.updateRun(trx, run.id, { status });
  }

  /** Ends the run; steps that had not ended are skipped (never started) or cancelled. */
  async endRun(
    trx: Executor,
    run: RunRow,
    status: 'succeeded' | 'failed' | 'cancelled',
    error: string | null,
    actor = 'system',
  ) {
    const now = isoNow(this.deps.clock);
    for (const s of await this.repo.steps(run.id, trx)) {
      if (!ACTIVE_STEP.has(s.status)) continue;
      await this.repo.updateStep(trx, run.id, s.name, {
        status: s.status === 'pending' ? 'skipped' : 'cancelled',
        finished_at: now,
      });
    }
    await this.repo.updateRun(trx, run.id, { status, error, finished_at: now });
    await this.deps.audit.append(trx, {
      actor,
      projectId: run.project_id,
      action: `pipeline.run.${status === 'succeeded' ? 'succeed' : status === 'failed' ? 'fail' : 'cancel'}`,
      resource: `pipeline_run:${run.id}`,
      change: { pipeline: `${run.pipeline_name}@v${run.version}`, status, error },
    });
  }
}
