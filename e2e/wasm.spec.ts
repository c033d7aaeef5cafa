/**
 * The wasm fallback when the browser gives no WebGPU adapter (Chromium without --enable-unsafe-webgpu):
 * the badge says why, and the workbench runs on onnxruntime-web's wasm with the engine's numbers.
 */
import { expect, test } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, link, nodePerplexity, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test.use({
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--disable-quic',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  },
});

test('wasm fallback with WebGPU unavailable: badge with the reason, same perplexity as in Node', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await page.goto(`/${link({ seqLen: 64, windows: 4 })}`);
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  // Plain words on the badge, the engine's exact reason in its title.
  await expect(badge).toContainText(/Runs on the CPU · \d+ threads? · no usable GPU in this browser/);
  await expect(badge).toHaveAttribute('title', /no navigator\.gpu|no adapter|requestAdapter/);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const ppl = await currentPerplexity(page, { timeout: 180_000 });
  expect(Math.abs(ppl / (await nodePerplexity({ attn: [], mlp: [] }, 64, 4)) - 1)).toBeLessThan(1e-4);
  await cell(page, 'attn', 11).click();
  const after = await currentPerplexity(page, { not: ppl });
  expect(Math.abs(after / (await nodePerplexity({ attn: [11], mlp: [] }, 64, 4)) - 1)).toBeLessThan(1e-4);
  await page.screenshot({ path: testInfo.outputPath('wasm-fallback-1280.png'), fullPage: true });
  expect(w.errors).toEqual([]);
});
