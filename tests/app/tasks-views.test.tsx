/** Server-rendered markup of the Tasks panel, its item view and the accuracy curves (fake engine). */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/app/App';
import { WorkbenchProvider } from '../../src/app/context';
import { taskFlips } from '../../src/engine/api';
import { labFor } from '../../src/state/lab-controller';
import { tasksFor } from '../../src/state/task-runner';
import { resultKey } from '../../src/state/tasks';
import { setup } from '../state/setup';

type W = Awaited<ReturnType<typeof setup>>;

function render(w: W): string {
  w.store.getInitialState = w.store.getState;
  return renderToStaticMarkup(
    <WorkbenchProvider store={w.store} controller={w.controller}>
      <App />
    </WorkbenchProvider>,
  );
}

const HOSTILE = Array.from({ length: 30 }, (_, i) =>
  JSON.stringify({
    context: `<img src=x onerror=alert(${i})> item ${i}`,
    choices: [' a', ' <b>bold</b>', ' c'],
    gold: i % 3,
  }),
).join('\n');

describe('Tasks panel (server-rendered)', () => {
  it('no task: the picker on the offline task, no numbers, no accuracy curves', async () => {
    const w = await setup();
    const html = render(w);
    expect(html).toContain('data-chart="tasks"');
    expect(html).toContain('data-testid="task-picker"');
    expect(html).toMatch(/<option value="offline" selected="">/);
    expect(html).not.toContain('data-testid="task-numbers"');
    expect(html).not.toContain('data-chart="accuracy-curves"');
  });

  it('baseline and current with standard errors, the flips, and an item as escaped text', async () => {
    const w = await setup();
    const tasks = tasksFor(w.store, w.controller);
    w.controller.setDrops({ attn: [0], mlp: [0] });
    await w.controller.idle();
    await tasks.chooseJsonl('hostile.jsonl', HOSTILE, null, null);
    const c = w.s().tasks.choice!;
    const base = w.s().tasks.results[resultKey(c, { attn: [], mlp: [] })];
    const cur = w.s().tasks.results[resultKey(c, { attn: [0], mlp: [0] })];
    const flips = taskFlips(base, cur);
    expect(flips.lost.length).toBeGreaterThan(0);
    w.s().selectTaskItem(flips.lost[0]);
    const html = render(w);
    const pct = (x: number, se: number) => `${(100 * x).toFixed(1)}% ± ${(100 * se).toFixed(1)}`;
    expect(html).toContain(`data-testid="task-acc-base">${pct(base.acc, base.accStderr)}<`);
    expect(html).toContain(`data-testid="task-acc-current">${pct(cur.acc, cur.accStderr)}<`);
    expect(html).toContain(`data-testid="task-acc-norm-base">${pct(base.accNorm!, base.accNormStderr!)}<`);
    expect(html).toContain(
      `${flips.lost.length} item${flips.lost.length === 1 ? '' : 's'} right at baseline and wrong now`,
    );
    expect(html.match(/data-flip="lost"/g)?.length).toBe(flips.lost.length);
    expect(html).toContain('data-testid="task-item-detail"');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain(`&lt;img src=x onerror=alert(${flips.lost[0]})&gt; item ${flips.lost[0]}`);
    expect(html).toContain(base.items.find((x) => x.index === flips.lost[0])!.loglik[1].toFixed(3));
    expect(html).toContain('all 30 items');
    expect(html).toContain('data-testid="export-tasks"');
    expect(html).toContain('data-chart="accuracy-curves"');
  });

  it('accuracy curves: a point per scored configuration of every strategy, with export', async () => {
    const w = await setup();
    await tasksFor(w.store, w.controller).choose({ source: { kind: 'offline' }, limit: 8, seed: null });
    await labFor(w.store, w.controller).computeCurves(2);
    const html = render(w);
    for (const s of ['attn', 'mlp', 'joint'])
      for (const n of [0, 1, 2]) expect(html).toContain(`accuracy-point-${s}-${n}"`);
    expect(html).toContain('accuracy-point-block-1"');
    expect(html).toContain('data-testid="export-accuracy-curves"');
  });
});
