/**
 * Export, generation and speed panels in Chromium on the bundled model (wasm backend):
 *
 * - the zip download holds the transformers.js + LLM-Drop folder, every file byte for byte what the
 *   export API writes in Node for the same drops and formats (config.json drop lists, ONNX files,
 *   pruned checkpoint, tokenizer), with sane sizes;
 * - a cancelled export starts no download, and the next export works;
 * - every sublayer dropped: a clear message, no export;
 * - generation streams tokens for both models, and greedy decoding gives the tokens the export's
 *   decoding loop gives in Node (onnxruntime-node) for the same prompt, full and pruned;
 * - the speed panel shows prefill/decode tokens/s and the KV-cache bytes of both models.
 *
 * Screenshots at 1280 and 800 px go to test-results/playwright/.
 */
import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { ortNode } from '../src/cli/ort-node';
import { folderFiles } from '../src/cli/node-files';
import type { DropConfig, ExportFormat } from '../src/engine/api';
import {
  buildKvGraph,
  type ExportFile,
  exportFiles,
  fileBytes,
  greedyGenerate,
  KvDecoder,
  kvLayout,
  ONNX_FILE,
  onnxFiles,
} from '../src/engine/export';
import { loadModelFromFiles } from '../src/engine/model/load';
import { Tokenizer } from '../src/engine/tokenizer';
import { BUNDLED_DIR } from './hub-server';
import { BUNDLED, link, watch } from './support';

const DROP: DropConfig = { attn: [3, 5], mlp: [7] };
const NONE: DropConfig = { attn: [], mlp: [] };
const PROMPT = 'Call me Ishmael. Some years ago';

async function nodeModel() {
  const files = folderFiles(BUNDLED_DIR);
  const model = await loadModelFromFiles(files);
  const tokenizer = await Tokenizer.fromFiles(files, { eosTokenId: model.spec.eosTokenId });
  return { files, model, tokenizer };
}

/** The export API in Node: every file of the export, by path. */
async function nodeExport(drop: DropConfig, formats: ExportFormat[]): Promise<Record<string, Uint8Array>> {
  const { files, model } = await nodeModel();
  const out: Record<string, Uint8Array> = {};
  const it = exportFiles({ model, files }, { drop, formats, name: BUNDLED });
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    out[(r.value as ExportFile).path] = fileBytes(r.value as ExportFile);
  }
  return out;
}

/** Greedy tokens of the exported fp32 KV-cache graph with the export's decoding loop, on onnxruntime-node. */
async function nodeGreedy(drop: DropConfig, prompt: string, n: number): Promise<{ ids: number[]; text: string }> {
  const { model, tokenizer } = await nodeModel();
  const bytes = fileBytes(onnxFiles(buildKvGraph(model.spec, model.weights, drop, 'fp32'), ONNX_FILE.fp32).files[0]);
  const dec = await KvDecoder.create(ortNode, bytes, kvLayout(model.spec, drop), { executionProviders: ['cpu'] });
  try {
    const promptIds = tokenizer.encode(prompt);
    const eos = tokenizer.eosTokenId ?? model.spec.eosTokenId;
    const ids = await greedyGenerate(dec, promptIds, n, { eosTokenId: eos === null ? [] : [eos] });
    const text = tokenizer.decode([...promptIds, ...ids]).slice(tokenizer.decode(promptIds).length);
    return { ids, text };
  } finally {
    await dec.release();
  }
}

async function open(page: Page, drops: DropConfig, width = 1280) {
  await page.setViewportSize({ width, height: 800 });
  await page.goto(`/?backend=wasm${link({ drops, seqLen: 32, windows: 1 })}`);
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 120_000 });
}

async function setFormats(page: Page, formats: ExportFormat[]) {
  for (const f of ['fp32', 'fp16', 'q8', 'q4'] as const) {
    const box = page.locator(`[data-testid="export-panel"] label[data-format="${f}"] input`);
    if ((await box.isChecked()) !== formats.includes(f)) await box.click();
  }
}

