/** The wasm fallback: with WebGPU switched off (?backend=wasm), the workbench runs on onnxruntime-web's wasm. */
import { expect, test } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { currentPerplexity, nodePerplexity, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test('wasm fallback: badge with the reason, bundled model by default, same perplexity as in Node', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await page.goto('/?backend=wasm');
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  await expect(badge).toContainText('switched off by ?backend=wasm');
  await expect(badge).toContainText(/\d+ threads?/);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const ppl = await currentPerplexity(page, { timeout: 180_000 });
  const node = await nodePerplexity({ attn: [], mlp: [] }, 256, 8);
  expect(Math.abs(ppl / node - 1)).toBeLessThan(1e-4);
  await expect(page.getByTestId('sublayer-heatmap')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('wasm-1280.png'), fullPage: true });
  expect(w.errors).toEqual([]);
});
