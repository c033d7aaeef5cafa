/**
 * WebGPU (SwiftShader's software adapter without a GPU): the same numbers as the engine in Node. Small
 * windows: the software adapter is correct but slow (PLATFORM.md).
 */
import { expect, test } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, link, nodePerplexity, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test('WebGPU: heatmaps and perplexity match the engine in Node, before and after a drop', async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  const w = watch(page);
  await page.goto(`/?backend=webgpu${link({ seqLen: 32, windows: 2 })}`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu');
  const before = await currentPerplexity(page, { timeout: 300_000 });
  expect(Math.abs(before / (await nodePerplexity({ attn: [], mlp: [] }, 32, 2)) - 1)).toBeLessThan(1e-3);
  await expect(page.locator('[data-testid="sublayer-heatmap"] [role="button"]')).toHaveCount(24, { timeout: 300_000 });
  await expect(page.getByTestId('similarity-heatmap')).toBeVisible();
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  await cell(page, 'mlp', 3).click();
  const after = await currentPerplexity(page, { not: before, timeout: 300_000 });
  expect(Math.abs(after / (await nodePerplexity({ attn: [], mlp: [3] }, 32, 2)) - 1)).toBeLessThan(1e-3);
  await page.screenshot({ path: testInfo.outputPath('webgpu-1280.png'), fullPage: true });
  expect(w.errors).toEqual([]);
});
