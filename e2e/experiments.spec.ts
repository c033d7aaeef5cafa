/**
 * Local model folders, quick plans, saved experiments (IndexedDB) and the autosave, in Chromium.
 */
import { expect, test } from '@playwright/test';
import { BUNDLED_DIR, bundledModelExists } from './hub-server';
import { currentPerplexity, droppedCells, link, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test('a local model folder loads, and a local-folder link asks for its folder before applying', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm${link({ seqLen: 32, windows: 2 })}`);
  const bundled = await currentPerplexity(page);
  await page.getByRole('tab', { name: 'Local folder' }).click();
  await page.getByTestId('folder-input').setInputFiles(BUNDLED_DIR);
  await expect(page.getByTestId('model-summary')).toContainText('droplab-byte-12l (local folder)', {
    timeout: 120_000,
  });
  // Same weights, same text and windows: the same perplexity.
  await expect
    .poll(async () => Math.abs((await currentPerplexity(page)) / bundled - 1), { timeout: 120_000 })
    .toBeLessThan(1e-9);
  await page.locator('[data-testid="sublayer-heatmap"] [data-kind="attn"][data-layer="2"]').click();
  await expect(page).toHaveURL(/m=l:droplab-byte-12l&da=2&/);

  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('Pick the model folder');
  await page.screenshot({ path: testInfo.outputPath('local-folder-link.png') });
  await page.getByRole('tab', { name: 'Local folder' }).click();
  await page.getByTestId('folder-input').setInputFiles(BUNDLED_DIR);
  await expect(page.getByTestId('model-summary')).toContainText('(local folder)', { timeout: 120_000 });
  await expect.poll(() => droppedCells(page), { timeout: 120_000 }).toEqual(['attn2']);
  await expect(page.getByTestId('notice')).toBeHidden();
  expect(w.errors).toEqual([]);
});

test('drag and drop: model files dropped on the drop zone load; a drop without config.json is refused with a clear message', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm${link({ seqLen: 32, windows: 2 })}`);
  const bundled = await currentPerplexity(page);
  await page.getByRole('tab', { name: 'Local folder' }).click();
  // A real drop event carrying the files (what the browser delivers for files dragged from a file manager).
  const drop = async (names: string[]) => {
    const dataTransfer = await page.evaluateHandle(async (files) => {
      const dt = new DataTransfer();
      for (const n of files) {
        const r = await fetch(`/models/droplab-byte-12l/${n}`);
        dt.items.add(new File([await r.blob()], n));
      }
      return dt;
    }, names);
    await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer });
    await expect(page.getByTestId('drop-zone')).toHaveClass(/over/);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
  };
  await drop(['tokenizer.json', 'model.safetensors']);
  await expect(page.locator('.local-picker .inline-error')).toContainText('has no config.json');
  await expect(page.getByTestId('model-summary')).toContainText('droplab-byte-12l (bundled)');
  await drop([
    'config.json',
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'model.safetensors',
    'README.md',
  ]);
  await expect(page.getByTestId('model-summary')).toContainText('(local folder)', { timeout: 120_000 });
  await expect(page.locator('.local-picker .inline-error')).toHaveCount(0);
  // The same weights and text: the same perplexity.
  await expect
    .poll(async () => Math.abs((await currentPerplexity(page)) / bundled - 1), { timeout: 120_000 })
    .toBeLessThan(1e-9);
  expect(w.errors).toEqual([]);
});

test('quick plan, saved experiments and the autosave', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm${link({ seqLen: 32, windows: 2 })}`);
  const base = await currentPerplexity(page);
  // The full model's attention importance (the scores a one-shot plan ranks by).
  const importance = await page
    .locator('[data-testid="sublayer-heatmap"] [data-kind="attn"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  const plan = page.getByTestId('plan-form');
  await plan.getByRole('spinbutton', { name: 'How many' }).fill('3');
  await plan.getByRole('combobox', { name: 'Which sublayers' }).selectOption('attn');
  await plan.getByRole('button', { name: 'Apply plan' }).click();
  await expect.poll(async () => (await droppedCells(page)).length, { timeout: 120_000 }).toBe(3);
  const planned = await droppedCells(page);
  expect(planned.every((c) => c.startsWith('attn'))).toBe(true);
  // Quick plan lists what it chose, least important first, with the score each was chosen on.
  const chosen = await page
    .getByTestId('plan-choices')
    .locator('li')
    .evaluateAll((els) =>
      els.map((e) => ({ layer: Number(e.getAttribute('data-layer')), score: Number(e.getAttribute('data-score')) })),
    );
  const lowest = importance
    .map((v, layer) => ({ v, layer }))
    .sort((a, b) => a.v - b.v || a.layer - b.layer)
    .slice(0, 3);
  expect(chosen.map((c) => c.layer)).toEqual(lowest.map((x) => x.layer));
  for (const c of chosen) expect(Math.abs(c.score - importance[c.layer])).toBeLessThan(1e-9);
  await expect(page.getByTestId('plan-choices')).toContainText('Last plan: 3 attention one-shot');
  await currentPerplexity(page, { not: base });

  await page.getByRole('textbox', { name: 'Experiment name' }).fill('three attention layers');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('saved-list')).toContainText('three attention layers');
  await page.getByTestId('restore-all').click();
  await expect.poll(() => droppedCells(page)).toEqual([]);
  await page
    .getByTestId('saved-list')
    .getByRole('button', { name: /^three attention layers/ })
    .click();
  await expect.poll(() => droppedCells(page)).toEqual(planned);
  await page.screenshot({ path: testInfo.outputPath('saved-experiments.png') });

  // A visit without a hash reopens the autosaved experiment.
  await page.waitForTimeout(500);
  await page.goto('about:blank');
  await page.goto('/?backend=wasm');
  await expect.poll(() => droppedCells(page), { timeout: 120_000 }).toEqual(planned);
  await expect(page.getByTestId('token-info')).toContainText('2 × 32');
  await expect(page.getByTestId('saved-list')).toContainText('three attention layers');
  expect(w.errors).toEqual([]);
});