test('export: the zip download is the export API output for the same drops, with the expected files', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await open(page, DROP);
  const panel = page.getByTestId('export-panel');
  await panel.scrollIntoViewIfNeeded();
  await setFormats(page, ['fp32', 'fp16', 'q8', 'q4']);
  // The size estimate, before anything is built.
  const estimate = page.getByTestId('export-estimate');
  await expect(estimate).toBeVisible();
  for (const f of ['fp32', 'fp16', 'q8', 'q4'])
    await expect(page.getByTestId(`export-size-${f}`)).toContainText(/≈ \d/);
  const estZip = Number(await estimate.getAttribute('data-zip'));
  expect(estZip).toBeGreaterThan(20e6);
  await expect(panel).toContainText('attention 3, 5 · MLP 7');
  expect(await page.getByTestId('export-notice').count()).toBe(0); // llama: LLM-Drop loads it; small: no external data
  await panel.screenshot({ path: testInfo.outputPath('export-panel-1280.png') });

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId('export-start').click(),
  ]);
  expect(download.suggestedFilename()).toBe('droplab-byte-12l-pruned-a3.5-m7.zip');
  const zipPath = testInfo.outputPath('export.zip');
  await download.saveAs(zipPath);
  await expect(page.getByTestId('export-status')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('export-status')).toContainText('droplab-byte-12l-pruned-a3.5-m7.zip');

  const zip = readFileSync(zipPath);
  expect(Math.abs(zip.byteLength / estZip - 1)).toBeLessThan(0.02);
  const files = unzipSync(new Uint8Array(zip));
  const names = Object.keys(files).sort();
  expect(names).toEqual(
    [
      'README.md',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'onnx/model_fp16.onnx',
      'onnx/model_q4.onnx',
      'onnx/model_quantized.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ].sort(),
  );
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  expect(config.drop_attn_list).toEqual([3, 5]);
  expect(config.drop_mlp_list).toEqual([7]);
  expect(config.auto_map).toBeDefined();
  expect(config.num_hidden_layers).toBe(12);
  // Sizes: the source checkpoint is 9.59 MB of float32; the pruned one lacks 2 attention and 1 MLP.
  const source = readFileSync(`${BUNDLED_DIR}/model.safetensors`).byteLength;
  const sizes = Object.fromEntries(names.map((n) => [n, files[n].byteLength]));
  testInfo.annotations.push({
    type: 'export sizes (bytes)',
    description: JSON.stringify({ zip: zip.byteLength, ...sizes }),
  });
  expect(sizes['model.safetensors']).toBeLessThan(source);
  expect(sizes['model.safetensors']).toBeGreaterThan(0.8 * source);
  expect(Math.abs(sizes['onnx/model.onnx'] / sizes['model.safetensors'] - 1)).toBeLessThan(0.05);
  expect(Math.abs(sizes['onnx/model_fp16.onnx'] / sizes['onnx/model.onnx'] - 0.5)).toBeLessThan(0.05);
  expect(sizes['onnx/model_quantized.onnx']).toBeLessThan(0.4 * sizes['onnx/model.onnx']);
  expect(sizes['onnx/model_q4.onnx']).toBeLessThan(sizes['onnx/model_quantized.onnx']);
  expect(files['tokenizer.json']).toEqual(new Uint8Array(readFileSync(`${BUNDLED_DIR}/tokenizer.json`)));

  // Byte for byte what the export API writes in Node.
  const ref = await nodeExport(DROP, ['fp32', 'fp16', 'q8', 'q4']);
  expect(Object.keys(ref).sort()).toEqual(names);
  for (const n of names) expect(Buffer.compare(Buffer.from(files[n]), Buffer.from(ref[n])), n).toBe(0);
  expect(w.errors).toEqual([]);
});

test('export: cancel leaves no download; every sublayer dropped is refused with the reason', async ({ page }) => {
  test.setTimeout(240_000);
  const w = watch(page);
  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await open(page, NONE);
  await page.getByTestId('export-panel').scrollIntoViewIfNeeded();
  await setFormats(page, ['fp32', 'fp16', 'q8', 'q4']);
  await expect(page.getByTestId('export-estimate')).toBeVisible();
  await page.getByTestId('export-start').click();
  await page.getByTestId('export-cancel').click();
  await expect(page.getByTestId('export-status')).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('export-status')).toContainText('nothing was downloaded');
  await page.waitForTimeout(2000);
  expect(downloads).toEqual([]);

  // The next export runs (the worker is not stuck).
  await setFormats(page, ['q4']);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByTestId('export-start').click(),
  ]);
  expect(download.suggestedFilename()).toBe('droplab-byte-12l-full.zip');
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  expect(Object.keys(files)).toContain('onnx/model_q4.onnx');
  expect(Object.keys(files)).not.toContain('onnx/model.onnx');

  // Everything dropped: the reason, and no way to start.
  const all = Array.from({ length: 12 }, (_, i) => i);
  await page.goto(`/?backend=wasm${link({ drops: { attn: all, mlp: all }, seqLen: 32, windows: 1 })}`);
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 120_000 });
  await expect(page.getByTestId('export-error')).toContainText('Keep at least one sublayer');
  await expect(page.getByTestId('export-error')).toHaveAttribute('data-code', 'EXPORT_INVALID');
  await expect(page.getByTestId('export-start')).toBeDisabled();
  expect(downloads).toHaveLength(1);
  expect(w.errors).toEqual([]);
});

