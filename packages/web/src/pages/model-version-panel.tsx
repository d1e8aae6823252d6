import type { EvalRun, ModelCard } from '@plumb/sdk';
import { useState } from 'react';
import { useLoad, useSession } from '../api.js';
import { DataTable } from '../components/data-table.js';
import {
  Async,
  Badge,
  Empty,
  ErrorBox,
  Fields,
  formatNumber,
  Section,
  StatusBadge,
  Time,
} from '../components/ui.js';
import { LineageView } from './lineage-view.js';

/** One version: its completed card, its evaluation against the champion, gate reasons and lineage. */
export function ModelVersionPanel({ reference, onChanged }: { reference: string; onChanged(): void }) {
  const card = useLoad((c) => c.models.card(reference), [reference]);
  return (
    <Async state={card}>
      {(k) => (
        <>
          <div className="panel-title">
            <h2>{k.ref}</h2>
            <StatusBadge status={k.version.status} />
            {k.aliases.map((a) => (
              <Badge key={a} tone="info">
                {a}
              </Badge>
            ))}
            <Promote card={k} onDone={onChanged} />
          </div>
          <div className="grid-2">
            <CardSection card={k} />
            <GateSection card={k} />
          </div>
          <Evaluation card={k} />
          <Section title="Lineage">
            <LineageView load={(c) => c.models.lineage(reference)} deps={[reference]} />
          </Section>
        </>
      )}
    </Async>
  );
}

function CardSection({ card }: { card: ModelCard }) {
  const d = card.declared;
  return (
    <Section
      title="Model card"
      aside={
        card.missingFields.length > 0 ? (
          <span title={`missing: ${card.missingFields.join(', ')}`}>
            <Badge tone="warn">
              {card.missingFields.length} field{card.missingFields.length === 1 ? '' : 's'} missing
            </Badge>
          </span>
        ) : (
          <Badge tone="good">complete</Badge>
        )
      }
    >
      <Fields
        items={[
          ['Intended use', d.intendedUse],
          ['Out of scope', d.outOfScopeUse],
          ['Limitations', d.limitations],
          ['Ethical considerations', d.ethicalConsiderations],
          ['Artifact', card.version.artifact.kind],
          ['Training run', card.training ? `${card.training.name} (${card.training.status})` : null],
          ['Trained on', card.data.length ? card.data.map((x) => x.ref).join(', ') : null],
          ['Registered', <Time key="t" at={card.version.createdAt} />],
        ]}
      />
      {card.metrics.length ? (
        <div className="chips">
          {card.metrics.map((m) => (
            <span key={m.key} className="chip">
              {m.key} <strong>{formatNumber(m.value)}</strong>
            </span>
          ))}
        </div>
      ) : null}
      {d.body ? <pre className="card-body">{d.body}</pre> : null}
    </Section>
  );
}

function GateSection({ card }: { card: ModelCard }) {
  const gate = card.latestGate;
  return (
    <Section
      title="Evaluation gate"
      aside={gate ? <StatusBadge status={gate.passed ? 'passed' : 'failed'} /> : undefined}
    >
      {gate ? (
        <>
          <Fields
            items={[
              ['Suite', gate.suite],
              ['Decided', <Time key="d" at={gate.decidedAt} />],
            ]}
          />
          <ul className="reasons">
            {gate.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </>
      ) : (
        <Empty command={`plumb eval run <suite> --model ${card.ref} --baseline ${card.model.name}@champion`}>
          This version has not been through an evaluation gate.
        </Empty>
      )}
    </Section>
  );
}

/** The latest evaluation of this version: each slice's metrics beside the baseline's. */
function Evaluation({ card }: { card: ModelCard }) {
  const run = useLoad(
    async (c): Promise<EvalRun | null> => {
      const runs = await c.evals.listRuns({ candidate: card.version.id, status: 'succeeded', limit: 1 });
      const latest = runs.items[0];
      return latest ? c.evals.getRun(latest.id) : null;
    },
    [card.version.id],
  );
  return (
    <Section title="Evaluation by slice">
      <Async state={run}>
        {(r) => {
          if (!r?.result) return <p className="muted">No finished evaluation of this version.</p>;
          const metrics = r.result.metrics;
          return (
            <>
              <p className="muted small">
                {r.suite.ref}: {r.candidate.ref} against {r.baseline?.ref ?? 'no baseline'} ·{' '}
                <Time at={r.finishedAt} />
              </p>
              <DataTable
                rows={r.result.slices}
                rowKey={(s) => s.name}
                testId="eval-slices"
                columns={[
                  { key: 'slice', label: 'Slice', render: (s) => <strong>{s.name}</strong> },
                  { key: 'rows', label: 'Rows', align: 'right', render: (s) => s.rows.toLocaleString() },
                  ...metrics.map((m) => ({
                    key: m,
                    label: r.baseline ? `${m} (candidate / champion)` : m,
                    align: 'right' as const,
                    render: (s: (typeof r.result.slices)[number]) => {
                      const a = s.candidate[m] ?? null;
                      const b = s.baseline?.[m] ?? null;
                      const delta = a !== null && b !== null ? a - b : null;
                      return (
                        <span>
                          {formatNumber(a)}
                          {r.baseline ? <span className="muted"> / {formatNumber(b)}</span> : null}
                          {delta !== null && delta !== 0 ? (
                            <span className={delta > 0 ? 'delta up' : 'delta down'}>
                              {delta > 0 ? '+' : ''}
                              {formatNumber(delta)}
                            </span>
                          ) : null}
                        </span>
                      );
                    },
                  })),
                ]}
              />
              {r.decision ? (
                <DataTable
                  rows={r.decision.checks}
                  rowKey={(c) => `${c.rule}-${c.slice}-${c.metric}-${c.message}`}
                  testId="gate-checks"
                  columns={[
                    { key: 'status', label: 'Check', render: (c) => <StatusBadge status={c.status} /> },
                    { key: 'rule', label: 'Rule', render: (c) => c.rule.replaceAll('_', ' ') },
                    { key: 'message', label: 'Detail', render: (c) => c.message },
                  ]}
                />
              ) : null}
            </>
          );
        }}
      </Async>
    </Section>
  );
}

/** Maintainers promote to champion; a model that needs approval answers with a request instead. */
function Promote({ card, onDone }: { card: ModelCard; onDone(): void }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  if (!session.can('models:write') || card.aliases.includes('champion')) return null;
  return (
    <span className="promote">
      <button
        type="button"
        className="button primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const outcome = await session.client.models.promote(card.ref, { alias: 'champion' });
            setNote(
              outcome.outcome === 'moved'
                ? `champion is now ${outcome.alias.ref}`
                : 'promotion requested: an approver decides it below',
            );
            onDone();
          } catch (e) {
            setError(e instanceof Error ? e : new Error(String(e)));
          } finally {
            setBusy(false);
          }
        }}
      >
        Promote to champion
      </button>
      {note ? <span className="muted small">{note}</span> : null}
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}
