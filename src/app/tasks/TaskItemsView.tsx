/**
 * The item view: which items flip when the current drops are applied (right at baseline and wrong now,
 * or the reverse; taskFlips), or every item; for the item picked, its context, its choices with each
 * choice's log-likelihood at baseline and now, the gold choice and each configuration's pick. Text from a
 * task file is shown as React text only (nothing is parsed as HTML).
 */
import { useMemo, useState } from 'react';
import { type TaskItemResult, type TaskResult, taskFlips } from '../../engine/api';
import { useWorkbench } from '../context';

const MAX_LISTED = 300;

function pickOf(r: TaskItemResult, norm: boolean): number {
  return norm ? (r.predNorm ?? r.pred) : r.pred;
}
function rightOf(r: TaskItemResult, norm: boolean): boolean {
  return norm ? (r.correctNorm ?? r.correct) : r.correct;
}

/** How a choice is shown: visible whitespace at its ends (a leading space matters to a tokenizer). */
function shown(s: string): string {
  return s.replace(/^ /, '␣').replace(/\n/g, '↵');
}

export function TaskItemsView({
  base,
  current,
  norm,
}: {
  base: TaskResult;
  current: TaskResult | null;
  norm: boolean;
}) {
  const selected = useWorkbench((s) => s.tasks.item);
  const select = useWorkbench((s) => s.selectTaskItem);
  const [filter, setFilter] = useState<'flips' | 'all'>('flips');
  const flips = useMemo(() => (current ? taskFlips(base, current, norm) : null), [base, current, norm]);
  const flipped = useMemo(() => new Set([...(flips?.lost ?? []), ...(flips?.gained ?? [])]), [flips]);
  const curBy = useMemo(() => new Map((current?.items ?? []).map((r) => [r.index, r])), [current]);
  const list = base.items.filter((r) => filter === 'all' || flipped.has(r.index));
  const pick = base.items.find((r) => r.index === selected) ?? null;
  const pickNow = pick ? (curBy.get(pick.index) ?? null) : null;
  const text = pick?.item ?? pickNow?.item;
  const mark = (ok: boolean | undefined) => (ok === undefined ? '…' : ok ? '✓' : '✗');

  return (
    <div className="task-items" data-testid="task-items">
      <div className="task-items-head">
        <p className="readout" data-testid="task-flips">
          {flips
            ? `${flips.lost.length} item${flips.lost.length === 1 ? '' : 's'} right at baseline and wrong now, ${flips.gained.length} wrong at baseline and right now (of ${flips.compared}, by ${norm ? 'acc_norm' : 'acc'}).`
            : 'Items flip once the current configuration is scored.'}
        </p>
        <fieldset className="segmented" aria-label="Items listed">
          {(['flips', 'all'] as const).map((f) => (
            <label key={f} className={filter === f ? 'on' : ''}>
              <input type="radio" name="task-filter" checked={filter === f} onChange={() => setFilter(f)} />
              {f === 'flips' ? 'flipped' : 'all'}
            </label>
          ))}
        </fieldset>
      </div>
      <div className="task-items-body">
        <ul className="task-item-list" aria-label="Items">
          {list.slice(0, MAX_LISTED).map((r) => {
            const now = curBy.get(r.index);
            const lost = flips?.lost.includes(r.index);
            const gained = flips?.gained.includes(r.index);
            return (
              <li key={r.index}>
                <button
                  type="button"
                  className={`value-button${r.index === selected ? ' on' : ''}${lost ? ' lost' : gained ? ' gained' : ''}`}
                  aria-current={r.index === selected || undefined}
                  onClick={() => select(r.index)}
                  data-testid={`task-item-${r.index}`}
                  data-flip={lost ? 'lost' : gained ? 'gained' : undefined}
                >
                  #{r.index} {mark(rightOf(r, norm))}→{mark(now ? rightOf(now, norm) : undefined)}
                </button>
              </li>
            );
          })}
          {list.length === 0 && <li className="panel-note">{filter === 'flips' ? 'No item flips.' : 'No items.'}</li>}
          {list.length > MAX_LISTED && <li className="panel-note">and {list.length - MAX_LISTED} more</li>}
        </ul>
        {pick && text ? (
          <div className="task-item-detail" data-testid="task-item-detail">
            <p className="task-context">
              <span className="panel-note">Item #{pick.index}. Context: </span>
              {text.context || (text.target !== undefined ? '(each choice is a context)' : '(empty)')}
            </p>
            <table className="task-choices">
              <thead>
                <tr>
                  <th scope="col">choice</th>
                  <th scope="col">log-likelihood, baseline</th>
                  <th scope="col">now</th>
                </tr>
              </thead>
              <tbody>
                {text.choices.map((c, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a choice is its position (gold and picks are indices)
                  <tr key={`${j}:${c}`} className={j === pick.gold ? 'gold' : undefined}>
                    <td>
                      {shown(c)}
                      {j === pick.gold ? <span className="task-tag"> gold</span> : null}
                    </td>
                    <td>
                      {pick.loglik[j].toFixed(3)}
                      {j === pickOf(pick, norm) ? <span className="task-tag"> picked</span> : null}
                    </td>
                    <td>
                      {pickNow ? pickNow.loglik[j].toFixed(3) : '…'}
                      {pickNow && j === pickOf(pickNow, norm) ? <span className="task-tag"> picked</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {text.target !== undefined && <p className="panel-note">Continuation every choice shares: {text.target}</p>}
            <p className="readout">
              Baseline {rightOf(pick, norm) ? 'right' : 'wrong'}; now{' '}
              {pickNow ? (rightOf(pickNow, norm) ? 'right' : 'wrong') : 'not scored yet'}.
              {pick.truncated ? ' Its context was cut to the model’s window.' : ''}
            </p>
          </div>
        ) : (
          <p className="placeholder">Pick an item to see its context, choices and log-likelihoods.</p>
        )}
      </div>
    </div>
  );
}
