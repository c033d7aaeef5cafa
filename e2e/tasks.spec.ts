/**
 * Task accuracy beside perplexity (issue 14) in Chromium on the bundled model and the offline task (its
 * first 12 items, so it stays quick): acc and acc_norm of the baseline and of the current drops equal the
 * engine's in Node, a toggle scores the new configuration, the item view shows the items that flip, and
 * the link carries the task and reopens it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { TaskResult } from '../src/engine/api';
import { taskFlips } from '../src/engine/tasks/flips';
import { parseTaskJsonl } from '../src/engine/tasks/jsonl';
import { download, exportButton, withNodeEngine } from './lab-support';
import { cell, currentPerplexity, link, ROOT, watch } from './support';

const N = 12;
const DROP = { attn: [] as number[], mlp: [0] };
const pct = (x: number) => `${(100 * x).toFixed(1)}% ± ${(100 * Math.sqrt((x * (1 - x)) / (N - 1))).toFixed(1)}`;

test('tasks: accuracy vs baseline equal to Node, a toggle rescored, flips shown, the link reopens the task', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const w = watch(page);
  const items = parseTaskJsonl(
    readFileSync(join(ROOT, 'public', 'tasks', 'word-completion.jsonl'), 'utf8'),
    'word-completion',
  );
  const ref = await withNodeEngine(64, 2, async (e) => ({
    base: await e.scoreTask(items, { attn: [], mlp: [] }, { limit: N }),
    drop: await e.scoreTask(items, DROP, { limit: N }),
  }));
  const flips = taskFlips(ref.base as TaskResult, ref.drop as TaskResult);
  // The drop must move something on these items, or the test could not see a toggle.
  expect(flips.lost.length + flips.gained.length).toBeGreaterThan(0);

  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 2 })}`);
  await currentPerplexity(page);
  const panel = page.locator('[data-chart="tasks"]');
  await panel.getByText('first N').click();
  await page.getByTestId('task-limit').fill(String(N));
  await page.getByTestId('task-score').click();
  await expect(page.getByTestId('task-acc-base')).toHaveText(pct(ref.base.acc), { timeout: 120_000 });
  await expect(page.getByTestId('task-acc-current')).toHaveText(pct(ref.base.acc));
  await expect(page.getByTestId('task-status-line')).toContainText(`first ${N} of 300 items`);
  await expect(page.getByTestId('task-bars')).toBeVisible();

  // A toggle: the current configuration is scored (the baseline stays).
  await cell(page, 'mlp', 0).click();
  await expect(page.getByTestId('task-acc-current')).toHaveText(pct(ref.drop.acc), { timeout: 120_000 });
  await expect(page.getByTestId('task-acc-norm-current')).toHaveText(pct(ref.drop.accNorm!));
  await expect(page.getByTestId('task-acc-base')).toHaveText(pct(ref.base.acc));

  // The item view: the flipped items, and one item's context, choices and log-likelihoods.
  await expect(page.getByTestId('task-flips')).toContainText(
    `${flips.lost.length} item${flips.lost.length === 1 ? '' : 's'} right at baseline and wrong now, ${flips.gained.length} wrong`,
  );
  const flipped = page.locator('[data-testid="task-items"] [data-flip]');
  await expect(flipped).toHaveCount(flips.lost.length + flips.gained.length);
  const first = [...flips.lost, ...flips.gained].sort((a, b) => a - b)[0];
  await page.getByTestId(`task-item-${first}`).click();
  const detail = page.getByTestId('task-item-detail');
  await expect(detail).toContainText(items.items[first].context.slice(0, 30));
  await expect(detail).toContainText(ref.drop.items.find((x) => x.index === first)!.loglik[0].toFixed(3));

  await panel.screenshot({ path: testInfo.outputPath('tasks-panel.png') });

  // Accessible (axe, WCAG 2.x A/AA: no serious or critical violation in the task panels).
  const axe = await new AxeBuilder({ page })
    .include('[data-chart="tasks"]')
    .include('[data-chart="accuracy-curves"]')
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

  // Chart export: the JSON holds both results' numbers and the flips.
  const json = JSON.parse((await download(page, exportButton(page, 'tasks', 'json'))).bytes.toString('utf8'));
  expect(json.chart).toBe('tasks');
  expect(json.baseline.acc).toBeCloseTo(ref.base.acc, 12);
  expect(json.current.acc).toBeCloseTo(ref.drop.acc, 12);
  expect(json.current.drop).toEqual(DROP);
  expect(json.flips).toEqual(flips);
  const svg = await download(page, exportButton(page, 'tasks', 'svg'));
  expect(svg.name).toMatch(/task-accuracy\.svg$/);
  expect(svg.bytes.toString('utf8')).toContain('<svg');

  // The link carries the task; opening it in a fresh page scores it again without a click.
  await expect.poll(() => page.evaluate(() => location.hash)).toContain(`k=o&kl=${N}`);
  const url = page.url();
  const again = await page.context().newPage();
  await again.goto(url);
  await expect(again.getByTestId('task-acc-current')).toHaveText(pct(ref.drop.acc), { timeout: 120_000 });
  await expect(again.getByTestId('task-acc-base')).toHaveText(pct(ref.base.acc));
  expect(w.errors).toEqual([]);
});

test('accuracy curves: with a task chosen, every one-shot point of the curves is scored, equal to Node', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const w = watch(page);
  const items = parseTaskJsonl(
    readFileSync(join(ROOT, 'public', 'tasks', 'word-completion.jsonl'), 'utf8'),
    'word-completion',
  );
  const K = 8;
  const targets = [
    ['attn', 2],
    ['mlp', 2],
    ['block', 1],
    ['joint', 2],
  ] as const;
  const ref = await withNodeEngine(64, 2, async (e) => {
    const out: Record<string, number[]> = {};
    for (const [target, n] of targets) {
      const chosen = (await e.plan({ target, n, iterative: false })).steps[0].chosen;
      out[target] = [];
      for (let k = 0; k <= n; k++) {
        const d = { attn: [] as number[], mlp: [] as number[] };
        for (const c of chosen.slice(0, k)) {
          if (c.kind !== 'mlp') d.attn.push(c.layer);
          if (c.kind !== 'attn') d.mlp.push(c.layer);
        }
        d.attn.sort((a, b) => a - b);
        d.mlp.sort((a, b) => a - b);
        out[target].push((await e.scoreTask(items, d, { limit: K })).acc);
      }
    }
    return out;
  });
  // The task comes in with the link (v3 fields k, kl).
  await page.goto(`/?backend=wasm${link({ seqLen: 64, windows: 2 }).replace('#v1', '#v3')}&k=o&kl=${K}`);
  await currentPerplexity(page);
  await expect(page.getByTestId('task-acc-base')).toContainText('%', { timeout: 120_000 });
  await expect(page.locator('[data-chart="accuracy-curves"]')).toContainText('Compute the perplexity curves');
  await page.getByTestId('curves-max').selectOption('2');
  await page.getByTestId('curves-compute').click();
  await expect(page.getByTestId('curves-status')).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  for (const [s, n] of targets)
    for (let k = 0; k <= n; k++) {
      const dot = page.getByTestId(`accuracy-point-${s}-${k}`);
      await expect(dot).toHaveCount(1);
      expect(Number(await dot.getAttribute('data-acc')), `${s} n=${k}`).toBeCloseTo(ref[s][k], 12);
    }
  await page.locator('[data-chart="accuracy-curves"]').screenshot({ path: testInfo.outputPath('accuracy-curves.png') });
  expect(w.errors).toEqual([]);
});
