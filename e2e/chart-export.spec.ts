/**
 * Chart export in Chromium: every heatmap and curve as PNG (signature, size) and SVG (a well-formed
 * standalone document with the chart), and its numbers as CSV and JSON equal to what the page shows.
 */
import { writeFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { parseCsv } from '../src/app/chart-export/csv';
import { download, exportButton, heatmapValues, pngSize } from './lab-support';
import { currentPerplexity, link, watch } from './support';

async function checkPicture(page: Page, chart: string, title: string, keep: (name: string, bytes: Buffer) => void) {
  const png = await download(page, exportButton(page, chart, 'png'));
  keep(png.name, png.bytes);
  expect(png.name).toMatch(/^droplab-byte-12l_.+\.png$/);
  const size = pngSize(png.bytes);
  expect(size.width).toBeGreaterThan(400);
  expect(size.height).toBeGreaterThan(150);
  const svg = await download(page, exportButton(page, chart, 'svg'));
  expect(svg.name).toMatch(/\.svg$/);
  keep(svg.name, svg.bytes);
  const text = svg.bytes.toString('utf8');
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  // Well-formed, an <svg> root, the title and the chart's own picture inside, styles inlined (no classes).
  const parsed = await page.evaluate((s) => {
    const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
    return {
      root: doc.documentElement.nodeName,
      errors: doc.getElementsByTagName('parsererror').length,
      nested: doc.documentElement.getElementsByTagName('svg').length,
      texts: Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent ?? ''),
      classes: doc.querySelectorAll('[class]').length,
      width: Number(doc.documentElement.getAttribute('width')),
    };
  }, text);
  expect(parsed).toMatchObject({ root: 'svg', errors: 0, classes: 0 });
  expect(parsed.nested).toBeGreaterThanOrEqual(1);
  expect(parsed.texts[0]).toContain(title);
  expect(parsed.texts.some((t) => t.includes('DropLab · droplab-byte-12l'))).toBe(true);
  // The PNG is the SVG drawn at twice its size.
  expect(size.width).toBe(2 * parsed.width);
  return parsed;
}

async function numbers(page: Page, chart: string) {
  const csv = parseCsv((await download(page, exportButton(page, chart, 'csv'))).bytes.toString('utf8'));
  const json = JSON.parse((await download(page, exportButton(page, chart, 'json'))).bytes.toString('utf8'));
  expect(json).toMatchObject({
    droplab: 1,
    chart,
    model: 'droplab-byte-12l',
    seqLen: 64,
    windows: 2,
    predictedTokens: 126,
  });
  return { csv, json };
}

