/** Helpers shared by the browser tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { nodeEngine } from '../src/cli/ort-node';
import { folderFiles } from '../src/cli/node-files';
import type { DropConfig } from '../src/engine/api';
import { BUNDLED_DIR } from './hub-server';

export const ROOT = join(import.meta.dirname, '..');
export const BUNDLED = 'droplab-byte-12l';

/** A share link for the bundled model (small windows keep the tests quick). */
export function link(
  o: { drops?: DropConfig; seqLen?: number; windows?: number; text?: string; model?: string; metric?: string } = {},
): string {
  const d = o.drops ?? { attn: [], mlp: [] };
  const parts = ['v1', `m=${o.model ?? `b:${BUNDLED}`}`];
  if (d.attn.length) parts.push(`da=${d.attn.join(',')}`);
  if (d.mlp.length) parts.push(`dm=${d.mlp.join(',')}`);
  parts.push(
    `t=${o.text ?? 'b:moby-dick-heldout'}`,
    `L=${o.seqLen ?? 64}`,
    `n=${o.windows ?? 2}`,
    `x=${o.metric ?? 'cos'}`,
  );
  return `#${parts.join('&')}`;
}

export function cell(page: Page, kind: 'attn' | 'mlp' | 'block', layer: number): Locator {
  return page.locator(`[data-testid="sublayer-heatmap"] [data-kind="${kind}"][data-layer="${layer}"]`);
}

/** The heatmap metric switch's option (a label around a visually hidden radio button). */
export function metric(page: Page, name: 'LLM-Drop' | 'No norm' | 'Block' | 'Drop-one ΔNLL'): Locator {
  return page.locator('fieldset.segmented label').filter({ hasText: new RegExp(`^${name}$`) });
}

/** Waits until the current perplexity is shown (optionally: a value other than `not`) and returns it. */
export async function currentPerplexity(page: Page, opts: { not?: number; timeout?: number } = {}): Promise<number> {
  const el = page.getByTestId('ppl-current');
  await expect
    .poll(
      async () => {
        const v = Number((await el.getAttribute('data-value')) || Number.NaN);
        return Number.isFinite(v) && v !== opts.not;
      },
      { timeout: opts.timeout ?? 120_000, intervals: [200, 500, 1000] },
    )
    .toBe(true);
  return Number(await el.getAttribute('data-value'));
}

/** The engine in Node (onnxruntime-node) on the bundled model: the reference for the page's numbers. */
export async function nodePerplexity(
  drop: DropConfig,
  seqLen: number,
  windows: number,
  textFile = 'moby-dick-heldout.txt',
): Promise<number> {
  const engine = nodeEngine();
  try {
    await engine.loadModel({ kind: 'bundled', name: BUNDLED }, folderFiles(BUNDLED_DIR));
    await engine.setText(readFileSync(join(ROOT, 'public', 'data', textFile), 'utf8'), { seqLen, windows });
    return (await engine.evaluate(drop)).perplexity;
  } finally {
    await engine.dispose();
  }
}

/** Collects page errors and dialogs (a hostile link must never open one). */
export function watch(page: Page): { errors: string[]; dialogs: string[] } {
  const w = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  return w;
}

export async function droppedCells(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="sublayer-heatmap"] [aria-pressed="true"]')
    .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}${e.getAttribute('data-layer')}`));
}
