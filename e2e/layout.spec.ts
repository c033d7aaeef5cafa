/**
 * Responsive layout in Chromium on the bundled model, with screenshots kept under
 * test-results/playwright/ (look at them): a phone (390x844, touch), a laptop (1280x800) and a projector
 * (1920x1080, classroom mode and the tour). Checked: nothing scrolls sideways from 360 px up, the key
 * controls lie inside the viewport, on a phone the results come before the (folded) setup and the hints
 * say "Tap", and on a wide screen the column, the heatmap and its type grow.
 */
import { expect, type Locator, type Page, test } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, link } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

const URL = `/?backend=wasm${link({ drops: { attn: [4, 8], mlp: [11] }, seqLen: 64, windows: 2 })}`;

async function noSideScroll(page: Page): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  // innerWidth too: a mobile browser zooms out (innerWidth grows) rather than scroll when the page is too wide.
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
  }));
  expect(inner, `the viewport is ${inner} px wide, not ${width}`).toBe(width);
  expect(scroll, `page is ${scroll} px wide in a ${width} px viewport`).toBeLessThanOrEqual(width);
}

/** Every element of `loc` lies inside the viewport horizontally (and is rendered). */
async function insideX(page: Page, loc: Locator, what: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  const boxes = await loc.evaluateAll((els) =>
    els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, w: r.width })),
  );
  expect(boxes.length, what).toBeGreaterThan(0);
  for (const b of boxes) {
    expect(b.w, `${what} is rendered`).toBeGreaterThan(0);
    expect(b.left, `${what} left edge`).toBeGreaterThanOrEqual(0);
    expect(b.right, `${what} right edge`).toBeLessThanOrEqual(width + 0.5);
  }
}

/** Waits until a (smooth) scroll has come to rest: the same scroll position on consecutive polls. */
async function settled(page: Page): Promise<void> {
  let last = -1;
  await expect
    .poll(
      async () => {
        const y = await page.evaluate(() => window.scrollY);
        const same = y === last;
        last = y;
        return same;
      },
      { intervals: [150] },
    )
    .toBe(true);
}

async function box(loc: Locator) {
  const b = await loc.boundingBox();
  if (!b) throw new Error('not rendered');
  return b;
}

/** The rendered size (CSS px) of the heatmap cells' numbers: font size × the SVG's scale. */
function cellFontPx(page: Page): Promise<number> {
  return page
    .locator('[data-testid="sublayer-heatmap"] .cell-value')
    .first()
    .evaluate((t) => {
      const m = (t as SVGGraphicsElement).getScreenCTM();
      return Number.parseFloat(getComputedStyle(t).fontSize) * (m?.a ?? 1);
    });
}

test('phone, 390x844 touch: no sideways scroll, results first, setup folded, "Tap" hints, tour in reach', async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  await page.goto(URL);
  await currentPerplexity(page);
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  await expect(cell(page, 'attn', 0)).toHaveAttribute('data-value', /\d/);
  await page.screenshot({ path: testInfo.outputPath('phone-390x844.png') });
  await page.screenshot({ path: testInfo.outputPath('phone-390x844-full.png'), fullPage: true });

  await noSideScroll(page);
  await insideX(
    page,
    page.locator('.app-header h1, [data-testid="backend"], [data-testid="classroom-toggle"]'),
    'header',
  );
  await insideX(page, page.locator('[data-chart="sublayers"] fieldset.segmented label'), 'metric switch');
  await insideX(page, page.locator('[data-chart="sublayers"] .export-group button'), 'export buttons');
  await insideX(page, page.locator('[data-testid="sublayer-heatmap"]'), 'heatmap');
  // The title does not overlap the backend badge.
  const h1 = await box(page.locator('.app-header h1'));
  const badge = await box(page.getByTestId('backend'));
  const apart = h1.x + h1.width <= badge.x || badge.y >= h1.y + h1.height || badge.y + badge.height <= h1.y;
  expect(apart, `title ${JSON.stringify(h1)} and badge ${JSON.stringify(badge)} overlap`).toBe(true);

  // Results first: the perplexity and the heatmap above the setup, which is folded; its summary opens it.
  const fold = page.getByTestId('setup-fold');
  expect(await fold.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
  await expect(page.getByTestId('model-panel')).toBeHidden();
  const ppl = await box(page.getByTestId('perplexity-panel'));
  const heat = await box(page.locator('[data-chart="sublayers"]'));
  const setup = await box(fold);
  expect(ppl.y).toBeLessThan(setup.y);
  expect(heat.y + heat.height).toBeLessThanOrEqual(setup.y);
  expect(ppl.y).toBeLessThan(844); // the perplexity starts on the first screen
  await page.locator('.setup-summary').tap();
  await expect(page.getByTestId('model-panel')).toBeVisible();
  await noSideScroll(page);

  // Touch wording; a tap drops a sublayer and the readout names it.
  await expect(page.getByTestId('heatmap-readout')).toContainText('Tap a cell');
  await expect(page.locator('.matrix-heatmap .readout').first()).toContainText('Tap a cell');
  await cell(page, 'mlp', 2).tap();
  await expect(cell(page, 'mlp', 2)).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('heatmap-readout')).toContainText('MLP 2 · dropped (tap to restore)');

  // Classroom and the tour on the phone: the card's buttons are on screen.
  await page.getByTestId('classroom-toggle').tap();
  await expect(page.locator('html')).toHaveClass(/classroom/);
  await page.getByTestId('tour-start').tap();
  await expect(page.getByTestId('tour')).toBeVisible();
  await settled(page);
  await noSideScroll(page);
  await insideX(page, page.locator('[data-testid="tour-next"], [data-testid="tour"]'), 'tour card and Next');
  const next = await box(page.getByTestId('tour-next'));
  expect(next.y + next.height).toBeLessThanOrEqual(844);
  await page.screenshot({ path: testInfo.outputPath('phone-390x844-tour.png') });

  // 360 px (the tour closed, classroom off): still no sideways scroll.
  await page.getByTestId('tour-close').tap();
  await page.getByTestId('classroom-toggle').tap();
  await expect(page.locator('html')).not.toHaveClass(/classroom/);
  await page.setViewportSize({ width: 360, height: 740 });
  await expect.poll(() => page.evaluate(() => document.documentElement.clientWidth)).toBe(360);
  await noSideScroll(page);
  await insideX(page, page.locator('[data-chart="sublayers"] fieldset.segmented label'), 'metric switch at 360');
  await page.screenshot({ path: testInfo.outputPath('phone-360x740.png') });
  await context.close();
});

