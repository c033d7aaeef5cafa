/**
 * Component tests: server-rendered markup (no DOM needed) of the views over a store filled by the
 * controller running on the fake engine, plus the pure view-model helpers.
 */
import { IDBFactory } from 'fake-indexeddb';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/app/App';
import { domainOf, normalize, textOn, ticks, viridis, withScale } from '../../src/app/charts/color';
import { WorkbenchProvider } from '../../src/app/context';
import { formatBytes, formatCount, formatPercent, formatPpl, formatValue } from '../../src/app/format';
import { sublayerHeatmapData } from '../../src/app/heatmap/metric-data';
import { SublayerHeatmap } from '../../src/app/heatmap/SublayerHeatmap';
import { isTyping } from '../../src/app/HistoryControls';
import { pageOptions, urlWithBackend } from '../../src/app/page';
import { angularData, similarityData } from '../../src/app/views/similarity-data';
import { WorkbenchController } from '../../src/state/controller';
import { openSavedExperiments } from '../../src/state/saved';
import { createWorkbenchStore } from '../../src/state/store';
import { createFakeEngine } from './fake-engine';

const TEXTS: Record<string, string> = {
  'data/manifest.json': JSON.stringify({
    texts: [{ id: 'moby-dick-heldout', title: 'Moby-Dick (held out)', file: 'moby-dick-heldout.txt' }],
  }),
  'data/moby-dick-heldout.txt': 'Call me Ishmael. '.repeat(400),
};

async function workbench(hash = '') {
  const store = createWorkbenchStore();
  const engine = createFakeEngine();
  let h = hash;
  const controller = new WorkbenchController({
    store,
    engine,
    init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
    fetchText: async (p) => TEXTS[p],
    hash: { get: () => h, replace: (x) => (h = x), onChange: () => () => {} },
    saved: await openSavedExperiments(new IDBFactory()),
    writeDelayMs: 0,
  });
  await controller.start();
  await controller.idle();
  // Server rendering reads the store's "initial" state: let it read the current one.
  store.getInitialState = store.getState;
  const render = () =>
    renderToStaticMarkup(
      <WorkbenchProvider store={store} controller={controller}>
        <App />
      </WorkbenchProvider>,
    );
  return { store, controller, engine, render };
}

describe('the workbench page (fake engine)', () => {
  it('renders every panel with the loaded model, perplexities with their token counts, and both heatmaps', async () => {
    const { render } = await workbench();
    const html = render();
    for (const id of [
      'model-panel',
      'text-panel',
      'quick-plan',
      'saved-panel',
      'perplexity-panel',
      'cost-panel',
      'sublayer-heatmap',
      'similarity-heatmap',
      'angular-heatmap',
    ]) {
      expect(html, id).toContain(`data-testid="${id}"`);
    }
    expect(html).toContain('Runs on the GPU · google swiftshader (software)');
    expect(html).toMatch(/data-testid="ppl-baseline">[0-9.]+</);
    expect(html).toMatch(/2,040 tokens · 8 × 256-token windows/);
    expect(html).toContain('Moby-Dick (held out)');
    // 2 rows x 12 layers of toggle buttons.
    expect(html.match(/role="button"/g)).toHaveLength(24);
  });

  it('a lost GPU device: the notice with both ways back, the badge in error, the heatmaps still there', async () => {
    const { render, engine, controller } = await workbench();
    controller.toggle('attn', 3);
    await controller.idle();
    engine.onDeviceLost?.('The GPU device was lost (destroyed). Reload the page to start again on WebGPU.');
    const html = render();
    expect(html).toMatch(
      /role="alert" data-testid="notice"><div><strong>The GPU device was lost<\/strong><p>The GPU device was lost \(destroyed\)/,
    );
    expect(html).toContain('data-testid="notice-reload"');
    expect(html).toMatch(/data-testid="notice-reload-wasm">Continue on WebAssembly</);
    expect(html).toMatch(/data-backend="error"[^>]*>GPU device lost</);
    expect(html).toMatch(/aria-pressed="true"[^>]*data-kind="attn" data-layer="3"/);
  });

  it('a dead engine worker: the same notice as "The engine stopped", badge and task line say so', async () => {
    const { render, engine, controller } = await workbench();
    controller.toggle('mlp', 2);
    await controller.idle();
    engine.onDeviceLost?.(
      'The engine stopped (the engine worker failed: boom). Reload the page to start it again.',
      'engine',
    );
    const html = render();
    expect(html).toMatch(
      /role="alert" data-testid="notice"><div><strong>The engine stopped<\/strong><p>The engine stopped \(the engine worker failed: boom\)/,
    );
    expect(html).toContain('data-testid="notice-reload"');
    expect(html).toMatch(/data-backend="error"[^>]*>Engine stopped</);
    expect(html).toMatch(/data-task="stopped">engine stopped</);
    expect(html).toMatch(/aria-pressed="true"[^>]*data-kind="mlp" data-layer="2"/);
  });

  it('marks dropped cells and shows the change in perplexity', async () => {
    const { render, controller } = await workbench();
    controller.toggle('attn', 3);
    controller.toggle('mlp', 10);
    await controller.idle();
    const html = render();
    expect(html).toMatch(/aria-pressed="true"[^>]*data-kind="attn" data-layer="3"/);
    expect(html).toMatch(/aria-pressed="true"[^>]*data-kind="mlp" data-layer="10"/);
    expect(html.match(/aria-pressed="true"/g)).toHaveLength(2);
    expect(html).toContain('url(#hatch)');
    expect(html).toContain('attention 3 · MLP 10');
    expect(html).toMatch(/data-testid="ppl-change">\+[0-9.]+%/);
    expect(html).toMatch(/Parameters removed/);
  });

  it('shows a refused link as text, never as markup', async () => {
    const { render, store } = await workbench();
    store
      .getState()
      .setNotice({ kind: 'error', title: 'Refused', message: '<img src=x onerror=alert(1)><script>alert(2)</script>' });
    const html = render();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
  });
});

