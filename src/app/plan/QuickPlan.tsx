/** "Drop N attention|MLP|block|joint layers, one-shot|iterative": applies the engine planner's result. */
import { type FormEvent, useState } from 'react';
import type { PlanTarget } from '../../engine/api';
import { useController, useWorkbench } from '../context';
import { KIND_LABEL, type PlanSummary, planChoices } from './plan-view';

const TARGETS: { id: PlanTarget; label: string }[] = [
  { id: 'attn', label: 'attention' },
  { id: 'mlp', label: 'MLP' },
  { id: 'block', label: 'block' },
  { id: 'joint', label: 'joint' },
];

export function QuickPlan() {
  const controller = useController();
  const L = useWorkbench((s) => s.model.info?.spec.numLayers ?? 0);
  const metric = useWorkbench((s) => s.ui.metric);
  const planning = useWorkbench((s) => s.results.task?.name === 'plan');
  const [n, setN] = useState('4');
  const [target, setTarget] = useState<PlanTarget>('attn');
  const [iterative, setIterative] = useState(false);
  const context = useWorkbench((s) => s.results.context);
  const [last, setLast] = useState<(PlanSummary & { context: string }) | null>(null);
  const norm = metric !== 'nonorm';
  const max = target === 'joint' ? 2 * L : L;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const request = { target, n: Number(n), iterative, norm };
    void controller.plan(request, (r) => setLast({ request, choices: planChoices(request, r), context }));
  };
  return (
    <section className="panel side-panel" aria-labelledby="plan-title" data-testid="quick-plan">
      <header className="panel-head">
        <h2 id="plan-title">Quick plan</h2>
      </header>
      <form className="plan-form" onSubmit={submit} data-testid="plan-form">
        <div className="plan-line">
          <span>Drop</span>
          <input
            type="number"
            min={1}
            max={Math.max(1, max)}
            value={n}
            onChange={(e) => setN(e.target.value)}
            aria-label="How many"
            className="num"
          />
          <select value={target} onChange={(e) => setTarget(e.target.value as PlanTarget)} aria-label="Which sublayers">
            {TARGETS.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
          <span>layers</span>
        </div>
        <div className="plan-line">
          <select
            value={iterative ? 'iterative' : 'one-shot'}
            onChange={(e) => setIterative(e.target.value === 'iterative')}
            aria-label="Strategy"
          >
            <option value="one-shot">one-shot</option>
            <option value="iterative">iterative</option>
          </select>
          <button type="submit" disabled={!L || planning}>
            {planning ? 'Planning…' : 'Apply plan'}
          </button>
        </div>
      </form>
      <p className="hint">
        Least important first, by LLM-Drop cosine importance {norm ? '(with norm)' : '(no norm)'}, starting from nothing
        dropped. One-shot scores the full model once; iterative re-scores after each drop.
      </p>
      {last && last.context === context && <PlanChoices summary={last} />}
    </section>
  );
}

/** The last plan's choices, in the order the planner took them, with the score of each. */
export function PlanChoices({ summary }: { summary: PlanSummary }) {
  const { request, choices } = summary;
  const target = TARGETS.find((t) => t.id === request.target)?.label ?? request.target;
  return (
    <div className="plan-choices" data-testid="plan-choices">
      <p className="hint">
        Last plan: {choices.length} {target} {request.iterative ? 'iterative' : 'one-shot'}, in the order chosen, with
        the importance each was chosen on (1 − cos{request.norm === false ? ', no norm' : ''}; lower = more redundant
        {request.iterative ? '; each from its own scoring pass' : ''}):
      </p>
      <ol className="plan-order">
        {choices.map((c) => (
          <li key={`${c.kind}${c.layer}`} data-kind={c.kind} data-layer={c.layer} data-score={c.score}>
            {KIND_LABEL[c.kind]} {c.layer}{' '}
            <span className="plan-score">{Number.isFinite(c.score) ? c.score.toFixed(4) : '–'}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