test('laptop 1280x800 and projector 1920x1080: side by side, then the column, heatmap and type grow (classroom, tour)', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(URL);
  await currentPerplexity(page);
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  await expect(cell(page, 'attn', 0)).toHaveAttribute('data-value', /\d/);
  await page.screenshot({ path: testInfo.outputPath('laptop-1280x800.png') });

  await noSideScroll(page);
  await insideX(
    page,
    page.locator('.app-header h1, [data-testid="backend"], [data-testid="classroom-toggle"]'),
    'header',
  );
  await insideX(
    page,
    page.locator('[data-chart="sublayers"] fieldset.segmented label, [data-chart="sublayers"] .export-group button'),
    'heatmap actions',
  );
  // Setup beside the results, open, with no summary line.
  const side = await box(page.getByTestId('model-panel'));
  const ppl = await box(page.getByTestId('perplexity-panel'));
  expect(side.x + side.width).toBeLessThan(ppl.x);
  await expect(page.locator('.setup-summary')).toBeHidden();
  const font1280 = await cellFontPx(page);
  expect(font1280).toBeGreaterThanOrEqual(11);

  // 1920x1080: the column and the heatmap use the width.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await expect.poll(() => page.evaluate(() => window.innerWidth)).toBe(1920);
  await noSideScroll(page);
  expect((await box(page.locator('.workbench'))).width).toBeGreaterThan(1800);
  expect(await cellFontPx(page)).toBeGreaterThan(font1280);
  await page.screenshot({ path: testInfo.outputPath('wide-1920x1080.png') });

  // Classroom at 1920: larger type, the heatmap fills the column, its numbers readable from the back row.
  await page.getByTestId('classroom-toggle').click();
  await expect(page.locator('html')).toHaveClass(/classroom/);
  const rootPx = Number.parseFloat(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize));
  expect(rootPx).toBeGreaterThanOrEqual(20);
  const classroomFont = await cellFontPx(page);
  expect(classroomFont).toBeGreaterThanOrEqual(24);
  const heatW = (await box(page.getByTestId('sublayer-heatmap'))).width;
  expect(heatW).toBeGreaterThan(1400);
  await noSideScroll(page);
  await page.locator('[data-chart="sublayers"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('classroom-1920x1080.png') });

  // The tour: the page makes room; the heatmap, its legend and the legend's first tick stay clear of the card.
  await page.getByTestId('tour-start').click();
  const tour = await box(page.getByTestId('tour'));
  await expect(page.locator('[data-chart="sublayers"]')).toHaveClass(/tour-target/);
  await settled(page); // the smooth scroll to the tour's target
  const frame = await box(page.locator('[data-chart="sublayers"]'));
  expect(frame.x + frame.width).toBeLessThanOrEqual(tour.x);
  const ticks = page.locator('[data-chart="sublayers"] .color-scale .tick');
  const first = await box(ticks.first());
  const last = await box(ticks.last());
  expect(first.x).toBeGreaterThanOrEqual(frame.x);
  expect(last.x + last.width).toBeLessThanOrEqual(frame.x + frame.width);
  expect(await cellFontPx(page)).toBeGreaterThanOrEqual(18);
  await noSideScroll(page);
  await page.screenshot({ path: testInfo.outputPath('classroom-tour-1920x1080.png') });

  // Back at 1280 in classroom mode: the cell numbers are smaller than at 1920 (they grow with the viewport).
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect.poll(() => page.evaluate(() => window.innerWidth)).toBe(1280);
  expect(await cellFontPx(page)).toBeLessThan(classroomFont);
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize)).toBe('17px');
  await noSideScroll(page);
  await page.screenshot({ path: testInfo.outputPath('classroom-1280x800.png') });
});