describe('sublayer heatmap', () => {
  const analysis = {
    drop: { attn: [1], mlp: [] },
    importance: {
      attn: [0.5, Number.NaN, 0.1],
      mlp: [0.9, 0.4, 0.2],
      block: [0.7, 0.3, 0.25],
      attnNoNorm: [1, Number.NaN, 2],
      mlpNoNorm: [3, 4, 5],
    },
    similarity: [],
    angular: [],
    eval: { drop: { attn: [1], mlp: [] }, meanNll: 1, perplexity: Math.E, tokens: 10, seqLen: 11, windows: 1 },
  };

  it('maps each metric to rows, NaN to blank and dropped sublayers to marks', () => {
    const d = sublayerHeatmapData('cosine', 3, { attn: [1], mlp: [] }, analysis, null);
    expect(d.rows.map((r) => r.kind)).toEqual(['attn', 'mlp']);
    expect(d.rows[0].values).toEqual([0.5, null, 0.1]);
    expect(d.rows[0].dropped).toEqual([false, true, false]);
    expect(d.domain).toEqual({ min: 0.1, max: 0.9, log: false });
    expect(sublayerHeatmapData('cosine', 3, { attn: [1], mlp: [] }, analysis, null, 'log').domain.log).toBe(true);
    expect(sublayerHeatmapData('nonorm', 3, { attn: [1], mlp: [] }, analysis, null).rows[1].values).toEqual([3, 4, 5]);
    const block = sublayerHeatmapData('block', 3, { attn: [1], mlp: [] }, analysis, null);
    expect(block.rows).toHaveLength(1);
    expect(block.rows[0].partial).toEqual([false, true, false]);
    const dn = sublayerHeatmapData('dnll', 3, { attn: [1], mlp: [] }, analysis, null);
    expect(dn.pending).toBe(true);
    const dn2 = sublayerHeatmapData('dnll', 3, { attn: [1], mlp: [] }, analysis, {
      base: { attn: [1], mlp: [] },
      baseNll: 1,
      attn: [0.3, null, -0.01],
      mlp: [2, 0.2, 0.1],
    });
    expect(dn2.pending).toBe(false);
    expect(dn2.rows[0].values).toEqual([0.3, null, -0.01]);
  });

  it('renders accessible toggle buttons with values, names read once and a readout', () => {
    const d = sublayerHeatmapData('cosine', 3, { attn: [1], mlp: [] }, analysis, null);
    const html = renderToStaticMarkup(<SublayerHeatmap data={d} onToggle={() => {}} />);
    expect(html.match(/role="button"/g)).toHaveLength(6);
    expect(html.match(/tabindex="0"/g)).toHaveLength(1); // roving focus
    expect(html).toContain('aria-label="Attention 1: dropped. Press to restore."');
    expect(html).toContain('aria-label="Attention 0: LLM-Drop importance 0.5. Press to drop."');
    expect(html).not.toContain('<title>'); // an SVG title beside aria-label is read a second time, as the description
    expect(html).toContain('>0.9<'); // value shown in the cell
    expect(html).toContain('Hover a cell for its value');
  });
});