test('every chart downloads as PNG, SVG, CSV and JSON with the numbers the page shows', async ({ page }, testInfo) => {
  test.setTimeout(360_000);
  const w = watch(page);
  // The downloaded pictures are kept with the test's artifacts.
  const keep = (name: string, bytes: Buffer) => writeFileSync(testInfo.outputPath(name), bytes);
  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 2, drops: { attn: [3], mlp: [] } })}`);
  await currentPerplexity(page);
  await expect(page.locator('[data-chart="sublayers"] .chart-body.stale')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('angular-heatmap')).toBeVisible();

  // Sublayer heatmap.
  const sub = await checkPicture(page, 'sublayers', 'Sublayer importance: LLM-Drop importance', keep);
  expect(sub.texts).toContain('Attention');
  const s = await numbers(page, 'sublayers');
  expect(s.csv[0]).toEqual(['layer', 'attention', 'attention_dropped', 'mlp', 'mlp_dropped']);
  expect(s.csv).toHaveLength(13);
  const attn = await heatmapValues(page, 'attn');
  const mlp = await heatmapValues(page, 'mlp');
  s.csv.slice(1).forEach((r, l) => {
    expect(r[0]).toBe(String(l));
    expect(r[1] === '' ? null : Number(r[1])).toEqual(attn[l]);
    expect(r[2]).toBe(l === 3 ? 'true' : 'false');
    expect(Number(r[3])).toBe(mlp[l]);
  });
  expect(s.json.drops).toEqual({ attn: [3], mlp: [] });
  expect(s.json.values.attn).toEqual(attn);
  expect(s.json.metric).toBe('cosine');

  // Similarity (13 x 13) and angular distance (12 x 12).
  await checkPicture(page, 'similarity', 'Layer similarity', keep);
  const sim = await numbers(page, 'similarity');
  expect(sim.csv).toHaveLength(14);
  expect(sim.csv[0].slice(1)).toEqual(Array.from({ length: 13 }, (_, i) => String(i)));
  for (let i = 0; i < 13; i++) expect(Number(sim.csv[1 + i][1 + i])).toBeCloseTo(1, 4);
  expect(sim.json.values[2][5]).toBe(Number(sim.csv[3][6]));
  await checkPicture(page, 'angular', 'Angular distance', keep);
  const ang = await numbers(page, 'angular');
  expect(ang.csv).toHaveLength(13);
  expect(ang.csv[12][2]).toBe(''); // l = 11, n = 2: past the last layer
  expect(ang.json.values[11][1]).toBeNull();

  // Per-token view.
  await expect(page.getByTestId('token-text')).toBeVisible({ timeout: 120_000 });
  await checkPicture(page, 'tokens', 'Per-token change', keep);
  const tok = await numbers(page, 'tokens');
  expect(tok.csv[0]).toEqual(['position', 'token', 'delta']);
  expect(tok.csv).toHaveLength(65);
  expect(tok.json.tokens).toHaveLength(64);
  expect(tok.json.tokens.join('').startsWith('CHAPTER 133.')).toBe(true);
  const shownValues = await page
    .locator('[data-testid="token-text"] .tok')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  expect(tok.json.delta).toEqual(shownValues);
  expect(tok.csv.slice(1).map((r) => Number(r[2]))).toEqual(shownValues);

  // Curves (computed first; export is off until there is something to export).
  await expect(exportButton(page, 'curves', 'csv')).toBeDisabled();
  await page.getByTestId('curves-max').selectOption('2');
  await page.getByTestId('curves-compute').click();
  await expect(page.getByTestId('curves-status')).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  const cur = await checkPicture(page, 'curves', 'Perplexity vs. sublayers dropped', keep);
  for (const label of ['Attention drop', 'MLP drop', 'Block drop', 'Joint drop', 'current configuration'])
    expect(cur.texts).toContain(label);
  const c = await numbers(page, 'curves');
  expect(c.csv[0]).toEqual([
    'strategy',
    'n',
    'sublayers_dropped',
    'params_removed_pct',
    'perplexity',
    'mean_nll',
    'change_pct',
    'tokens',
    'drop_attn',
    'drop_mlp',
  ]);
  // n = 0..2 for attention, MLP and joint; 0..1 for blocks.
  expect(c.csv.slice(1).map((r) => `${r[0]}${r[1]}`)).toEqual([
    'attn0',
    'attn1',
    'attn2',
    'mlp0',
    'mlp1',
    'mlp2',
    'block0',
    'block1',
    'joint0',
    'joint1',
    'joint2',
  ]);
  const dotValues = await page
    .locator('[data-testid="curves-chart"] .curve-dot')
    .evaluateAll((els) =>
      els.map(
        (e) =>
          `${e.getAttribute('data-strategy')}${e.getAttribute('data-n')}=${Number(e.getAttribute('data-perplexity'))}`,
      ),
    );
  expect(
    c.csv
      .slice(1)
      .map((r) => `${r[0]}${r[1]}=${Number(r[4])}`)
      .sort(),
  ).toEqual(dotValues.sort());
  expect(c.json.series).toHaveLength(4);
  expect(c.json.current).toMatchObject({ sublayers: 1 });
  expect(c.json.series[2].points[1].drop.attn).toEqual(c.json.series[2].points[1].drop.mlp);
  await page.locator('[data-chart="curves"]').screenshot({ path: testInfo.outputPath('curves-export-panel.png') });
  expect(w.errors).toEqual([]);
});
