/**
 * The Hugging Face Hub path, against a local stand-in (e2e/hub-server.ts) in the Hub's URL layout:
 * download with byte and file progress, clear errors for a private repository and an unsupported
 * family (refused before any weight is downloaded), the weights kept in the OPFS, and an offline second
 * visit from the cache.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { type HubServer, startHubServer } from './hub-server';
import { currentPerplexity, link, nodePerplexity, watch } from './support';

let hub: HubServer;

test.beforeAll(async () => {
  hub = await startHubServer({ chunkDelayMs: 120 });
});

test.afterAll(async () => {
  await hub?.close();
});

test('loads a Hub model with progress, refuses private and unsupported repos, and loads offline the second time', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const w = watch(page);
  const url = `/?backend=wasm&hub=${encodeURIComponent(hub.url)}${link({ model: 'h:tiny/model', seqLen: 32, windows: 2 })}`;
  await page.goto(url);
  // A link that names a Hub model says what it will download, and waits: only the config was read.
  await expect(page.getByTestId('notice')).toContainText('This link downloads a model from the Hugging Face Hub');
  await expect(page.getByTestId('notice')).toContainText('It opens tiny/model:');
  expect(hub.log.filter((l) => /^GET .*(\.safetensors$|tokenizer)/.test(l))).toEqual([]); // the shard index and a HEAD gave the size
  await page.getByTestId('notice-download').click();

  // Size known before the download, then byte and file progress.
  await expect(page.getByTestId('model-estimate')).toContainText('parameters');
  await expect(page.getByTestId('progress-bytes')).toBeVisible();
  await expect(page.getByTestId('progress-files')).toContainText(/file \d of 3/);
  await page.screenshot({ path: testInfo.outputPath('hub-progress.png') });
  await expect(page.getByTestId('model-ready')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('model-summary')).toContainText('tiny/model');
  const ppl = await currentPerplexity(page);
  if (hub.modelFrom === 'bundled')
    expect(Math.abs(ppl / (await nodePerplexity({ attn: [], mlp: [] }, 32, 2)) - 1)).toBeLessThan(1e-4);
  expect(hub.log).toContain('GET /tiny/model/resolve/main/config.json');
  expect(hub.log).toContain('GET /tiny/model/resolve/main/tokenizer.json');
  expect(hub.log).toContain('GET /tiny/model/resolve/main/model.safetensors');
  await expect(page).toHaveURL(/m=h:tiny\/model&/);
  // The weights went to a file in the Origin Private File System (workers/weight-store.ts); the Cache API
  // holds an empty marker with the file's size for them, not the file (issue 13).
  const kept = await page.evaluate(async (weightsUrl) => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('droplab-hub-weights-v1');
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    const hit = await (await caches.open('droplab-hub-v1')).match(weightsUrl);
    return {
      names,
      marker: hit?.headers.get('x-droplab-stored'),
      body: hit ? (await hit.arrayBuffer()).byteLength : -1,
    };
  }, `${hub.url}/tiny/model/resolve/main/model.safetensors`);
  expect(kept.names).toHaveLength(1);
  expect(kept.body).toBe(0);
  expect(Number(kept.marker)).toBeGreaterThan(100_000);

  // A private (or missing) repository.
  await page.getByRole('tab', { name: 'Hub' }).click();
  const id = page.getByRole('textbox', { name: 'Model id' });
  // The id field is wide enough for a long id; a model page address is read as the id.
  await id.fill('HuggingFaceTB/SmolLM2-135M');
  expect(await id.evaluate((e: HTMLInputElement) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await id.fill(`${hub.url}/private/model/tree/main`);
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(id).toHaveValue('private/model');
  await expect(page.getByTestId('model-error')).toContainText('private or gated, or it does not exist');

  // One current error per panel: a local folder without config.json replaces the Hub error on screen.
  await page.getByRole('tab', { name: 'Local folder' }).click();
  const folder = testInfo.outputPath('not-a-model');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'notes.txt'), 'no config.json here');
  await page.getByTestId('folder-input').setInputFiles(folder);
  await expect(page.getByTestId('model-panel').locator('.inline-error')).toContainText('has no config.json');
  await expect(page.getByTestId('model-error')).toHaveCount(0);
  await page.getByRole('tab', { name: 'Hub' }).click();

  // An unsupported family: refused from config.json, before anything else of the repository is requested.
  await id.fill('unsupported/bert');
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('model-error')).toContainText(/bert/i);
  const asked = hub.log.filter((l) => l.includes('/unsupported/bert/')).map((l) => l.split('/').pop());
  expect(asked).toContain('config.json');
  expect(asked.filter((f) => /safetensors$|^tokenizer/.test(f ?? ''))).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('hub-error.png') });

  // Second visit with the Hub unreachable: everything comes from the Cache API.
  await hub.close();
  await page.goto('about:blank');
  await page.goto(url);
  await expect(page.getByTestId('model-ready')).toContainText('from the cache', { timeout: 120_000 });
  expect(Math.abs((await currentPerplexity(page)) / ppl - 1)).toBeLessThan(1e-9);
  expect(w.errors).toEqual([]);
  hub = await startHubServer(); // for afterAll
});
