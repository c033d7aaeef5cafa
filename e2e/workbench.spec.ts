/**
 * The workbench in Chromium, on the bundled model: first visit, click-to-drop with the perplexity the
 * engine computes in Node, share links through a reload, refused links, layouts at 1280 and 800 px.
 * Screenshots of the main views are kept under test-results/playwright/.
 */
import { expect, test } from '@playwright/test';
import { deflateSync } from 'fflate';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, droppedCells, link, metric, nodePerplexity, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test('first visit: the bundled model loads by default and both heatmaps appear', async ({ page }, testInfo) => {
  // The default experiment (8 windows of 256 tokens). On wasm: SwiftShader's software WebGPU needs minutes
  // for it on two cores (webgpu.spec.ts checks WebGPU on small windows).
  test.setTimeout(300_000);
  const w = watch(page);
  await page.addInitScript(() => {
    const tasks: { start: number; duration: number }[] = [];
    (window as unknown as { __longTasks: typeof tasks }).__longTasks = tasks;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('model-ready')).toContainText('12 layers', { timeout: 120_000 });
  const analysisStart = await page.evaluate(() => performance.now());
  await expect(page.getByTestId('model-summary')).toContainText('droplab-byte-12l (bundled)');
  await expect(page.getByTestId('token-info')).toContainText('8 × 256');
  await expect(page.locator('[data-testid="sublayer-heatmap"] [role="button"]')).toHaveCount(24, { timeout: 240_000 });
  await expect(page.getByTestId('similarity-heatmap')).toBeVisible();
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  expect(await page.locator('[data-testid="similarity-heatmap"] rect').count()).toBeGreaterThanOrEqual(13 * 13);
  const ppl = await currentPerplexity(page);
  expect(Math.abs(ppl / (await nodePerplexity({ attn: [], mlp: [] }, 256, 8)) - 1)).toBeLessThan(1e-4);
  expect(await page.getByTestId('ppl-baseline').textContent()).toBe(
    await page.getByTestId('ppl-current').textContent(),
  );
  await expect(page.getByTestId('measured').first()).toContainText('2,040 tokens · 8 × 256-token windows');
  // Every importance cell holds a number.
  const values = await page
    .locator('[data-testid="sublayer-heatmap"] [data-kind]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 2)).toBe(true);
  await expect(page).toHaveURL(/#v1&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&x=cos$/);
  // Main-thread long tasks while the worker analyses, recorded (the issue asks for them in a benchmark:
  // on a loaded 2-core machine their wall time says more about the machine than about the page).
  const longTasks = await page.evaluate(
    () => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks,
  );
  const during = longTasks.filter((t) => t.start >= analysisStart);
  testInfo.annotations.push({
    type: 'long tasks during analysis (ms)',
    description: JSON.stringify(during.map((t) => Math.round(t.duration))),
  });
  await page.screenshot({ path: testInfo.outputPath('first-visit-1280.png'), fullPage: true });
  expect(w.errors).toEqual([]);
});

test('a click drops a sublayer; the perplexity changes to the value the engine computes in Node', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 4 })}`);
  const before = await currentPerplexity(page);
  expect(before).toBeCloseTo(await nodePerplexity({ attn: [], mlp: [] }, 64, 4), 3);

  await cell(page, 'attn', 5).click();
  await expect(cell(page, 'attn', 5)).toHaveAttribute('aria-pressed', 'true');
  const after = await currentPerplexity(page, { not: before });
  const node = await nodePerplexity({ attn: [5], mlp: [] }, 64, 4);
  expect(Math.abs(after / node - 1)).toBeLessThan(1e-4);
  await expect(page.getByTestId('drops-line')).toContainText('attention 5');
  await expect(page).toHaveURL(/da=5&/);

  // A second drop through the keyboard: focus the cell, arrow to MLP 5, Enter.
  await cell(page, 'attn', 5).focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(cell(page, 'mlp', 5)).toHaveAttribute('aria-pressed', 'true');
  const both = await currentPerplexity(page, { not: after });
  expect(Math.abs(both / (await nodePerplexity({ attn: [5], mlp: [5] }, 64, 4)) - 1)).toBeLessThan(1e-4);
  await page.screenshot({ path: testInfo.outputPath('dropped-1280.png'), fullPage: true });

  // Undo / redo with the keyboard.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(cell(page, 'mlp', 5)).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => currentPerplexity(page)).toBeCloseTo(after, 6);
  await page.keyboard.press('Control+Shift+z');
  await expect(cell(page, 'mlp', 5)).toHaveAttribute('aria-pressed', 'true');
  expect(w.errors).toEqual([]);
});

test('the URL round-trips the experiment through a reload: same drops, same perplexity', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(`/?backend=wasm${link({ seqLen: 48, windows: 3 })}`);
  const base = await currentPerplexity(page);
  await cell(page, 'attn', 7).click();
  const one = await currentPerplexity(page, { not: base });
  await cell(page, 'mlp', 10).click();
  const two = await currentPerplexity(page, { not: one });
  await metric(page, 'Block').click();
  await expect(page).toHaveURL(/#v1&m=b:droplab-byte-12l&da=7&dm=10&t=b:moby-dick-heldout&L=48&n=3&x=block$/);
  const shown = await page.getByTestId('ppl-current').textContent();

  await page.reload();
  const again = await currentPerplexity(page);
  expect(Math.abs(again / two - 1)).toBeLessThan(1e-6);
  await expect(page.getByTestId('ppl-current')).toHaveText(shown ?? '');
  await expect(page.getByRole('radio', { name: 'Block' })).toBeChecked();
  await metric(page, 'LLM-Drop').click();
  expect((await droppedCells(page)).sort()).toEqual(['attn7', 'mlp10']);
  await expect(page.getByTestId('token-info')).toContainText('3 × 48');

  // A pasted link opens even when the page's own write of its hash (replaceState) lands before the
  // hashchange event is dispatched.
  const own = page.url().split('#')[1];
  await page.evaluate(
    ([pasted, mine]) => {
      window.location.hash = pasted;
      history.replaceState(null, '', `#${mine}`);
    },
    [link({ drops: { attn: [3], mlp: [] }, seqLen: 48, windows: 3 }), own],
  );
  await expect.poll(() => droppedCells(page), { timeout: 60_000 }).toEqual(['attn3']);
});

