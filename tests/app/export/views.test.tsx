/**
 * The export, generation and speed panels' pure helpers, and their server-rendered markup in the
 * workbench (fake engine; no worker is touched until a panel acts).
 */
import { IDBFactory } from 'fake-indexeddb';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app/App';
import { WorkbenchProvider } from '../../../src/app/context';
import { ExportClientProvider, type ExportClient } from '../../../src/app/export/export-client';
import {
  DEFAULT_FORMATS,
  exportNotices,
  fileGroups,
  FORMATS,
  progressFraction,
  toggleFormat,
  zipFileName,
} from '../../../src/app/export/export-view';
import {
  agreementText,
  commonPrefix,
  contextChoices,
  formatRatio,
  generateRequest,
  DEFAULT_SAMPLING,
  finalStreams,
  speedRows,
  stopText,
} from '../../../src/app/generate/generate-view';
import { WorkbenchController } from '../../../src/state/controller';
import { openSavedExperiments } from '../../../src/state/saved';
import { createWorkbenchStore } from '../../../src/state/store';
import { checkGenerateRequest, continuationText, eosIds } from '../../../src/engine/generate/side-by-side';
import { contextTokens } from '../../../src/engine/generate/speed';
import { mulberry32 as seededRandom } from '../../../src/engine/random';
import type { ExportPreview, SpeedPoint, SpeedReport } from '../../../src/engine/api';
import { createFakeEngine } from '../fake-engine';

function preview(o: Partial<ExportPreview> = {}): ExportPreview {
  return {
    drop: { attn: [3], mlp: [] },
    formats: ['fp32'],
    files: [
      { path: 'tokenizer.json', bytes: 3000, estimated: false },
      { path: 'model.safetensors', bytes: 9_000_000, estimated: true },
      { path: 'onnx/model.onnx', bytes: 9_100_000, estimated: true },
      { path: 'config.json', bytes: 800, estimated: false },
      { path: 'README.md', bytes: 1500, estimated: true },
    ],
    totalBytes: 18_105_300,
    zipBytes: 18_106_000,
    zipLimitBytes: 2 ** 32 - 2 ** 24,
    externalData: [],
    externalDataThresholdBytes: 2 ** 31 - 2 ** 26,
    llmDropLoadable: true,
    family: 'llama',
    warnings: [],
    kvBytesPerToken: { pruned: 2816, full: 3072 },
    modelName: 'droplab-byte-12l',
    ...o,
  };
}

describe('export view helpers', () => {
  it('formats: the four of the export, toggled in a fixed order', () => {
    expect(FORMATS.map((f) => f.id)).toEqual(['fp32', 'fp16', 'q8', 'q4']);
    expect(FORMATS.map((f) => f.file)).toEqual([
      'onnx/model.onnx',
      'onnx/model_fp16.onnx',
      'onnx/model_quantized.onnx',
      'onnx/model_q4.onnx',
    ]);
    expect(toggleFormat(DEFAULT_FORMATS, 'fp16')).toEqual(['fp32', 'fp16', 'q4']);
    expect(toggleFormat(['q4', 'fp32'], 'q4')).toEqual(['fp32']);
    expect(toggleFormat([], 'q8')).toEqual(['q8']);
  });

  it('notices: nothing for a plain llama export', () => {
    expect(exportNotices(preview())).toEqual([]);
  });

  it('notices: a family without LLM-Drop modeling files is a warning, not an error', () => {
    const n = exportNotices(
      preview({
        llmDropLoadable: false,
        family: 'qwen2',
        warnings: ['LLM-Drop has no modeling file for qwen2 models (...)'],
      }),
    );
    expect(n.map((x) => [x.id, x.kind])).toEqual([['no-llmdrop-modeling', 'warning']]);
    expect(n[0].text).toContain('qwen2');
    expect(n[0].text).toContain('drop_attn_list');
  });

  it('notices: other engine warnings are passed on', () => {
    const n = exportNotices(preview({ warnings: ["LLM-Drop's LlamaConfig ... rope_scaling ..."] }));
    expect(n).toHaveLength(1);
    expect(n[0].kind).toBe('warning');
  });

  it('notices: past 2 GB the weights go to external data (info); past 4 GiB the zip is refused (error)', () => {
    const big = preview({ formats: ['fp32', 'fp16'], externalData: ['fp32'], zipBytes: 3.1 * 2 ** 30 });
    const n = exportNotices(big);
    expect(n.map((x) => [x.id, x.kind])).toEqual([['external-fp32', 'info']]);
    expect(n[0].text).toContain('onnx/model.onnx_data');
    expect(n[0].text).toContain('use_external_data_format');
    const huge = exportNotices(preview({ externalData: ['fp32', 'fp16'], zipBytes: 5 * 2 ** 30 }));
    expect(huge[0]).toMatchObject({ id: 'zip-too-large', kind: 'error' });
    expect(huge[0].text).toMatch(/CLI/);
    expect(huge.filter((x) => x.id.startsWith('external-'))).toHaveLength(2);
  });

  it('notices: no ONNX format chosen', () => {
    expect(exportNotices(preview({ formats: [] })).map((x) => x.id)).toEqual(['no-onnx']);
  });

  it('zip file names: file-safe model name and the drops', () => {
    expect(zipFileName('droplab-byte-12l', { attn: [3, 5], mlp: [7] })).toBe('droplab-byte-12l-pruned-a3.5-m7.zip');
    expect(zipFileName('HuggingFaceTB/SmolLM2-135M', { attn: [], mlp: [1] })).toBe(
      'HuggingFaceTB-SmolLM2-135M-pruned-m1.zip',
    );
    expect(zipFileName('my model <1>', { attn: [], mlp: [] })).toBe('my-model-1-full.zip');
    expect(zipFileName('../..', { attn: [0], mlp: [] })).toBe('model-pruned-a0.zip');
    const many = zipFileName('m', { attn: Array.from({ length: 80 }, (_, i) => i), mlp: [] });
    expect(many.length).toBeLessThan(200);
    expect(many.endsWith('.zip')).toBe(true);
  });

  it('file groups and progress', () => {
    const g = fileGroups(preview());
    expect(g.map((x) => x.label)).toEqual([
      'onnx/model.onnx',
      'pruned checkpoint (safetensors)',
      'config, tokenizer, README',
    ]);
    expect(g[2].bytes).toBe(3000 + 800 + 1500);
    expect(progressFraction(null)).toBe(0);
    expect(progressFraction({ done: 5, total: 10 })).toBe(0.5);
    expect(progressFraction({ done: 11, total: 10 })).toBe(1);
    expect(progressFraction({ done: 1, total: 0 })).toBe(0);
  });
});

