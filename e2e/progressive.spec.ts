/**
 * Progressive results in the page (issue 13 item 6; docs/PROGRESSIVE.md): at the workbench's default 8
 * windows of 256 tokens, a toggle shows an estimate after its first window, paired with the result before
 * it, under "Current" (recorded by a MutationObserver, so no timing is assumed), and the estimate gives way
 * to the value once every window is done.
 */
import { expect, test } from '@playwright/test';
import { cell, currentPerplexity, link } from './support';

test('a toggle shows the paired estimate from 1 of 8 windows, then the value', async ({ page }) => {
  await page.goto(`/?backend=wasm${link({ seqLen: 256, windows: 8 })}`);
  const base = await currentPerplexity(page);
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="ppl-estimate"]');
      if (el && seen[seen.length - 1] !== el.textContent) seen.push(el.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  // Attention 5, clicked as soon as the baseline shows: the drop-one pass that starts then has not reached it.
  await cell(page, 'attn', 5).click();
  const cur = await currentPerplexity(page, { not: base });
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen[0]).toMatch(/^≈ \d+\.\d+ from 1 of 8 windows, paired with nothing dropped$/);
  const first = Number(seen[0].match(/≈ ([\d.]+)/)?.[1]);
  expect(Math.abs(Math.log(first / cur))).toBeLessThan(0.25); // within a quarter nat of the value
  await expect(page.getByTestId('ppl-estimate')).toHaveCount(0);
});
