/**
 * The per-token view in Chromium on the bundled model: the tokens of window 0 as text, each with the
 * value the engine computes in Node; it follows heatmap clicks; hover and keyboard read values out; a
 * text full of markup stays text.
 */
import { expect, test } from '@playwright/test';
import { deflateSync } from 'fflate';
import { withNodeEngine } from './lab-support';
import { cell, currentPerplexity, link, watch } from './support';

async function shownTokens(page: import('@playwright/test').Page) {
  return page
    .locator('[data-testid="token-text"] .tok')
    .evaluateAll((els) => els.map((e) => ({ text: e.textContent ?? '', value: Number(e.getAttribute('data-value')) })));
}

test('per-token view: the tokens of window 0 with the values the engine computes; follows the heatmap; hover and keys', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 2 })}`);
  await currentPerplexity(page);
  const view = page.getByTestId('token-text');
  await expect(view).toBeVisible({ timeout: 120_000 });
  // The default sublayer: the least important attention layer of the full model.
  const attn = await page
    .locator('[data-testid="sublayer-heatmap"] [data-kind="attn"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  const least = attn.indexOf(Math.min(...attn));
  await expect(view).toHaveAttribute('data-sublayer', `attn${least}`);

  const ref = await withNodeEngine(64, 2, async (e) => [
    await e.tokenDelta('attn', least, { attn: [], mlp: [] }),
    await e.tokenDelta('mlp', 3, { attn: [], mlp: [3] }),
  ]);
  const check = async (r: (typeof ref)[number]) => {
    const shown = await shownTokens(page);
    expect(shown).toHaveLength(64);
    const visible = (t: string) => t.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍');
    expect(shown.map((s) => s.text)).toEqual(r.tokens.map(visible));
    for (let i = 0; i < 64; i++)
      expect(Math.abs(shown[i].value - r.delta[i])).toBeLessThan(1e-4 + 1e-2 * Math.abs(r.delta[i]));
  };
  await check(ref[0]);
  expect((await view.textContent())?.startsWith('CHAPTER 133.')).toBe(true);
  // Multi-byte characters: the em dash's first two bytes are empty cells, never U+FFFD (docs/VIEWS.md).
  expect(await view.textContent()).toContain('The Chase—First Day.');
  expect(await view.textContent()).not.toContain('\uFFFD');
  await expect(page.getByTestId('token-summary')).toContainText(`Attention ${least}`);
  await expect(page.getByTestId('token-summary')).toContainText('64 tokens');

  // A click on a heatmap cell drops it and shows it here: what it would do, dropped.
  await cell(page, 'mlp', 3).click();
  await expect(view).toHaveAttribute('data-sublayer', 'mlp3');
  await expect(page.getByTestId('token-summary')).toContainText('dropped: what it would do');
  await expect(page.locator('[data-chart="tokens"] .chart-body')).not.toHaveClass(/stale/, { timeout: 120_000 });
  await check(ref[1]);

  // Hover reads a value out; so does the keyboard (focus the text, arrow keys).
  await view.locator('.tok').nth(5).hover();
  await expect(page.getByTestId('token-readout')).toContainText('position 5');
  await view.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('token-readout')).toContainText('position 2');
  await expect(view).toHaveAttribute('aria-activedescendant', /-2$/);
  // The picker: previous sublayer (attention 3), next.
  await page.getByRole('button', { name: 'Previous sublayer' }).click();
  await expect(view).toHaveAttribute('data-sublayer', 'attn3', { timeout: 60_000 });
  await expect(page.getByTestId('token-kind')).toHaveValue('attn');
  await expect(page.getByTestId('token-layer')).toHaveValue('3');
  await page.locator('[data-chart="tokens"]').screenshot({ path: testInfo.outputPath('tokens-panel-1280.png') });
  expect(w.errors).toEqual([]);
});

test('per-token view: a text full of markup is shown as text, never as HTML', async ({ page }) => {
  test.setTimeout(240_000);
  const w = watch(page);
  const markup = '<img src=x onerror=alert(1)><b>bold</b><script>alert(2)</script> & &amp; '.repeat(6);
  const packed = Buffer.from(deflateSync(new TextEncoder().encode(markup))).toString('base64url');
  await page.goto(`/?backend=wasm#v1&m=b:droplab-byte-12l&t=p:${packed}&L=32&n=2`);
  const view = page.getByTestId('token-text');
  await expect(view).toBeVisible({ timeout: 180_000 });
  await expect(view.locator('.tok')).toHaveCount(32);
  expect(await view.textContent()).toBe(markup.slice(0, 32));
  await expect(
    page.locator('[data-chart="tokens"] img, [data-chart="tokens"] b, [data-chart="tokens"] script'),
  ).toHaveCount(0);
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
});