test('generation: both models stream tokens; greedy tokens = the export decoding loop in Node', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await open(page, DROP);
  const panel = page.getByTestId('generation-panel');
  await panel.scrollIntoViewIfNeeded();
  await page.getByTestId('gen-prompt').fill(PROMPT);
  await page.getByTestId('gen-max').fill('48');
  // Record every token count each column shows, to see them stream.
  await page.evaluate(() => {
    const seen: Record<string, number[]> = { full: [], pruned: [] };
    (window as unknown as { __genSeen: typeof seen }).__genSeen = seen;
    for (const m of ['full', 'pruned']) {
      const el = document.querySelector(`[data-testid="gen-${m}"]`)!;
      new MutationObserver(() => seen[m].push(Number(el.getAttribute('data-tokens')))).observe(el, {
        attributes: true,
        attributeFilter: ['data-tokens'],
      });
    }
  });
  await page.getByTestId('gen-start').click();
  for (const m of ['full', 'pruned'])
    await expect(page.getByTestId(`gen-${m}`)).toHaveAttribute('data-ids', /\d/, { timeout: 120_000 });
  const seen = await page.evaluate(() => (window as unknown as { __genSeen: Record<string, number[]> }).__genSeen);
  for (const m of ['full', 'pruned'])
    expect(new Set(seen[m].filter((n) => n > 0)).size, `${m} streamed`).toBeGreaterThanOrEqual(3);

  const ids = async (m: string) =>
    (await page.getByTestId(`gen-${m}`).getAttribute('data-ids'))!.split(',').map(Number);
  const full = await nodeGreedy(NONE, PROMPT, 48);
  const pruned = await nodeGreedy(DROP, PROMPT, 48);
  expect(await ids('full')).toEqual(full.ids);
  expect(await ids('pruned')).toEqual(pruned.ids);
  await expect(page.getByTestId('gen-full-text')).toHaveText(full.text);
  await expect(page.getByTestId('gen-pruned-text')).toHaveText(pruned.text);
  await expect(page.getByTestId('gen-summary')).toContainText('fp32 graph on wasm');
  testInfo.annotations.push({ type: 'greedy', description: JSON.stringify({ full: full.text, pruned: pruned.text }) });
  await panel.screenshot({ path: testInfo.outputPath('generation-1280.png') });

  // Sampling, then Stop: both columns end, the rest of the page keeps working.
  await panel.getByText('Sample', { exact: true }).click();
  await page.getByTestId('gen-max').fill('400');
  await page.getByTestId('gen-start').click();
  await expect(page.getByTestId('gen-full')).not.toHaveAttribute('data-tokens', '0');
  await page.getByTestId('gen-stop').click();
  await expect(page.getByTestId('gen-start')).toBeVisible({ timeout: 60_000 });
  for (const m of ['full', 'pruned']) await expect(page.getByTestId(`gen-${m}`)).toHaveAttribute('data-done', 'true');
  expect(w.errors).toEqual([]);
});