describe('similarity and angular views', () => {
  const L = 3;
  const B = L + 1;
  const a = {
    drop: { attn: [], mlp: [] },
    importance: { attn: [], mlp: [], block: [], attnNoNorm: [], mlpNoNorm: [] },
    similarity: Array.from({ length: B }, (_, i) =>
      Array.from({ length: B }, (_, j) => (i === j ? 1 : 1 - 0.1 * Math.abs(i - j))),
    ),
    angular: [
      [0.1, 0.2, 0.3],
      [0.1, 0.2, Number.NaN],
      [0.1, Number.NaN, Number.NaN],
    ],
    eval: { drop: { attn: [], mlp: [] }, meanNll: 1, perplexity: 1, tokens: 1, seqLen: 2, windows: 1 },
  };
  it('shows the block boundaries x_0..x_L', () => {
    const d = similarityData(a);
    expect(d.rowLabels).toEqual(['0', '1', '2', '3']);
    expect(d.values[0][2]).toBeCloseTo(0.8, 12);
    expect(d.values[1][1]).toBe(1);
    expect(d.domain).toEqual({ min: 0.7, max: 1 });
  });
  it('leaves angular cells past the last layer blank', () => {
    const d = angularData(a);
    expect(d.values[2]).toEqual([0.1, null, null]);
    expect(d.colLabels).toEqual(['1', '2', '3']);
    expect(d.domain.min).toBe(0);
  });
});

describe('helpers', () => {
  it('colour scale', () => {
    expect(viridis(0)).toBe('rgb(68, 1, 84)');
    expect(viridis(1)).toBe('rgb(253, 231, 37)');
    expect(viridis(2)).toBe(viridis(1));
    expect(textOn(0)).toBe('#ffffff');
    expect(textOn(1)).toBe('#000000');
    expect(domainOf([null, 2, Number.NaN, 5])).toEqual({ min: 2, max: 5 });
    expect(domainOf([])).toEqual({ min: 0, max: 1 });
    const flat = domainOf([3, 3]);
    expect(flat.min).toBeLessThan(3);
    expect(flat.max).toBeGreaterThan(3);
    expect(normalize(3.5, { min: 2, max: 5 })).toBe(0.5);
    expect(ticks({ min: 0, max: 1 }, 3)).toEqual([0, 0.5, 1]);
    const log = withScale({ min: 0.001, max: 0.1 }, 'log');
    expect(log.log).toBe(true);
    expect(normalize(0.01, log)).toBeCloseTo(0.5, 12);
    expect(ticks(log, 3)[1]).toBeCloseTo(0.01, 12);
    expect(withScale({ min: -1, max: 1 }, 'log').log).toBe(false);
  });
  it('formatting', () => {
    expect(formatPpl(12.3456)).toBe('12.35');
    expect(formatPpl(1234.5)).toBe('1,235');
    expect(formatPercent(0.1234)).toBe('+12.3%');
    expect(formatPercent(-0.05)).toBe('-5.0%');
    expect(formatCount(134_515_008)).toBe('135M');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatValue(0.012345)).toBe('0.0123');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(0.00012)).toBe('1.2e-4');
    expect(formatValue(null)).toBe('–');
  });
  it('page options: ?backend=wasm and a safe ?hub=', () => {
    expect(pageOptions('?backend=wasm')).toEqual({ backend: 'wasm', hubEndpoint: 'https://huggingface.co' });
    expect(urlWithBackend('http://h:1/?hub=http%3A%2F%2Flocalhost%3A9#v1&m=b:x&da=3', 'wasm')).toBe(
      'http://h:1/?hub=http%3A%2F%2Flocalhost%3A9&backend=wasm#v1&m=b:x&da=3',
    );
    expect(urlWithBackend('http://h:1/?backend=webgpu#v1&da=1', 'auto')).toBe('http://h:1/#v1&da=1');
    expect(pageOptions('?backend=webgpu')).toEqual({ backend: 'webgpu', hubEndpoint: 'https://huggingface.co' });
    expect(pageOptions('?backend=cuda')).toEqual({ backend: 'auto', hubEndpoint: 'https://huggingface.co' });
    expect(pageOptions('?hub=http://localhost:5555/')).toEqual({
      backend: 'auto',
      hubEndpoint: 'http://localhost:5555',
    });
    expect(pageOptions('?hub=https://hf-mirror.com').hubEndpoint).toBe('https://hf-mirror.com');
    expect(pageOptions('?hub=http://evil.example').hubEndpoint).toBe('https://huggingface.co');
    expect(pageOptions('?hub=javascript:alert(1)').hubEndpoint).toBe('https://huggingface.co');
    expect(pageOptions('?hub=https://user:pw@x.org').hubEndpoint).toBe('https://huggingface.co');
  });
  it('undo keys are ignored while typing', () => {
    expect(isTyping({ tagName: 'INPUT' } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'TEXTAREA' } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'DIV', isContentEditable: false } as unknown as EventTarget)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});
