/**
 * The tour's accuracy step (issue 14): on the bundled model, dropping attention 9 or attention 7 costs
 * about the same perplexity, but only one of them costs accuracy on the offline task. Each button scores
 * the offline task (all items) and applies the drop; the numbers measured here are read out beside the
 * CLI's (src/state/classroom.ts ACCURACY_CONTRAST).
 */
import type { DropConfig } from '../../engine/api';
import { ACCURACY_CONTRAST as C } from '../../state/classroom';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { resultKey, type TaskChoice } from '../../state/tasks';
import { useController, useWorkbench } from '../context';
import { formatPpl } from '../format';
import { useTasks } from '../tasks/use-tasks';

const OFFLINE_ALL: TaskChoice = { source: { kind: 'offline' }, limit: null, seed: null };
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function AccuracyStep() {
  const controller = useController();
  const tasks = useTasks();
  const info = useWorkbench((s) => s.model.info);
  const drops = useWorkbench((s) => s.drops.current);
  const evals = useWorkbench((s) => s.results.evals);
  const results = useWorkbench((s) => (s.tasks.context === `g${s.model.generation}` ? s.tasks.results : null));
  const bundled = info?.source.kind === 'bundled' && info.source.name === C.model;
  const apply = (d: DropConfig) => {
    controller.setDrops(d);
    void tasks.choose(OFFLINE_ALL);
    document.querySelector('[data-chart="tasks"]')?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };
  const live = (d: DropConfig) => {
    const ppl = evals[dropKey(d)]?.perplexity;
    const acc = results?.[resultKey(OFFLINE_ALL, d)]?.acc;
    if (ppl === undefined && acc === undefined) return null;
    return `here: perplexity ${ppl !== undefined ? formatPpl(ppl) : '…'}, accuracy ${acc !== undefined ? pct(acc) : '…'}`;
  };
  const row = (label: string, d: DropConfig, ppl: number, acc: number, id: string) => (
    <tr key={id}>
      <th scope="row">{label}</th>
      <td>
        {formatPpl(ppl)}
        {ppl === C.baseline.perplexity ? '' : ` (+${(100 * (ppl / C.baseline.perplexity - 1)).toFixed(1)}%)`}
      </td>
      <td>{pct(acc)}</td>
      <td className="panel-note" data-testid={`tour-accuracy-live-${id}`}>
        {live(d)}
      </td>
    </tr>
  );
  return (
    <>
      <p>
        Papers on dropping layers judge a model by its accuracy on tasks, not by perplexity alone, and the two can
        disagree. The Tasks panel scores a multiple-choice task the way lm-evaluation-harness does: which of 4 endings
        does the model find most likely?
      </p>
      <p>
        On this model, dropping <strong>attention 9</strong> raises perplexity by 7.1% but leaves accuracy on the
        word-completion task where it was; dropping <strong>attention 7</strong> costs about the same perplexity (+6.6%)
        and {(100 * (C.baseline.acc - C.costs.acc)).toFixed(1)} points of accuracy. With {C.items} items the standard
        error is about {(100 * C.costs.accStderr).toFixed(1)} points, so this is a hint, not a proof: look at the items
        that flip in the item view ({C.costs.lost} lost with attention 7, {C.keeps.lost} with attention 9).
      </p>
      {!bundled && <p className="tour-fact">These numbers are for the bundled model; load it to compare.</p>}
      <table className="tour-compare" data-testid="tour-accuracy-table">
        <thead>
          <tr>
            <th scope="col">dropped</th>
            <th scope="col">perplexity</th>
            <th scope="col">accuracy</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {row('nothing', NO_DROPS, C.baseline.perplexity, C.baseline.acc, 'full')}
          {row(describeDrops(C.keeps.drop), C.keeps.drop, C.keeps.perplexity, C.keeps.acc, 'keeps')}
          {row(describeDrops(C.costs.drop), C.costs.drop, C.costs.perplexity, C.costs.acc, 'costs')}
        </tbody>
      </table>
      {/* biome-ignore lint/a11y/useSemanticElements: a row of toggle buttons, not a form section */}
      <div className="preset-buttons" role="group" aria-label="Drops to compare">
        {(
          [
            ['keeps', C.keeps.drop],
            ['costs', C.costs.drop],
          ] as const
        ).map(([id, d]) => (
          <button
            key={id}
            type="button"
            className={`preset${dropKey(d) === dropKey(drops) ? ' on' : ''}`}
            aria-pressed={dropKey(d) === dropKey(drops)}
            onClick={() => apply(d)}
            disabled={!info}
            data-testid={`tour-accuracy-${id}`}
          >
            Drop {describeDrops(d)} and score the task
          </button>
        ))}
      </div>
    </>
  );
}
