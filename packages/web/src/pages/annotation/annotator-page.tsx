import type { AnnotationProject, Guidelines, LabelValue, NextAnnotationTask } from '@plumb/sdk';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLoad, useSession } from '../../api.js';
import { Async, ErrorBox, formatNumber, PageHeader, Section } from '../../components/ui.js';
import { applyBinding, emptyAnswer, isComplete, keyBindings, LabelForm } from './label-form.js';

/**
 * The annotator's page: one item at a time, the guidelines beside it, keys for choices, Enter to
 * submit, a reason to skip. Nothing here shows what anyone else answered.
 */
export function AnnotatorPage({ project }: { project: string }) {
  const state = useLoad((c) => c.annotation.get(project), [project]);
  return (
    <>
      <PageHeader title={`Label: ${project}`} sub="Keys pick the choices shown beside them; Enter submits" />
      <Async state={state}>{(p) => <Work project={p} />}</Async>
    </>
  );
}

function Work({ project }: { project: AnnotationProject }) {
  const { client } = useSession();
  const [next, setNext] = useState<NextAnnotationTask | undefined>(undefined);
  const [guidelines, setGuidelines] = useState<Guidelines | undefined>(undefined);
  const [answer, setAnswer] = useState<LabelValue>(() => emptyAnswer(project.schema));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(0);
  const keys = useMemo(() => keyBindings(project.schema), [project.schema]);

  // Each version read once: an annotator works under the version their item was given with.
  const versions = useRef(new Map<number, Guidelines>());
  const load = useCallback(async () => {
    try {
      const n = await client.annotation.next(project.name);
      const version = n.task?.guidelinesVersion ?? project.guidelinesVersion;
      const g = versions.current.get(version) ?? (await client.annotation.guidelines(project.name, version));
      versions.current.set(version, g);
      setNext(n);
      setGuidelines(g);
      setAnswer(emptyAnswer(project.schema));
      setReason('');
    } catch (e) {
      setError(e as Error);
    }
  }, [client, project]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the first item loads once
  useEffect(() => {
    void load();
  }, []);

  const task = next?.task ?? null;
  const submit = useCallback(async () => {
    if (!task || busy || !isComplete(project.schema, answer)) return;
    setBusy(true);
    try {
      const result = await client.annotation.label(project.name, task.itemId, { value: answer });
      setDone((d) => d + 1);
      if (result.calibration) setNext((n) => (n ? { ...n, calibration: result.calibration } : n));
      setError(undefined);
      await load();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }, [task, busy, answer, client, project, load]);

  const skip = useCallback(async () => {
    if (!task || busy || reason.trim() === '') return;
    setBusy(true);
    try {
      await client.annotation.skip(project.name, task.itemId, reason.trim());
      setError(undefined);
      await load();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }, [task, busy, reason, client, project, load]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === 'Enter') {
        event.preventDefault();
        void submit();
        return;
      }
      const binding = keys.get(event.key.toLowerCase());
      if (binding) {
        event.preventDefault();
        setAnswer((a) => applyBinding(project.schema, a, binding));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [keys, submit, project.schema]);

  if (next === undefined) return error ? <ErrorBox error={error} /> : null;
  const shown = project.schema.show;
  const calibration = next.calibration;
  return (
    <div className="annotation-work">
      <div className="annotation-main">
        {calibration && (task?.calibration || calibration.completedAt) ? (
          <div className="annotation-banner" data-testid="calibration">
            {calibration.completedAt
              ? `Calibration done: ${calibration.correct} of ${calibration.labelled} right (score ${formatNumber(calibration.score)})`
              : `Calibration: item ${calibration.labelled + 1} of ${calibration.required}, scored against known answers`}
          </div>
        ) : null}
        {error ? <ErrorBox error={error} /> : null}
        {task ? (
          <Section title="Item" aside={<span className="muted small">{done} labelled this session</span>}>
            <dl className="annotation-item" data-testid="annotation-item" data-item={task.itemId}>
              {Object.entries(task.data)
                .filter(([k]) => !shown || shown.includes(k))
                .map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                  </div>
                ))}
            </dl>
            <LabelForm
              schema={project.schema}
              data={task.data}
              answer={answer}
              keys={keys}
              onChange={setAnswer}
            />
            <div className="annotation-actions">
              <button
                type="button"
                className="button primary"
                disabled={busy || !isComplete(project.schema, answer)}
                onClick={() => void submit()}
              >
                Submit <kbd>Enter</kbd>
              </button>
              <input
                type="text"
                aria-label="reason to skip"
                placeholder="Reason to skip"
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    void skip();
                  }
                }}
              />
              <button
                type="button"
                className="button"
                disabled={busy || reason.trim() === ''}
                onClick={() => void skip()}
              >
                Skip
              </button>
            </div>
          </Section>
        ) : (
          <div className="empty" data-testid="annotation-done">
            <p>Nothing left for you to label in {project.name}. Thank you.</p>
          </div>
        )}
      </div>
      <aside className="annotation-guidelines" aria-label="guidelines">
        <h2>Guidelines {guidelines ? `v${guidelines.version}` : ''}</h2>
        <pre>{guidelines?.markdown ?? ''}</pre>
      </aside>
    </div>
  );
}
