/**
 * Issue 10, item 6: one current error per model panel, Hub addresses read as ids, and the wording of
 * Generate, the KV cache, the drop-one progress, the ΔNLL legend, the header badge and Quick plan.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PlanResult } from '../../src/engine/api';
import { App } from '../../src/app/App';
import { WorkbenchProvider } from '../../src/app/context';
import { droppedLabel, KV_FLOAT32_WHY } from '../../src/app/generate/generate-view';
import { backendWords } from '../../src/app/header/backend-words';
import { readHubInput } from '../../src/app/model/hub-id';
import { currentError } from '../../src/app/model/ModelPanel';
import { PlanChoices } from '../../src/app/plan/QuickPlan';
import { planChoices } from '../../src/app/plan/plan-view';
import { setup } from '../state/setup';

async function page() {
  const { store, controller } = await setup();
  store.getInitialState = store.getState;
  const render = () =>
    renderToStaticMarkup(
      <WorkbenchProvider store={store} controller={controller}>
        <App />
      </WorkbenchProvider>,
    );
  return { store, controller, render };
}

describe('Hub ids and addresses', () => {
  it('reads a pasted model page address as the id, and the revision it names', () => {
    const ok = (id: string, revision?: string) => (revision ? { ok: true, id, revision } : { ok: true, id });
    expect(readHubInput('HuggingFaceTB/SmolLM2-135M')).toEqual(ok('HuggingFaceTB/SmolLM2-135M'));
    expect(readHubInput('  https://huggingface.co/HuggingFaceTB/SmolLM2-135M  ')).toEqual(
      ok('HuggingFaceTB/SmolLM2-135M'),
    );
    expect(readHubInput('https://huggingface.co/HuggingFaceTB/SmolLM2-135M/')).toEqual(
      ok('HuggingFaceTB/SmolLM2-135M'),
    );
    expect(readHubInput('https://huggingface.co/HuggingFaceTB/SmolLM2-135M/tree/main')).toEqual(
      ok('HuggingFaceTB/SmolLM2-135M'),
    );
    expect(readHubInput('https://huggingface.co/Qwen/Qwen2.5-0.5B/tree/v1.0')).toEqual(ok('Qwen/Qwen2.5-0.5B', 'v1.0'));
    expect(readHubInput('https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json')).toEqual(
      ok('Qwen/Qwen2.5-0.5B'),
    );
    expect(readHubInput('https://huggingface.co/Org/Name/tree/refs%2Fpr%2F3')).toEqual(ok('Org/Name', 'refs/pr/3'));
    expect(readHubInput('https://huggingface.co/Org/Name?library=transformers#model-card')).toEqual(ok('Org/Name'));
    expect(readHubInput('huggingface.co/Org/Name')).toEqual(ok('Org/Name'));
    expect(readHubInput('https://hf.co/Org/Name')).toEqual(ok('Org/Name'));
    expect(readHubInput('https://huggingface.co/gpt2')).toEqual(ok('gpt2'));
    expect(readHubInput('https://huggingface.co/gpt2/tree/main')).toEqual(ok('gpt2'));
    expect(readHubInput('http://localhost:5555/Org/Name', 'http://localhost:5555')).toEqual(ok('Org/Name'));
  });

  it('refuses what is not a model, saying why', () => {
    const no = (s: string) => {
      const r = readHubInput(s);
      expect(r.ok, s).toBe(false);
      return r.ok ? '' : r.message;
    };
    expect(no('https://example.com/Org/Name')).toMatch(/example\.com is not the Hugging Face Hub/);
    expect(no('https://huggingface.co/datasets/Org/Data')).toMatch(/dataset, not a model/);
    expect(no('https://huggingface.co/spaces/Org/App')).toMatch(/Space, not a model/);
    expect(no('not an id!')).toMatch(/owner\/name/);
    expect(no('')).toMatch(/paste the model page/);
    expect(no('https://huggingface.co/')).toMatch(/owner\/name/);
  });
});

describe('one current error per model panel', () => {
  const hubError = { code: 'NOT_FOUND', message: 'private or gated' };
  it('a form error replaces the load error on screen; a newer load error replaces the form error', () => {
    expect(currentError(null, null)).toEqual({ form: null, load: false });
    expect(currentError(null, hubError)).toEqual({ form: null, load: true });
    // The local folder has no config.json while the Hub error is shown: only the folder's error.
    expect(currentError({ message: 'no config.json', over: hubError }, hubError)).toEqual({
      form: 'no config.json',
      load: false,
    });
    // A load after it failed with a new error: only that one.
    const newer = { code: 'CONFIG', message: 'unsupported' };
    expect(currentError({ message: 'no config.json', over: hubError }, newer)).toEqual({ form: null, load: true });
    expect(currentError({ message: 'bad id', over: null }, null)).toEqual({ form: 'bad id', load: false });
  });

  it('the model panel shows a load error once, and the id field has a row of its own', async () => {
    const { store, render } = await page();
    store.getState().modelFailed({
      code: 'HUB',
      name: 'HubError',
      message: 'HuggingFaceTB/Nope is private or gated, or it does not exist.',
    });
    const html = render();
    expect(html.match(/role="alert"[^>]*data-testid="model-error"/g)).toHaveLength(1);
    // The id field: its own row, labelled for ids and addresses.
    expect(html).not.toContain('class="field narrow"');
  });
});

describe('wording', () => {
  it('Generate and Speed: "nothing dropped", never "nothing dropped dropped"; the KV cache says why it is float32', async () => {
    expect(droppedLabel({ attn: [], mlp: [] })).toBe('nothing dropped');
    expect(droppedLabel({ attn: [3, 5], mlp: [7] })).toBe('attention 3, 5 · MLP 7 dropped');
    expect(KV_FLOAT32_WHY).toMatch(/float32.*Savings panel counts fp16/);
    const { render } = await page();
    const html = render();
    expect(html).not.toContain('nothing dropped dropped');
    expect(html).toContain('KV cache (fp16 deployment)');
    expect(html).toMatch(/title="[^"]*float32 \(twice this\)/);
  });

  it('an empty ΔNLL grid has no colour scale; the drop-one progress says what it counts', async () => {
    const { store, render } = await page();
    store.setState((s) => ({
      ui: { ...s.ui, metric: 'dnll' },
      results: {
        ...s.results,
        dropOnes: {},
        task: { name: 'dropOne', progress: { stage: 'drop-one', done: 31, total: 301, unit: 'sublayers' } },
      },
    }));
    const html = render();
    const sub = html.slice(html.indexOf('data-chart="sublayers"'), html.indexOf('data-chart="sublayers"') + 20_000);
    const panel = sub.slice(0, sub.indexOf('data-chart=', 30) > 0 ? sub.indexOf('data-chart=', 30) : undefined);
    expect(panel).not.toContain('class="color-scale"');
    expect(panel).toContain('measuring the perplexity of every single further drop (31 of 301 sublayer runs)');
    store.setState((s) => ({ ui: { ...s.ui, metric: 'cosine' } }));
    const cos = render();
    const withData = cos.slice(cos.indexOf('data-chart="sublayers"'));
    expect(withData.slice(0, withData.indexOf('data-chart=', 30))).toContain('class="color-scale"');
  });

  it('header badge: plain words, the engine’s full report in the title, not orange by default', () => {
    const wasm = backendWords({
      backend: 'wasm',
      reason:
        'The WebGPU adapter is a software fallback (google swiftshader), far slower than wasm; ?backend=webgpu uses it anyway.',
      crossOriginIsolated: true,
      threads: 2,
    });
    expect(wasm).toEqual({
      text: 'Runs on the CPU · 2 threads · faster than the software GPU',
      title: expect.stringContaining('Why: The WebGPU adapter is a software fallback (google swiftshader)'),
      tone: 'ok',
    });
    expect(
      backendWords({
        backend: 'wasm',
        reason: 'WebGPU is switched off by ?backend=wasm.',
        crossOriginIsolated: true,
        threads: 4,
      }).text,
    ).toBe('Runs on the CPU · 4 threads · as the address asks');
    const one = backendWords({
      backend: 'wasm',
      reason: 'requestAdapter() returned no adapter',
      crossOriginIsolated: false,
      threads: 1,
    });
    expect(one).toMatchObject({ text: 'Runs on the CPU · 1 thread · no usable GPU in this browser', tone: 'warn' });
    expect(one.title).toContain('Cross-origin isolated: no');
    // One thread by choice (half of 2 cores), isolated: nothing wrong, not orange.
    expect(
      backendWords({
        backend: 'wasm',
        reason: 'WebGPU is switched off by ?backend=wasm.',
        crossOriginIsolated: true,
        threads: 1,
      }).tone,
    ).toBe('ok');
    const gpu = backendWords({
      backend: 'webgpu',
      adapter: {
        vendor: 'nvidia',
        architecture: 'hopper',
        device: '',
        description: 'NVIDIA H100',
        isFallbackAdapter: false,
        features: ['shader-f16'],
        maxBufferSize: 1,
      },
      crossOriginIsolated: true,
      threads: 8,
    });
    expect(gpu).toMatchObject({ text: 'Runs on the GPU · nvidia hopper', tone: 'ok' });
    expect(gpu.title).toMatch(/through WebGPU\. Adapter: NVIDIA H100/);
  });

  it('Quick plan lists what it chose, in order, with the score each was chosen on', () => {
    const imp = (attn: number[], mlp: number[]) => ({
      attn,
      mlp,
      block: attn.map((a, i) => a + mlp[i]),
      attnNoNorm: attn.map((a) => a * 10),
      mlpNoNorm: mlp.map((m) => m * 10),
    });
    const oneShot: PlanResult = {
      drop: { attn: [], mlp: [3, 4, 6] },
      steps: [
        {
          chosen: [
            { kind: 'mlp', layer: 6 },
            { kind: 'mlp', layer: 4 },
            { kind: 'mlp', layer: 3 },
          ],
          scores: imp([0.3, 0.2, 0.1, 0.05, 0.04, 0.06, 0.01], [0.5, 0.4, 0.3, 0.0044, 0.0043, 0.1, 0.0037]),
        },
      ],
    };
    const req = { target: 'joint' as const, n: 3, iterative: false, norm: true };
    const choices = planChoices(req, oneShot);
    expect(choices.map((c) => [c.order, c.kind, c.layer, c.score, c.step])).toEqual([
      [1, 'mlp', 6, 0.0037, 1],
      [2, 'mlp', 4, 0.0043, 1],
      [3, 'mlp', 3, 0.0044, 1],
    ]);
    expect(planChoices({ ...req, norm: false }, oneShot)[0].score).toBeCloseTo(0.037, 12);
    const iterative: PlanResult = {
      drop: { attn: [1, 2], mlp: [] },
      steps: [
        { chosen: [{ kind: 'attn', layer: 2 }], scores: imp([0.3, 0.2, 0.1], [1, 1, 1]) },
        { chosen: [{ kind: 'attn', layer: 1 }], scores: imp([0.3, 0.15, Number.NaN], [1, 1, 1]) },
      ],
    };
    expect(
      planChoices({ target: 'attn', n: 2, iterative: true }, iterative).map((c) => [c.layer, c.score, c.step]),
    ).toEqual([
      [2, 0.1, 1],
      [1, 0.15, 2],
    ]);
    const html = renderToStaticMarkup(<PlanChoices summary={{ request: req, choices }} />);
    expect(html).toContain('Last plan: 3 joint one-shot, in the order chosen');
    expect(html.match(/<li[^>]*>MLP \d <span class="plan-score">[0-9.]+<\/span><\/li>/g)).toEqual([
      '<li data-kind="mlp" data-layer="6" data-score="0.0037">MLP 6 <span class="plan-score">0.0037</span></li>',
      '<li data-kind="mlp" data-layer="4" data-score="0.0043">MLP 4 <span class="plan-score">0.0043</span></li>',
      '<li data-kind="mlp" data-layer="3" data-score="0.0044">MLP 3 <span class="plan-score">0.0044</span></li>',
    ]);
  });

  it('Quick plan: the controller hands the plan to the panel before applying it', async () => {
    const { controller, store } = await page();
    let got: PlanResult | null = null;
    expect(await controller.plan({ target: 'attn', n: 3, iterative: false, norm: true }, (r) => (got = r))).toBe(true);
    await controller.idle();
    expect(got).not.toBeNull();
    const r = got as unknown as PlanResult;
    expect(store.getState().drops.current).toEqual(r.drop);
    const c = planChoices({ target: 'attn', n: 3, iterative: false }, r);
    expect(c).toHaveLength(3);
    // In order of importance, each the one the engine's scores say.
    expect(c.map((x) => x.score)).toEqual([...c.map((x) => x.score)].sort((a, b) => a - b));
    for (const x of c) expect(x.score).toBe(r.steps[0].scores.attn[x.layer]);
  });
});
