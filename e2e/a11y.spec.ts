/**
 * Accessibility in Chromium on the bundled model, once the analysis shows: axe-core (WCAG 2.x A/AA rules)
 * finds no serious or critical violation, in the normal and the classroom layout; every matrix cell
 * (similarity, angular distance) is reachable by keyboard with its value as its name; heatmap cell text
 * reaches 4.5:1 against its cell; the focus ring of a dark cell is visible.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, link } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

async function axe(page: Page, name: string, testInfo: import('@playwright/test').TestInfo) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const summary = r.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    nodes: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }));
  testInfo.annotations.push({ type: `axe ${name}`, description: JSON.stringify(summary) });
  await testInfo.attach(`axe-${name}.json`, {
    body: JSON.stringify(r.violations, null, 2),
    contentType: 'application/json',
  });
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.length} × ${v.nodes[0]?.target.join(' ')}`);
}

/** WCAG relative luminance of an `rgb(r, g, b)` string. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((x) => Number(x) / 255);
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

test('axe finds no serious or critical violation; matrix cells by keyboard; cell contrast and focus ring', async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await page.goto(`/?backend=wasm${link({ drops: { attn: [4], mlp: [] }, seqLen: 64, windows: 2 })}`);
  await currentPerplexity(page);
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();
  await expect(page.getByTestId('task-status')).toHaveAttribute('data-task', 'idle', { timeout: 120_000 });

  expect(await axe(page, 'workbench', testInfo)).toEqual([]);

  // Heatmap cell text: at least 4.5:1 against its own cell.
  const pairs = await page.locator('[data-testid="sublayer-heatmap"] .cell').evaluateAll((els) =>
    els
      .map((g) => ({ text: g.querySelector('.cell-value'), rect: g.querySelector('.cell-rect') }))
      .filter((p) => p.text && p.rect)
      .map((p) => ({ fg: getComputedStyle(p.text as Element).fill, bg: getComputedStyle(p.rect as Element).fill })),
  );
  expect(pairs.length).toBeGreaterThan(10);
  for (const p of pairs) expect(contrast(p.fg, p.bg), `${p.fg} on ${p.bg}`).toBeGreaterThanOrEqual(4.5);

  // The focus ring of the darkest cell: a light and a dark ring, so one of them stands out on any colour.
  const darkest = await page.locator('[data-testid="sublayer-heatmap"] .cell:not(.dropped)').evaluateAll((els) => {
    let best = { kind: '', layer: '', v: Number.POSITIVE_INFINITY };
    for (const g of els) {
      const v = Number(g.getAttribute('data-value'));
      if (Number.isFinite(v) && v < best.v)
        best = { kind: g.getAttribute('data-kind') ?? '', layer: g.getAttribute('data-layer') ?? '', v };
    }
    return best;
  });
  const dark = cell(page, darkest.kind as 'attn', Number(darkest.layer));
  await dark.focus();
  await expect(dark).toBeFocused();
  const rings = await dark.locator('.cell-focus').evaluateAll((els) => els.map((e) => getComputedStyle(e).stroke));
  const bg = await dark.locator('.cell-rect').evaluate((e) => getComputedStyle(e).fill);
  expect(Math.max(...rings.map((s) => contrast(s, bg)))).toBeGreaterThanOrEqual(3);
  expect(Math.max(...rings.map((s) => contrast(s, 'rgb(255, 255, 255)')))).toBeGreaterThanOrEqual(3);

  // The dropped cell's name says "dropped" once.
  const droppedName = (await cell(page, 'attn', 4).getAttribute('aria-label')) ?? '';
  expect(droppedName.match(/dropped/g)).toHaveLength(1);

  // Every similarity and angular cell by keyboard: one tab stop per matrix, arrow keys move, the name holds the value.
  for (const id of ['similarity', 'angular'] as const) {
    const grid = page.getByTestId(`${id}-heatmap`);
    const cells = grid.locator('[role="gridcell"]');
    const n = await cells.count();
    expect(n).toBeGreaterThanOrEqual(12 * 12);
    expect(await grid.locator('[tabindex="0"]').count()).toBe(1);
    await grid.locator('[tabindex="0"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const focused = page.locator(`[data-testid="${id}-heatmap"] :focus`);
    await expect(focused).toHaveAttribute('data-row', '1');
    await expect(focused).toHaveAttribute('data-col', '1');
    const name = (await focused.getAttribute('aria-label')) ?? '';
    expect(name).toMatch(id === 'similarity' ? /^cos\(x1, x1\) = 1(\.0+)?$/ : /^layers 1\.\.2 \(l=1, n=2\): d = \d/);
    await page.keyboard.press('End');
    await expect(focused).toHaveAttribute(
      'data-col',
      String((await grid.locator('[role="row"]').first().locator('[role="gridcell"]').count()) - 1),
    );
    // The readout under the matrix follows the keyboard too.
    await expect(grid.locator('xpath=..').locator('.readout')).toHaveText(
      (await focused.getAttribute('aria-label')) ?? '',
    );
  }
  await page.screenshot({ path: testInfo.outputPath('a11y-focus-1280.png') });

  // Classroom layout (large type, fewer panels).
  await page.getByTestId('classroom-toggle').click();
  await expect(page.locator('html')).toHaveClass(/classroom/);
  expect(await axe(page, 'classroom', testInfo)).toEqual([]);
});