test('speed: prefill and decode tokens/s and KV-cache bytes for full and pruned; layouts at 1280 and 800 px', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await open(page, DROP);
  const panel = page.getByTestId('speed-panel');
  await panel.scrollIntoViewIfNeeded();
  await page.getByTestId('speed-start').click();
  await expect(page.getByTestId('speed-table')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('speed-start')).toBeVisible({ timeout: 180_000 });
  const rows = page.locator('[data-testid="speed-table"] tbody tr');
  await expect(rows).toHaveCount(2);
  const figures: Record<string, Record<string, number>> = {};
  for (const ctx of [32, 128]) {
    const row = page.locator(`[data-testid="speed-table"] tbody tr[data-context="${ctx}"]`);
    const v = async (id: string) => Number(await row.getByTestId(id).getAttribute('data-value'));
    const f: Record<string, number> = {};
    for (const id of ['prefill-full', 'prefill-pruned', 'decode-full', 'decode-pruned', 'kv-full', 'kv-pruned'])
      f[id] = await v(`speed-${id}`);
    figures[ctx] = f;
    for (const id of ['prefill-full', 'prefill-pruned', 'decode-full', 'decode-pruned'])
      expect(f[id], `${id} @ ${ctx}`).toBeGreaterThan(0);
    // float32 keys and values: 2 x kept attention layers x 2 KV heads x 32 dims x 4 bytes per token.
    expect(f['kv-full']).toBe(2 * 12 * 2 * 32 * 4 * ctx);
    expect(f['kv-pruned']).toBe(2 * 10 * 2 * 32 * 4 * ctx);
  }
  testInfo.annotations.push({ type: 'speed (tokens/s, bytes)', description: JSON.stringify(figures) });
  await expect(page.getByTestId('speed-note')).toContainText('wasm');
  await expect(page.getByTestId('speed-note')).toContainText('median of 5 runs');
  await panel.screenshot({ path: testInfo.outputPath('speed-1280.png') });
  await page.screenshot({ path: testInfo.outputPath('use-panels-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 800, height: 800 });
  await page.getByTestId('export-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('use-panels-800.png'), fullPage: true });
  // Nothing wider than the page at 800 px.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  expect(w.errors).toEqual([]);
});

test('generation on WebGPU (SwiftShader): the KV cache stays on the device; greedy tokens = Node', async ({ page }) => {
  // The software adapter is slow (PLATFORM.md): few tokens, tiny windows for the analysis beside it.
  test.setTimeout(420_000);
  const w = watch(page);
  await page.goto(`/?backend=webgpu${link({ drops: DROP, seqLen: 8, windows: 1 })}`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu', { timeout: 120_000 });
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 300_000 });
  await page.getByTestId('generation-panel').scrollIntoViewIfNeeded();
  await page.getByTestId('gen-prompt').fill(PROMPT);
  await page.getByTestId('gen-max').fill('8');
  await page.getByTestId('gen-start').click();
  for (const m of ['full', 'pruned'])
    await expect(page.getByTestId(`gen-${m}`)).toHaveAttribute('data-ids', /\d/, { timeout: 360_000 });
  const ids = async (m: string) =>
    (await page.getByTestId(`gen-${m}`).getAttribute('data-ids'))!.split(',').map(Number);
  expect(await ids('full')).toEqual((await nodeGreedy(NONE, PROMPT, 8)).ids);
  expect(await ids('pruned')).toEqual((await nodeGreedy(DROP, PROMPT, 8)).ids);
  await expect(page.getByTestId('gen-summary')).toContainText('fp32 graph on WebGPU');
  expect(w.errors).toEqual([]);
});

test('export: GPTQ q4 calibrated on the current text; q4 and fp32 held-out perplexity shown, q4 >= fp32', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await open(page, NONE); // moby-dick-heldout, windows of 32 tokens
  const panel = page.getByTestId('export-panel');
  await panel.scrollIntoViewIfNeeded();
  await setFormats(page, ['q4']);
  await page.getByTestId('export-quant-gptq').check();
  await page.getByTestId('export-calib-windows').fill('4');
  await page.getByTestId('export-heldout-windows').fill('8');
  const estimate = page.getByTestId('export-q4-estimate');
  await expect(estimate).toContainText('windows 1–4');
  await expect(estimate).toContainText('windows 5–12');
  expect(Number(await estimate.getAttribute('data-quantize-ms'))).toBeGreaterThan(0);

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 180_000 }),
    page.getByTestId('export-start').click(),
  ]);
  expect(download.suggestedFilename()).toBe('droplab-byte-12l-full.zip');
  const result = page.getByTestId('export-q4-result');
  await expect(result).toContainText('GPTQ, block 32, calibrated on 4 windows');
  const q4 = Number(await page.getByTestId('export-ppl-q4').getAttribute('data-value'));
  const fp32 = Number(await page.getByTestId('export-ppl-fp32').getAttribute('data-value'));
  expect(fp32).toBeGreaterThan(1);
  expect(q4).toBeGreaterThanOrEqual(fp32);
  expect(q4 / fp32 - 1).toBeLessThan(0.05);
  expect(w.errors).toEqual([]);
});
