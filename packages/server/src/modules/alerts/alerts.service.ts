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
import type { DbJobQueue } from '../../storage/queue/db-job-queue.js';
import { defaultOperator, isDriftMetric, type SignalReader } from './alert-signals.js';
import { presentAlert, presentDelivery, presentRule } from './alert-views.js';
import type { AlertOpenedListener } from './alerts.ports.js';
import { AlertsRepo } from './alerts.repo.js';
import type { AlertRuleStatesTable, AlertRulesTable, AlertsTable } from './alerts.tables.js';
import { DELIVER_QUEUE, DELIVERY_ATTEMPTS, type DeliveryPayload, deliver } from './webhook-delivery.js';

/** Windows one evaluation reads at most per rule; a rule idle for longer resumes this far back. */
const MAX_LOOKBACK_WINDOWS = 1_000;

type Action =
  | { kind: 'open'; subject: string; runStart: number; value: number | null }
  | { kind: 'clear'; subject: string };

export interface AlertsDeps {
  db: Db;
  audit: AuditService;
  clock: Clock;
  jobs: DbJobQueue;
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

  /** Evaluates the caller's project's rules now. */
  evaluateProject(ctx: RequestContext): Promise<AlertEvaluation> {
    return this.evaluate(ctx.principal.projectId);
  }

  /** Evaluates every rule of one project, or of all (the scheduled job). */
  async evaluate(projectId?: string): Promise<AlertEvaluation> {
    const result: AlertEvaluation = { rules: 0, opened: [], resolved: [], skipped: [] };
    for (const rule of await this.repo.rules(projectId)) {
      result.rules += 1;
      try {
        const { opened, resolved } = await this.evaluateRule(rule);
        result.opened.push(...opened.map((a) => presentAlert(a, rule)));
        result.resolved.push(...resolved.map((a) => presentAlert(a, rule)));
      } catch (error) {
        if (!(error instanceof PlumbError) || error.code !== 'failed_precondition') throw error;
        result.skipped.push({ ruleId: rule.id, ruleName: rule.name, reason: error.message });
      }
    }
    for (const alert of result.opened) {
      for (const listener of this.openedListeners) {
        await listener({
          id: alert.id,
          projectId: projectId ?? (await this.repo.alertById(alert.id))!.project_id,
          ruleId: alert.ruleId,
          ruleName: alert.ruleName,
          endpoint: alert.endpoint,
          dedupKey: alert.dedupKey,
          openedAt: alert.openedAt,
        });
      }
    }
    return result;
  }

  /** One attempt of a queued notification (the delivery job). */
  deliver(payload: DeliveryPayload, attempt: number) {
    return deliver({ repo: this.repo, clock: this.deps.clock }, payload, attempt);
  }

  /**
   * Reads the rule's windows after the last one it read, in order, per subject: a breaching
   * window extends the run (the alert opens once the run is `consecutive` long), a window
   * without a value changes nothing, any other window ends the run and resolves the alert.
   */
  private async evaluateRule(
    rule: AlertRulesTable,
  ): Promise<{ opened: AlertsTable[]; resolved: AlertsTable[] }> {
    const now = this.deps.clock.now().getTime();
    const { windowMs, monitorId } = await this.deps.signals.windowOf(rule);
    const states = new Map((await this.repo.states(rule.id)).map((s) => [s.subject, s]));
    const current = Math.floor(now / windowMs) * windowMs;
    const fresh = current - rule.consecutive * windowMs;
    const oldest = Math.min(fresh, ...[...states.values()].map((s) => s.last_window_end));
    const fromMs = Math.max(oldest, current - MAX_LOOKBACK_WINDOWS * windowMs);
    const windows = (await this.deps.signals.read(rule, monitorId, { fromMs, toMs: now, windowMs }))
      .filter((w) => w.windowEnd <= now)
      .sort((a, b) => a.windowStart - b.windowStart);

    const actions: Action[] = [];
    const touched = new Map<string, AlertRuleStatesTable>();
    for (const w of windows) {
      let s = touched.get(w.subject) ?? states.get(w.subject);
      if (!s)
        s = { rule_id: rule.id, subject: w.subject, last_window_end: fresh, run_start: null, run_length: 0 };
      touched.set(w.subject, s);
      if (w.windowStart < s.last_window_end) continue;
      s.last_window_end = w.windowEnd;
      if (w.breached === null) continue;
      if (w.breached) {
        if (s.run_start === null) s.run_start = w.windowStart;
        s.run_length += 1;
        if (s.run_length >= rule.consecutive)
          actions.push({ kind: 'open', subject: w.subject, runStart: s.run_start, value: w.value });
      } else {
        if (s.run_start !== null) actions.push({ kind: 'clear', subject: w.subject });
        s.run_start = null;
        s.run_length = 0;
      }
    }

    const opened: AlertsTable[] = [];
    const resolved: AlertsTable[] = [];
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      for (const a of actions) {
        if (a.kind === 'open') {
          if ((await this.repo.openAlerts(trx, rule.id, a.subject)).length > 0) continue;
          const row: AlertsTable = {
            id: newId('alr'),
            project_id: rule.project_id,
            rule_id: rule.id,
            subject: a.subject,
            dedup_key: `${rule.id}:${a.subject}:${new Date(a.runStart).toISOString()}`,
            status: 'open',
            value: a.value,
            threshold: rule.threshold,
            run_start: a.runStart,
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
      for (const s of touched.values()) await this.repo.putState(trx, s);
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
