import type {
  Alert,
  AlertEvaluation,
  AlertMetric,
  AlertRule,
  AlertWithDeliveries,
  CreateAlertRule,
  ListAlerts,
  Page,
} from '@plumb/sdk';
import type { z } from 'zod';
import type { AuditService } from '../../core/audit/audit.service.js';
import { type Clock, isoNow } from '../../core/clock.js';
import { actorOf, type RequestContext, SYSTEM_ACTOR } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, encodeCursor, isString } from '../../core/pagination.js';
import type { Db, Executor } from '../../storage/database.js';
import type { JobQueue } from '../../storage/queue/job-queue.js';
import { defaultOperator, isDriftMetric, type SignalReader } from './alert-signals.js';
import { presentAlert, presentDelivery, presentRule } from './alert-views.js';
import type { AlertOpenedListener } from './alerts.ports.js';
import { AlertsRepo } from './alerts.repo.js';
import type { AlertRulesTable, AlertsTable } from './alerts.tables.js';
import { DELIVER_QUEUE, DELIVERY_ATTEMPTS, type DeliveryPayload, deliver } from './webhook-delivery.js';

/**
 * Windows read before the `consecutive` ones a rule needs: values of past windows change as
 * delayed labels arrive, so every evaluation reads them again, and a run of breaching windows
 * is found back to where it started (its start names the alert) as long as it is shorter.
 */
const LOOKBACK_WINDOWS = 48;
const MAX_WINDOWS = 2_000;

/** How far ahead of the clock an evaluation's `at` may be: clock skew between machines, no more. */
const MAX_AT_SKEW_MS = 5 * 60_000;

type Action =
  | {
      kind: 'open';
      subject: string;
      runStart: number;
      value: number | null;
      fromLookbackStart: boolean;
      window: { start: number; end: number };
    }
  | { kind: 'clear'; subject: string };

export interface AlertsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  jobs: JobQueue;
  signals: SignalReader;
}

/** Rules on monitored values, the alerts they open and resolve, and their webhook notifications. */
export class AlertsService {
  readonly repo: AlertsRepo;
  private readonly openedListeners: AlertOpenedListener[] = [];

  constructor(private readonly deps: AlertsDeps) {
    this.repo = new AlertsRepo(deps.db);
  }

  /** Registers a listener told of every alert once it opened (pipelines start runs from it). */
  onOpened(listener: AlertOpenedListener): void {
    this.openedListeners.push(listener);
  }