describe('generation helpers', () => {
  it('requests: greedy is temperature 0 and no top-k; numbers clamped', () => {
    const drop = { attn: [1], mlp: [] };
    expect(generateRequest('hi', drop, DEFAULT_SAMPLING)).toEqual({
      prompt: 'hi',
      drop,
      maxNewTokens: 64,
      temperature: 0,
      topK: 0,
      seed: 1,
    });
    const s = generateRequest('hi', drop, {
      mode: 'sample',
      temperature: 0,
      topK: -3,
      maxNewTokens: 10_000,
      seed: Number.NaN,
    });
    expect(s).toMatchObject({ temperature: 0.05, topK: 0, maxNewTokens: 512, seed: 1 });
    expect(generateRequest('hi', drop, { ...DEFAULT_SAMPLING, mode: 'sample', maxNewTokens: 0.2 }).maxNewTokens).toBe(
      1,
    );
  });

  it('agreement of two runs', () => {
    expect(commonPrefix([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(agreementText([1, 2], [1, 2])).toBe('Identical continuations (2 tokens).');
    expect(agreementText([1, 2], [3, 2])).toMatch(/first token/);
    expect(agreementText([1, 2, 3], [1, 5])).toBe('Same first 1 token, then they diverge.');
    expect(stopText({ stop: 'eos', ids: [1] })).toMatch(/end-of-text/);
    expect(stopText({ stop: 'length', ids: [1, 2] })).toBe('max tokens reached');
  });

  it('final streams come from the result, even when the last token events arrive after it', () => {
    const run = (ids: number[], stop: 'eos' | 'length' | 'cancelled') => ({
      ids,
      text: ids.join(''),
      stop,
      prefillMs: 1,
      decodeMs: 1,
      decodeTokensPerS: 1,
      cachedLayers: 2,
    });
    const late = { model: 'pruned' as const, ids: [1], text: '1', done: false, elapsedMs: 5, firstTokenMs: 2 };
    const f = finalStreams({ pruned: late }, { full: run([4, 5], 'eos'), pruned: run([1, 2], 'cancelled') });
    expect(f.pruned).toMatchObject({ ids: [1, 2], text: '12', done: true, stop: 'cancelled', firstTokenMs: 2 });
    expect(f.full).toMatchObject({ ids: [4, 5], done: true, stop: 'eos', elapsedMs: 0 });
  });

  it('the worker side: seeded sampler, continuation text, EOS ids, request checks, context tokens', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);

    // A byte-level decoder: a trailing partial UTF-8 character is held back while streaming.
    const bytes = (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids));
    const tok = { decode: bytes };
    const e = [...new TextEncoder().encode('é')];
    expect(continuationText(tok, [104, 105], [32, e[0]], true)).toBe(' ');
    expect(continuationText(tok, [104, 105], [32, e[0]], false)).toBe(' \uFFFD');
    expect(continuationText(tok, [104, 105], [32, ...e], true)).toBe(' é');
    expect(continuationText(tok, [104], [], true)).toBe('');
    // A decoder whose text of prompt+ids does not start with the prompt's: the continuation alone.
    expect(continuationText({ decode: (ids) => ids.join('|') }, [1], [2, 3], false)).toBe('|2|3');

    expect(eosIds({ eosTokenId: 5 }, { spec: { eosTokenId: 9 } as never })).toEqual([5]);
    expect(eosIds({ eosTokenId: null }, { spec: { eosTokenId: 9 } as never })).toEqual([9]);
    expect(eosIds({ eosTokenId: null }, { spec: { eosTokenId: null } as never })).toEqual([]);

    const req = { prompt: 'x', drop: { attn: [], mlp: [] }, maxNewTokens: 100, temperature: 0, topK: 0, seed: 1 };
    expect(checkGenerateRequest(req, 3, null).maxNewTokens).toBe(100);
    expect(checkGenerateRequest(req, 1000, 1024).maxNewTokens).toBe(24);
    expect(() => checkGenerateRequest(req, 0, null)).toThrow(/empty/);
    expect(() => checkGenerateRequest(req, 1024, 1024)).toThrow(/shorten/);

    expect(contextTokens([1, 2, 3], 7)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(() => contextTokens([], 2)).toThrow();
  });
});

describe('speed helpers', () => {
  const pt = (context: number, prefill: number, decode: number, kv: number): SpeedPoint => ({
    context,
    prefillTokensPerS: prefill,
    decodeTokensPerS: decode,
    prefillMs: (context / prefill) * 1000,
    decodeMsPerToken: 1000 / decode,
    kvCacheBytes: kv,
  });
  it('rows with pruned/full ratios', () => {
    const r: SpeedReport = {
      drop: { attn: [1, 2, 3], mlp: [] },
      full: [pt(32, 1000, 100, 4096), pt(128, 900, 80, 16384)],
      pruned: [pt(32, 1250, 125, 3072), pt(128, 1200, 110, 12288)],
      decodeSteps: 16,
      reps: 3,
      backend: 'wasm (2 threads)',
      format: 'fp32',
      cachedLayers: { full: 12, pruned: 9 },
      tokens: 'evaluation text',
      ms: 1000,
    };
    const rows = speedRows(r);
    expect(rows.map((x) => x.context)).toEqual([32, 128]);
    expect(rows[0].prefillRatio).toBeCloseTo(1.25);
    expect(rows[0].decodeRatio).toBeCloseTo(1.25);
    expect(rows[1].kvRatio).toBeCloseTo(0.75);
    expect(formatRatio(125, 100)).toBe('×1.25');
    expect(formatRatio(1, 0)).toBe('—');
  });
  it('context choices respect a learned-position limit', () => {
    expect(contextChoices(null, 16)).toEqual([32, 64, 128, 256, 512]);
    expect(contextChoices(256, 16)).toEqual([32, 64, 128]);
    expect(contextChoices(40, 16)).toEqual([24]);
  });
});

describe('panels in the workbench (server-rendered)', () => {
  it('render with the model loaded, without touching the worker', async () => {
    const store = createWorkbenchStore();
    let h = '';
    const controller = new WorkbenchController({
      store,
      engine: createFakeEngine(),
      init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
      fetchText: async (p) =>
        p.endsWith('manifest.json')
          ? JSON.stringify({ texts: [{ id: 'moby-dick-heldout', title: 'Moby-Dick', file: 'moby-dick-heldout.txt' }] })
          : 'Call me Ishmael. '.repeat(400),
      hash: { get: () => h, replace: (x) => (h = x), onChange: () => () => {} },
      saved: await openSavedExperiments(new IDBFactory()),
      writeDelayMs: 0,
    });
    await controller.start();
    await controller.idle();
    store.getInitialState = store.getState;
    const touched: string[] = [];
    const client = new Proxy({} as ExportClient, {
      get: (_t, k) => {
        touched.push(String(k));
        return () => Promise.reject(new Error('not in this test'));
      },
    });
    const html = renderToStaticMarkup(
      <WorkbenchProvider store={store} controller={controller}>
        <ExportClientProvider client={client}>
          <App />
        </ExportClientProvider>
      </WorkbenchProvider>,
    );
    for (const id of ['export-panel', 'generation-panel', 'speed-panel']) expect(html).toContain(`data-testid="${id}"`);
    for (const f of ['fp32', 'fp16', 'q8', 'q4']) expect(html).toContain(`data-format="${f}"`);
    expect(html).toContain('data-testid="export-start"');
    expect(html).toContain('data-testid="gen-start"');
    expect(html).toContain('data-testid="speed-start"');
    expect(html).toContain('Call me Ishmael. Some years ago');
    expect(touched).toEqual([]);
    controller.stop();
  });
});
