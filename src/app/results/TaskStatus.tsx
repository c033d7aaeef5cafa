/** What the engine is working on, with a small progress bar. */
import { useWorkbench } from '../context';

const NAMES: Record<string, string> = {
  baseline: 'Measuring the full model',
  evaluate: 'Evaluating',
  analyze: 'Measuring sublayers',
  dropOne: 'Drop-one sensitivity',
  plan: 'Planning',
  scoreTask: 'Scoring the task',
};

export function TaskStatus() {
  const task = useWorkbench((s) => s.results.task);
  const tokenizing = useWorkbench((s) => s.data.status === 'tokenizing');
  const hasModel = useWorkbench((s) => s.model.info !== null);
  const backendError = useWorkbench((s) => s.backend.state === 'error');
  if (backendError && hasModel) {
    // The GPU device was lost or the engine worker died (the notice says which): nothing computes now.
    return (
      <span className="task-status idle" data-testid="task-status" data-task="stopped">
        engine stopped
      </span>
    );
  }
  if (!task && !tokenizing && !hasModel) {
    return (
      <span className="task-status idle" data-testid="task-status" data-task="no-model">
        waiting for a model
      </span>
    );
  }
  if (!task && !tokenizing) {
    return (
      <span className="task-status idle" data-testid="task-status" data-task="idle">
        up to date
      </span>
    );
  }
  const p = task?.progress;
  const frac = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  return (
    <span className="task-status" data-testid="task-status" data-task={task?.name ?? 'tokenizing'}>
      <span className="spinner" aria-hidden="true" />
      {task ? (NAMES[task.name] ?? task.name) : 'Tokenizing'}
      {frac !== null && (
        <progress max={1} value={frac} aria-label="progress">
          {Math.round(frac * 100)}%
        </progress>
      )}
    </span>
  );
}