  async createRule(ctx: RequestContext, input: z.output<typeof CreateAlertRule>): Promise<AlertRule> {
    const projectId = ctx.principal.projectId;
    const metric: AlertMetric = input.metric;
    const row: AlertRulesTable = {
      id: newId('arl'),
      project_id: projectId,
      name: input.name,
      endpoint: input.endpoint,
      metric,
      feature: input.feature ?? null,
      monitor_id: input.monitorId ?? null,
      operator: input.operator ?? defaultOperator(metric),
      threshold: input.threshold ?? null,
      consecutive: input.consecutive,
      window: isDriftMetric(metric) ? 'monitor' : input.window,
      webhook_url: input.webhookUrl ?? null,
      webhook_secret: input.webhookSecret ?? null,
      created_at: isoNow(this.deps.clock),
      created_by: actorOf(ctx),
    };
    if (isDriftMetric(metric)) await this.deps.signals.windowOf(row);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      try {
        await this.repo.insertRule(trx, row);
      } catch (error) {
        if (PlumbError.is(error, 'already_exists')) {
          throw new PlumbError('already_exists', `alert rule ${row.name} already exists`, { cause: error });
        }
        throw error;
      }
      const { webhook_secret: _secret, ...shown } = row;
      await this.audit(trx, ctx, 'alert_rule.create', `alert_rule:${row.name}`, projectId, shown);
    });
    return presentRule(row);
  }

  async listRules(ctx: RequestContext): Promise<Page<AlertRule>> {
    return { items: (await this.repo.rules(ctx.principal.projectId)).map(presentRule), nextCursor: null };
  }

  async deleteRule(ctx: RequestContext, idOrName: string): Promise<AlertRule> {
    const rule = await this.requireRule(ctx.principal.projectId, idOrName);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.deleteRule(trx, rule.id);
      await this.audit(trx, ctx, 'alert_rule.delete', `alert_rule:${rule.name}`, rule.project_id, {
        id: rule.id,
      });
    });
    return presentRule(rule);
  }

  async list(ctx: RequestContext, query: z.output<typeof ListAlerts>): Promise<Page<Alert>> {
    const projectId = ctx.principal.projectId;
    const before = decodeCursor(query.cursor, isString);
    const rows = await this.repo.alerts(
      projectId,
      { status: query.status, ruleId: query.ruleId, before },
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const rules = new Map((await this.repo.rules(projectId)).map((r) => [r.id, r]));
    const last = page[page.length - 1];
    return {
      items: page.map((a) =>
        presentAlert(a, rules.get(a.rule_id) ?? { name: '(deleted rule)', endpoint: '' }),
      ),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
    };
  }

  async get(ctx: RequestContext, id: string): Promise<AlertWithDeliveries> {
    const alert = await this.requireAlert(ctx.principal.projectId, id);
    const rule = await this.repo.ruleById(alert.rule_id);
    return {
      ...presentAlert(alert, rule ?? { name: '(deleted rule)', endpoint: '' }),
      deliveries: (await this.repo.deliveries(alert.id)).map(presentDelivery),
    };
  }

  /** Someone is on it: the alert stays until resolved, and nothing is sent. */
  acknowledge(ctx: RequestContext, id: string): Promise<Alert> {
    return this.move(ctx, id, ['open'], 'acknowledge', (now, actor) => ({
      status: 'acknowledged',
      acknowledged_at: now,
      acknowledged_by: actor,
    }));
  }

  /**
   * Resolved by hand: notified like a cleared one. The same run of windows never opens it again;
   * the condition must clear and hold anew.
   */
  resolve(ctx: RequestContext, id: string): Promise<Alert> {
    return this.move(ctx, id, ['open', 'acknowledged'], 'resolve', (now, actor) => ({
      status: 'resolved',
      resolved_at: now,
      resolved_by: actor,
      resolution: 'manual',
    }));
  }

  /**
   * Evaluates the caller's project's rules now, or as if the present were `at` (a replay of past
   * traffic, a rule checked against history): only windows closed by `at` are read, and an alert
   * it opens keeps the window that opened it and `at`. Deduplication is the same either way, so
   * evaluating the same history twice opens nothing new.
   */
  evaluateProject(ctx: RequestContext, at?: string): Promise<AlertEvaluation> {
    if (at !== undefined && Date.parse(at) > this.deps.clock.now().getTime() + MAX_AT_SKEW_MS) {
      throw new PlumbError(
        'invalid_argument',
        `at ${at} is in the future: windows after now are not closed`,
        {
          details: { field: 'at' },
        },
      );
    }
    return this.evaluate(ctx.principal.projectId, at === undefined ? undefined : Date.parse(at));
  }

  /** Evaluates every rule of one project, or of all (the scheduled job), now or as of `atMs`. */
  async evaluate(projectId?: string, atMs?: number): Promise<AlertEvaluation> {
    const result: AlertEvaluation = { rules: 0, opened: [], resolved: [], skipped: [], listenerErrors: [] };
    for (const rule of await this.repo.rules(projectId)) {
      result.rules += 1;
      try {
        const { opened, resolved } = await this.evaluateRule(rule, atMs ?? this.deps.clock.now().getTime());
        result.opened.push(...opened.map((a) => presentAlert(a, rule)));
        result.resolved.push(...resolved.map((a) => presentAlert(a, rule)));
      } catch (error) {
        if (!(error instanceof PlumbError) || error.code !== 'failed_precondition') throw error;
        result.skipped.push({ ruleId: rule.id, ruleName: rule.name, reason: error.message });
      }
    }
    // After the commit, once per alert: a failing listener (a pipeline that cannot start) is
    // reported and does not stop the others, and the alert is not opened again to retry it.
    for (const alert of result.opened) {
      const projectId = (await this.repo.alertById(alert.id))!.project_id;
      const opened = {
        id: alert.id,
        projectId,
        ruleId: alert.ruleId,
        ruleName: alert.ruleName,
        endpoint: alert.endpoint,
        dedupKey: alert.dedupKey,
        openedAt: alert.openedAt,
      };
      for (const listener of this.openedListeners) {
        try {
          await listener(opened);
        } catch (error) {
          result.listenerErrors.push({
            alertId: alert.id,
            message: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    return result;
  }

  /** One attempt of a queued notification (the delivery job). */
  deliver(payload: DeliveryPayload, attempt: number) {
    return deliver({ repo: this.repo, clock: this.deps.clock }, payload, attempt);
  }

  /**
   * Reads the rule's recent closed windows per subject. Windows without a value (no feedback
   * yet) are passed over; the latest window with one decides: breaching, with the run of
   * breaching windows before it at least `consecutive` long, it opens an alert unless one is
   * open, named by the run's first window so a run opens one alert however often it is read;
   * not breaching, it resolves the open alert.
   */
  private async evaluateRule(
    rule: AlertRulesTable,
    now: number,
  ): Promise<{ opened: AlertsTable[]; resolved: AlertsTable[] }> {
    const { windowMs, monitorId } = await this.deps.signals.windowOf(rule);
    const current = Math.floor(now / windowMs) * windowMs;
    const fromMs = current - Math.min(MAX_WINDOWS, rule.consecutive + LOOKBACK_WINDOWS) * windowMs;
    const windows = (await this.deps.signals.read(rule, monitorId, { fromMs, toMs: now, windowMs }))
      .filter((w) => w.windowEnd <= now && w.breached !== null)
      .sort((a, b) => a.windowStart - b.windowStart);
    const bySubject = new Map<string, typeof windows>();
    for (const w of windows) bySubject.set(w.subject, [...(bySubject.get(w.subject) ?? []), w]);

    const actions: Action[] = [];
    for (const [subject, valued] of bySubject) {
      const last = valued[valued.length - 1]!;
      if (!last.breached) {
        actions.push({ kind: 'clear', subject });
        continue;
      }
      let first = valued.length - 1;
      while (first > 0 && valued[first - 1]!.breached) first -= 1;
      if (valued.length - first < rule.consecutive) continue;
      actions.push({
        kind: 'open',
        subject,
        runStart: valued[first]!.windowStart,
        value: last.value,
        fromLookbackStart: first === 0,
        window: { start: last.windowStart, end: last.windowEnd },
      });
    }

    const opened: AlertsTable[] = [];
    const resolved: AlertsTable[] = [];
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      for (const a of actions) {
        if (a.kind === 'open') {
          if ((await this.repo.openAlerts(trx, rule.id, a.subject)).length > 0) continue;
          // A run reaching back past the windows read may have started earlier: if the last
          // alert was not cleared since, it is that run, already alerted on.
          let runStart = a.runStart;
          if (a.fromLookbackStart) {
            const latest = await this.repo.latestAlert(trx, rule.id, a.subject);
            if (latest && latest.resolution !== 'cleared' && latest.run_start < runStart)
              runStart = latest.run_start;
          }
          const row: AlertsTable = {
            id: newId('alr'),
            project_id: rule.project_id,
            rule_id: rule.id,
            subject: a.subject,
            dedup_key: `${rule.id}:${a.subject}:${new Date(runStart).toISOString()}`,
            status: 'open',
            value: a.value,
            threshold: rule.threshold,
            run_start: runStart,
            window_start: a.window.start,
            window_end: a.window.end,
            evaluated_at: now,
            opened_at: isoNow(this.deps.clock),
            acknowledged_at: null,
            acknowledged_by: null,
            resolved_at: null,
            resolved_by: null,
            resolution: null,
          };
          if (!(await this.repo.insertAlert(trx, row))) continue;
          await this.audit(trx, null, 'alert.open', `alert:${row.id}`, rule.project_id, {
            rule: rule.name,
            subject: row.subject,
            dedupKey: row.dedup_key,
            value: row.value,
          });
          await this.notify(trx, rule, row.id, 'opened');
          opened.push(row);
        } else {
          for (const alert of await this.repo.openAlerts(trx, rule.id, a.subject)) {
            const values = {
              status: 'resolved',
              resolved_at: isoNow(this.deps.clock),
              resolved_by: SYSTEM_ACTOR,
              resolution: 'cleared',
            };
            if (!(await this.repo.transition(trx, alert.id, ['open', 'acknowledged'], values))) continue;
            await this.audit(trx, null, 'alert.resolve', `alert:${alert.id}`, rule.project_id, {
              resolution: 'cleared',
            });
            await this.notify(trx, rule, alert.id, 'resolved');
            resolved.push({ ...alert, ...values });
          }
        }
      }
    });
    return { opened, resolved };
  }

  private async move(
    ctx: RequestContext,
    id: string,
    from: string[],
    verb: 'acknowledge' | 'resolve',
    values: (now: string, actor: string) => Partial<AlertsTable>,
  ): Promise<Alert> {
    const projectId = ctx.principal.projectId;
    const alert = await this.requireAlert(projectId, id);
    const rule = await this.repo.ruleById(alert.rule_id);
    const change = values(isoNow(this.deps.clock), actorOf(ctx));
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await this.repo.transition(trx, alert.id, from, change))) {
        const now = await this.repo.alert(projectId, id, trx);
        throw new PlumbError(
          'failed_precondition',
          `alert ${id} is ${now?.status ?? 'gone'}; cannot ${verb} it`,
        );
      }
      await this.audit(trx, ctx, `alert.${verb}`, `alert:${alert.id}`, projectId, change);
      if (verb === 'resolve' && rule) await this.notify(trx, rule, alert.id, 'resolved');
    });
    return presentAlert({ ...alert, ...change }, rule ?? { name: '(deleted rule)', endpoint: '' });
  }

  /** Queues the webhook notification in the transaction that changed the alert. */
  private async notify(
    trx: Executor,
    rule: AlertRulesTable,
    alertId: string,
    event: DeliveryPayload['event'],
  ) {
    if (rule.webhook_url === null) return;
    const payload: DeliveryPayload = { alertId, event, notificationId: newId('ntf') };
    await this.deps.jobs.enqueue(
      DELIVER_QUEUE,
      payload,
      { maxAttempts: DELIVERY_ATTEMPTS, dedupeKey: `${alertId}:${event}` },
      trx,
    );
  }

  private audit(
    trx: Executor,
    ctx: RequestContext | null,
    action: string,
    resource: string,
    projectId: string,
    change: unknown,
  ) {
    return this.deps.audit.append(trx, { actor: actorOf(ctx), projectId, action, resource, change });
  }

  private async requireRule(projectId: string, idOrName: string): Promise<AlertRulesTable> {
    const rule = await this.repo.rule(projectId, idOrName);
    if (!rule) throw new PlumbError('not_found', `alert rule ${idOrName} does not exist`);
    return rule;
  }

  private async requireAlert(projectId: string, id: string): Promise<AlertsTable> {
    const alert = await this.repo.alert(projectId, id);
    if (!alert) throw new PlumbError('not_found', `alert ${id} does not exist`);
    return alert;
  }
}