test('a damaged link shows the error, applies nothing, and the workbench still works', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  await page.goto('/?backend=wasm#v1&m=b:droplab-byte-12l&da=3,3&t=b:moby-dick-heldout&L=64&n=2');
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('This link could not be opened');
  await expect(notice).toContainText('strictly ascending');
  await expect(notice).toContainText('Nothing from it was applied');
  // The default experiment instead, untouched by the link.
  const ppl = await currentPerplexity(page, { timeout: 180_000 });
  await expect(page.getByTestId('token-info')).toContainText('8 × 256');
  expect(await droppedCells(page)).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('damaged-link-1280.png'), fullPage: false });
  await cell(page, 'attn', 9).click();
  await currentPerplexity(page, { not: ppl, timeout: 180_000 });
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toBeHidden();
  expect(w.errors).toEqual([]);
});

test('hostile and future-version links are refused as text, never injected', async ({ page }) => {
  test.setTimeout(240_000);
  const w = watch(page);
  const hostile = encodeURIComponent('<img src=x onerror=alert(1)>');
  await page.goto(`/?backend=wasm#v1&m=l:${hostile}&t=b:moby-dick-heldout&L=64&n=2`);
  await expect(page.getByTestId('notice')).toContainText('characters a name cannot have');
  await expect(page.locator('img')).toHaveCount(0);
  // A link from a newer DropLab, pasted into the address bar of the open page.
  await page.evaluate(() => {
    window.location.hash = '#v4&m=b:droplab-byte-12l&whatever=1';
  });
  await expect(page.getByTestId('notice')).toContainText('newer DropLab');
  // A pasted text full of markup is data: shown in the text box, never as HTML.
  const markup = '<img src=x onerror=alert(1)><script>alert(2)</script> '.repeat(4);
  const packed = Buffer.from(deflateSync(new TextEncoder().encode(markup))).toString('base64url');
  await page.evaluate((h) => {
    window.location.hash = h;
  }, `#v1&m=b:droplab-byte-12l&t=p:${packed}&L=16&n=2`);
  await expect(page.getByRole('textbox', { name: 'Pasted text' })).toHaveValue(markup, { timeout: 120_000 });
  await currentPerplexity(page, { timeout: 120_000 });
  await expect(page.getByTestId('token-info')).toContainText('2 × 16');
  await expect(page.locator('img')).toHaveCount(0);
  await expect(page.locator('script', { hasText: 'alert' })).toHaveCount(0);
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
});

test('layout: clear at 1280x800 and usable at 800 px wide', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.goto(`/?backend=wasm${link({ drops: { attn: [4, 8], mlp: [11] }, seqLen: 64, windows: 2 })}`);
  await currentPerplexity(page);
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('workbench-1280x800.png') });
  await page.setViewportSize({ width: 800, height: 1000 });
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
  await page.screenshot({ path: testInfo.outputPath('workbench-800.png'), fullPage: true });
  // Still usable: toggle a cell at this width.
  await cell(page, 'mlp', 11).click();
  await expect(cell(page, 'mlp', 11)).toHaveAttribute('aria-pressed', 'false');
});
