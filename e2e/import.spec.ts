/**
 * Import results (issue 15) in the browser: a DropLab results file written by the CLI, LLM-Drop's two
 * .pt similarity files (written by real PyTorch) with the model's config.json, and an LLM-Drop pruned
 * config.json. Results show without loading their model, travel in the share link to a fresh browser,
 * and a bad file leaves the experiment as it was, saying why.
 */
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { droppedCells, link, ROOT, watch } from './support';

const FIX = join(ROOT, 'tests/fixtures');
const input = (page: import('@playwright/test').Page) => page.getByTestId('import-input');

test.beforeEach(async ({ page }) => {
  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 2 })}`);
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 120_000 });
});

test('a results file: shown without the model, picked drops in the link, reopened in a fresh browser', async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await input(page).setInputFiles(join(FIX, 'import/droplab-byte-12l.results.json'));
  const panel = page.getByTestId('imported-panel');
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('data-layers', '12');
  await expect(page.getByText('Imported results: droplab-byte-12l')).toBeVisible();
  await expect(page.locator('[data-testid="imported-heatmap"] [data-kind="attn"]')).toHaveCount(12);
  // LLM-Drop's one-shot plan on the imported scores.
  await page.getByTestId('imported-plan-n').fill('3');
  await page.getByTestId('imported-plan').click();
  await expect(page.getByTestId('imported-selection')).toContainText(/attention \d+, \d+, \d+; MLP none/);
  await expect(page.locator('[data-testid="imported-heatmap"] [aria-pressed="true"]')).toHaveCount(3);
  // Same depth as the loaded model: the picked drops apply to it with one click.
  await page.getByTestId('imported-apply').click();
  await expect.poll(() => droppedCells(page)).toHaveLength(3);
  await expect.poll(() => page.evaluate(() => window.location.hash)).toMatch(/^#v3&.*&r=/);

  const url = page.url();
  const fresh = await browser.newPage();
  await fresh.goto(url);
  await expect(fresh.getByTestId('imported-panel')).toHaveAttribute('data-layers', '12', { timeout: 120_000 });
  await expect(fresh.getByTestId('imported-selection')).toHaveText(
    (await page.getByTestId('imported-selection').textContent()) ?? '',
  );
  await fresh.close();
  expect(w.errors).toEqual([]);
});

test("LLM-Drop's .pt files with config.json: scores, the drop it recorded, the cost; close", async ({ page }) => {
  await input(page).setInputFiles([
    join(FIX, 'torch-pt/llama_all_attn_similarities.pt'),
    join(FIX, 'torch-pt/llama_all_mlp_similarities.pt'),
    join(FIX, 'import/model-config.json'),
  ]);
  await expect(page.getByTestId('imported-panel')).toBeVisible();
  await expect(page.getByText(/from LLM-Drop's similarity caches/)).toBeVisible();
  // Layer 3's attention was -inf in the file: dropped before LLM-Drop measured.
  await expect(page.getByTestId('imported-selection')).toContainText('attention 3; MLP none');
  await expect(page.getByTestId('imported-cost')).toContainText('Parameters removed');
  await page.getByTestId('imported-close').click();
  await expect(page.getByTestId('imported-panel')).toHaveCount(0);
});

test('a pruned config.json applies its drops; a truncated .pt is refused and changes nothing', async ({ page }) => {
  await input(page).setInputFiles(join(FIX, 'import/llmdrop-pruned-config.json'));
  await expect(page.getByTestId('import-status')).toContainText('attention 3, 5; MLP 7');
  await expect.poll(() => droppedCells(page)).toEqual(expect.arrayContaining(['attn3', 'attn5', 'mlp7']));
  const before = await page.evaluate(() => window.location.hash);

  await input(page).setInputFiles(join(FIX, 'torch-pt/truncated_mlp.pt'));
  await expect(page.getByTestId('import-error')).toContainText(
    'truncated_mlp.pt is a damaged or truncated zip archive',
  );
  await expect(page.getByTestId('imported-panel')).toHaveCount(0);
  expect(await page.evaluate(() => window.location.hash)).toBe(before);
});
