/**
 * The perplexity panel while the current drops are evaluated window batch by window batch (issue 13
 * item 6): the estimate so far, with its ± 2 standard-error range (from two windows on), how many windows
 * it rests on and the result it is paired with, under the value; nothing once the result is in
 * (server-rendered markup over a real store).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { WorkbenchProvider } from '../../src/app/context';
import { PerplexityPanel } from '../../src/app/results/PerplexityPanel';
import type { WorkbenchController } from '../../src/state/controller';
import { dropKey } from '../../src/state/drops';
import { createWorkbenchStore } from '../../src/state/store';

function render(store: ReturnType<typeof createWorkbenchStore>) {
  store.getInitialState = store.getState;
  return renderToStaticMarkup(
    <WorkbenchProvider store={store} controller={{} as WorkbenchController}>
      <PerplexityPanel />
    </WorkbenchProvider>,
  );
}

describe('PerplexityPanel: progressive estimate', () => {
  it('shows ≈ exp(mean NLL) with exp(mean ± 2 se) and the windows so far, while evaluating', () => {
    const store = createWorkbenchStore();
    store.getState().setTask({
      name: 'evaluate',
      progress: {
        stage: 'evaluate',
        done: 10,
        total: 40,
        estimate: { meanNll: Math.log(20), se: 0.05, windows: 8, of: 32 },
      },
    });
    const html = render(store);
    expect(html).toContain('data-testid="ppl-estimate"');
    expect(html).toMatch(/≈ 20\.0\d* \(18\.\d+–22\.\d+\) from 8 of 32 windows/);
  });

  it('names the result it is paired with, and shows no range from one window', () => {
    const store = createWorkbenchStore();
    store.getState().setTask({
      name: 'evaluate',
      progress: {
        stage: 'evaluate',
        done: 3,
        total: 40,
        estimate: { meanNll: Math.log(20), se: Number.NaN, windows: 1, of: 8, pairedWith: { attn: [], mlp: [] } },
      },
    });
    expect(render(store)).toMatch(/≈ 20\.0\d* from 1 of 8 windows, paired with nothing dropped</);
    store.getState().setTask({
      name: 'evaluate',
      progress: {
        stage: 'evaluate',
        done: 30,
        total: 40,
        estimate: { meanNll: Math.log(20), se: 0.01, windows: 3, of: 8, pairedWith: { attn: [2], mlp: [5] } },
      },
    });
    expect(render(store)).toMatch(
      /≈ 20\.0\d* \(19\.6\d*–20\.4\d*\) from 3 of 8 windows, paired with attention 2 · MLP 5</,
    );
  });

  it('shows no estimate when the value is known, nor for another task', () => {
    const store = createWorkbenchStore();
    const s = store.getState();
    s.resetResults('ctx');
    s.putEval('ctx', {
      drop: s.drops.current,
      meanNll: Math.log(20),
      perplexity: 20,
      tokens: 100,
      seqLen: 11,
      windows: 10,
    });
    s.setTask({
      name: 'evaluate',
      progress: { stage: 'evaluate', done: 1, total: 2, estimate: { meanNll: 3, se: 0.1, windows: 1, of: 2 } },
    });
    expect(store.getState().results.evals[dropKey(s.drops.current)]).toBeDefined();
    expect(render(store)).not.toContain('ppl-estimate');
    const other = createWorkbenchStore();
    other.getState().setTask({
      name: 'analyze',
      progress: { stage: 'analyze', done: 1, total: 2, estimate: { meanNll: 3, se: 0.1, windows: 1, of: 2 } },
    });
    expect(render(other)).not.toContain('ppl-estimate');
  });
});
