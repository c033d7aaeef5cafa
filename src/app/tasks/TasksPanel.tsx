/**
 * Task accuracy beside perplexity (issue 14): the task picker, acc and acc_norm of the current drops
 * against the baseline (no drops) with standard errors, and the item view (which items flip). Scoring
 * runs through the engine queue (src/state/task-runner.ts): a toggle supersedes it, and the results are
 * cached per task and drop configuration.
 */
import { useEffect } from 'react';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { fitsLink, MAX_LINK_TASK_BYTES } from '../../state/task-link';
import { accuracyChange, choiceKey, metricOf, resultKey, selectionLabel, taskLabel } from '../../state/tasks';
import { taskTable } from '../chart-export/task-data';
import { ChartExport } from '../chart-export/ChartExport';
import { ChartFrame } from '../charts/ChartFrame';
import { useWorkbench } from '../context';
import { AccuracyBars, BASE_COLOR, CURRENT_BAR } from './AccuracyBars';
import { TaskItemsView } from './TaskItemsView';
import { TaskPicker } from './TaskPicker';
import { useTasks } from './use-tasks';
import './tasks.css';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function TasksPanel() {
  const tasks = useTasks();
  const t = useWorkbench((s) => s.tasks);
  const drops = useWorkbench((s) => s.drops.current);
  const ready = useWorkbench((s) => s.model.status === 'ready');
  const generation = useWorkbench((s) => s.model.generation);
  const setNorm = useWorkbench((s) => s.setTaskNorm);
  const choice = t.choice;
  const ctx = `g${generation}`;
  const results = t.context === ctx ? t.results : {};
  const base = choice ? (results[resultKey(choice, NO_DROPS)] ?? null) : null;
  const current = choice ? (results[resultKey(choice, drops)] ?? null) : null;
  const any = base ?? current;
  const hasNorm = any ? metricOf(any, true) !== null : false;
  const norm = t.norm && hasNorm;

  // Score what the panel lacks after a toggle, a new task or a new model (queued behind the perplexity).
  const key = choice && ready ? `${ctx}|${resultKey(choice, drops)}` : null;
  useEffect(() => {
    if (key) void tasks.request();
  }, [tasks, key]);

  const running = t.job.state === 'running';
  const noDrops = dropKey(drops) === dropKey(NO_DROPS);

  return (
    <ChartFrame
      id="tasks"
      title="Task accuracy"
      subtitle="Multiple choice, scored as lm-evaluation-harness does: the log-likelihood of each choice after the context; acc picks the highest, acc_norm the highest per character. Error bars: ±1 standard error."
      actions={
        <ChartExport
          chartId="tasks"
          name="task-accuracy"
          title={`Task accuracy: ${choice ? taskLabel(choice.source) : ''}`}
          subtitle={
            any ? `${selectionLabel(any)}; baseline (no drops) and ${describeDrops(drops)}; ±1 standard error.` : ''
          }
          table={() => taskTable(base, current)}
          disabled={!any}
        />
      }
    >
      {/* A new choice (a link, a saved experiment) resets the picker's fields to it. */}
      <TaskPicker key={choice ? choiceKey(choice) : 'none'} />
      {choice && !fitsLink(choice) && (
        <p className="panel-note" data-testid="task-link-note">
          This task file is larger than {MAX_LINK_TASK_BYTES / 1000} kB: share links and saved experiments leave it out.
        </p>
      )}
      <p className="task-status" aria-live="polite" data-testid="task-status-line" data-state={t.job.state}>
        {running ? (
          <>
            <progress max={1} value={t.job.fraction} aria-label="Task progress" data-testid="task-progress" />
            Scoring {t.job.which === 'baseline' ? 'the baseline (no drops)' : 'the current configuration'}…
          </>
        ) : t.job.state === 'error' ? (
          <span className="inline-error" data-testid="task-error">
            {t.job.error}
          </span>
        ) : !choice ? (
          'Pick a task and press Score to see accuracy beside perplexity.'
        ) : any ? (
          `${taskLabel(choice.source)}: ${selectionLabel(any)}${any.truncated ? `; ${any.truncated} requests cut to the model’s window` : ''}.`
        ) : (
          ''
        )}
      </p>
      {any && (
        <>
          <div className="task-summary">
            <AccuracyBars base={base} current={current} />
            <table className="task-numbers" data-testid="task-numbers">
              <thead>
                <tr>
                  <th scope="col" />
                  <th scope="col">
                    <span className="swatch" style={{ background: BASE_COLOR }} /> baseline
                  </th>
                  <th scope="col">
                    <span className="swatch" style={{ background: CURRENT_BAR }} />{' '}
                    {noDrops ? 'current (no drops)' : 'current'}
                  </th>
                  <th scope="col">change</th>
                </tr>
              </thead>
              <tbody>
                {([false, true] as const)
                  .filter((n) => !n || hasNorm)
                  .map((n) => {
                    const b = base ? metricOf(base, n) : null;
                    const c = current ? metricOf(current, n) : null;
                    const d = base && current ? accuracyChange(base, current, n) : null;
                    const id = n ? 'acc-norm' : 'acc';
                    return (
                      <tr key={id}>
                        <th scope="row">{n ? 'acc_norm' : 'acc'}</th>
                        <td data-testid={`task-${id}-base`}>
                          {b ? `${pct(b.value)} ± ${(100 * b.stderr).toFixed(1)}` : '…'}
                        </td>
                        <td data-testid={`task-${id}-current`}>
                          {c ? `${pct(c.value)} ± ${(100 * c.stderr).toFixed(1)}` : '…'}
                        </td>
                        <td>
                          {d
                            ? `${d.delta >= 0 ? '+' : '−'}${(100 * Math.abs(d.delta)).toFixed(1)} pts ± ${(100 * d.stderr).toFixed(1)}`
                            : ''}
                        </td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
          {hasNorm && (
            <label className="task-norm">
              <input type="checkbox" checked={t.norm} onChange={(e) => setNorm(e.target.checked)} /> items by acc_norm
            </label>
          )}
          {base && <TaskItemsView base={base} current={current} norm={norm} />}
        </>
      )}
    </ChartFrame>
  );
}
