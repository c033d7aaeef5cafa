/** Helpers for the per-token, curves, classroom and chart-export browser tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { folderFiles } from '../src/cli/node-files';
import { nodeEngine } from '../src/cli/ort-node';
import type { Engine } from '../src/engine/engine';
import { BUNDLED_DIR } from './hub-server';
import { BUNDLED, ROOT } from './support';

/** The engine in Node on the bundled model and a bundled text: the reference for the page's numbers. */
export async function withNodeEngine<T>(
  seqLen: number,
  windows: number,
  fn: (e: Engine) => Promise<T>,
  text = 'moby-dick-heldout.txt',
): Promise<T> {
  const engine = nodeEngine();
  try {
    await engine.loadModel({ kind: 'bundled', name: BUNDLED }, folderFiles(BUNDLED_DIR));
    await engine.setText(readFileSync(join(ROOT, 'public', 'data', text), 'utf8'), { seqLen, windows });
    return await fn(engine);
  } finally {
    await engine.dispose();
  }
}

/** Clicks `button` and returns the download's suggested name and bytes. */
export async function download(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

export function exportButton(page: Page, chart: string, format: 'png' | 'svg' | 'csv' | 'json'): Locator {
  return page.locator(`[data-testid="export-${chart}"] button[data-format="${format}"]`);
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(b: Buffer): { width: number; height: number } {
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The importance values the sublayer heatmap shows, by kind (null where dropped). */
export async function heatmapValues(page: Page, kind: 'attn' | 'mlp'): Promise<(number | null)[]> {
  return page
    .locator(`[data-testid="sublayer-heatmap"] [data-kind="${kind}"]`)
    .evaluateAll((els) => els.map((e) => (e.getAttribute('data-value') ? Number(e.getAttribute('data-value')) : null)));
}

/** Layers of the n smallest values (ties to the lower layer), sorted. */
export function lowest(values: (number | null)[], n: number): number[] {
  return values
    .map((v, l) => ({ v, l }))
    .filter((x): x is { v: number; l: number } => x.v !== null)
    .sort((a, b) => a.v - b.v || a.l - b.l)
    .slice(0, n)
    .map((x) => x.l)
    .sort((a, b) => a - b);
}
