/** Server-rendered markup of the per-token view, the curves panel and classroom mode (fake engine). */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app/App';
import { WorkbenchProvider } from '../../../src/app/context';
import { labWorkbench } from './setup';

async function rendered(prepare?: (w: Awaited<ReturnType<typeof labWorkbench>>) => Promise<void>) {
  const w = await labWorkbench();
  w.engine.tokenDelta = async (kind, layer) => ({
    kind,
    layer,
    tokens: ['<img src=x onerror=alert(1)>', '\n', 'ok', '&amp;'],
    delta: [0.5, 0.01, 0.002, 0.1],
  });
  await prepare?.(w);
  await w.controller.idle();
  w.store.getInitialState = w.store.getState;
  const html = renderToStaticMarkup(
    <WorkbenchProvider store={w.store} controller={w.controller}>
      <App />
    </WorkbenchProvider>,
  );
  return { ...w, html };
}

describe('lab views (server-rendered)', () => {
  it('per-token view: every token as escaped text with its value, whitespace made visible', async () => {
    const { html } = await rendered(async ({ lab }) => {
      lab.selectTokens({ kind: 'mlp', layer: 2 });
      await lab.requestTokens();
    });
    expect(html).toContain('data-chart="tokens"');
    expect(html).toContain('data-sublayer="mlp2"');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&amp;amp;');
    expect(html).toMatch(/role="option"[^>]*data-i="1" data-value="0.01"[^>]*>↵<\/span><br\/>/);
    expect(html.match(/class="tok( active)?"/g)).toHaveLength(4);
    expect(html).toContain('MLP 2');
    // Every chart has its export buttons.
    for (const id of ['sublayers', 'tokens', 'curves', 'similarity', 'angular'])
      expect(html, id).toContain(`data-testid="export-${id}"`);
  });

  it('curves panel: a compute button before, the progress-free status and value table after', async () => {
    const before = await rendered();
    expect(before.html).toContain('data-testid="curves-compute"');
    expect(before.html).toMatch(/up to \d+ engine calls/);
    const after = await rendered(async ({ lab }) => {
      await lab.computeCurves(2);
    });
    expect(after.html).toContain('data-state="done"');
    expect(after.html).toContain('configurations measured');
    expect(after.html).toContain('data-testid="curve-value-attn-2"');
    expect(after.html).toContain('data-testid="curve-value-joint-1"');
    expect(after.html).toContain('Current: nothing dropped');
  });

  it('classroom mode: the bar with presets and a live perplexity line; the tour as a labelled dialog', async () => {
    const off = await rendered();
    expect(off.html).not.toContain('data-testid="classroom-bar"');
    expect(off.html).toContain('aria-pressed="false"');
    const on = await rendered(async ({ s }) => {
      s().setClassroom(true);
      s().tour({ type: 'start' });
      s().tour({ type: 'next' });
    });
    expect(on.html).toContain('data-testid="classroom-bar"');
    expect(on.html).toMatch(/data-testid="tour"[^>]*data-step="attention"/);
    expect(on.html).toContain('role="dialog"');
    expect(on.html).toContain('aria-labelledby="tour-title"');
    expect(on.html).toMatch(/aria-live="polite" data-testid="tour-ppl">Perplexity [0-9.]+ \(2,040 tokens\)/);
    // The bar stays quiet while the tour speaks.
    expect(on.html).toContain('aria-live="off" data-testid="classroom-ppl"');
    expect(on.html).toContain('data-testid="tour-preset-attn-third"');
    expect(on.html).toContain('Step 2 of 6');
  });
});
