/**
 * Issue 9, items 8 and 9, in Chromium with no hook in the app:
 * - the engine worker dies: an exception nothing in it catches (thrown inside the worker from the test),
 *   or the worker closing itself while idle, found by the heartbeat of the next call (the page's clock is
 *   Playwright's, run forward past the 60 s the watchdog allows). Either way the page says so with the
 *   lost-device notice, the experiment stays in the URL, and Reload brings it back on a fresh worker.
 * - a refused link: the address bar returns to the experiment on screen, so a reload shows it.
 */
import { expect, type Page, test, type Worker } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { cell, currentPerplexity, droppedCells, link, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

function engineWorker(page: Page): () => Worker {
  const workers: Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  return () => {
    const w = workers.filter((x) => x.url().includes('engine.worker')).at(-1);
    expect(w, 'the engine worker').toBeTruthy();
    return w!;
  };
}

const hashOf = (page: Page) => new URL(page.url()).hash;

test('the engine worker throws from inside: notice at once, experiment kept, Reload brings it back', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const w = watch(page);
  const engine = engineWorker(page);
  const hash = link({ drops: { attn: [3], mlp: [] }, seqLen: 32, windows: 2 });
  await page.goto(`/?backend=wasm${hash}`);
  const ppl = await currentPerplexity(page);
  await expect(page.getByTestId('task-status')).toHaveAttribute('data-task', 'idle', { timeout: 120_000 });

  await engine().evaluate(() => {
    setTimeout(() => {
      throw new Error('thrown inside the engine worker by the test');
    }, 0);
  });
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('The engine stopped');
  await expect(notice).toContainText('thrown inside the engine worker by the test');
  await expect(notice).toContainText('your experiment (model, drops, text and windows) is kept in the link');
  await expect(page.getByTestId('backend')).toHaveText('Engine stopped');
  await expect(page.getByTestId('task-status')).toHaveText('engine stopped');
  // On wasm already: Reload is the way back (no "Continue on WebAssembly").
  await expect(page.getByTestId('notice-reload-wasm')).toHaveCount(0);
  expect(await droppedCells(page)).toEqual(['attn3']);
  // A click now does not hang on "computing…": the engine is known to be gone.
  await cell(page, 'mlp', 5).click();
  await expect(page.getByTestId('task-status')).toHaveText('engine stopped');
  await expect(page).toHaveURL(/#v1&m=b:droplab-byte-12l&da=3&dm=5&/);

  await page.getByTestId('notice-reload').click();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm');
  const after = await currentPerplexity(page);
  expect(after).not.toBe(ppl); // mlp 5 is dropped too now
  expect(await droppedCells(page)).toEqual(['attn3', 'mlp5']);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  expect(w.errors).toEqual([]);
});

test('the engine worker closes itself: the heartbeat of the next call finds it, with the same notice', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const w = watch(page);
  const engine = engineWorker(page);
  await page.clock.install();
  await page.goto(`/?backend=wasm${link({ seqLen: 32, windows: 2 })}`);
  await currentPerplexity(page);
  await expect(page.getByTestId('task-status')).toHaveAttribute('data-task', 'idle', { timeout: 120_000 });

  await engine()
    .evaluate(() => (self as unknown as { close(): void }).close())
    .catch(() => undefined);
  await cell(page, 'attn', 7).click(); // a call goes out and is never answered
  await page.clock.runFor(30_000);
  await expect(page.getByTestId('notice')).toHaveCount(0); // half a minute of silence is not death
  await page.clock.runFor(35_000);
  const notice = page.getByTestId('notice');
  // The silence measured is 60 s or a heartbeat tick (5 s) more, by where the ticks fall in the clock's run.
  await expect(notice).toContainText(
    /The engine stopped \(no answer from the engine worker for 6[0-5] s while it was working\)/,
  );
  await expect(page.getByTestId('backend')).toHaveText('Engine stopped');
  expect(await droppedCells(page)).toEqual(['attn7']);
  await expect(page).toHaveURL(/#v1&m=b:droplab-byte-12l&da=7&/);
  expect(w.errors).toEqual([]);
});

test('a refused link: the address bar returns to the experiment on screen, and a reload shows it', async ({ page }) => {
  test.setTimeout(420_000);
  const w = watch(page);
  const shown = link({ drops: { attn: [2], mlp: [6] }, seqLen: 32, windows: 2 });
  await page.goto(`/?backend=wasm${shown}`);
  await currentPerplexity(page);
  expect(hashOf(page)).toBe(shown);
  // Pasted into the address bar: a damaged link, then one whose layer does not exist in the model.
  await page.evaluate(() => {
    window.location.hash = '#v1&m=b:droplab-byte-12l&da=5,5&t=b:moby-dick-heldout&L=32&n=2';
  });
  await expect(page.getByTestId('notice')).toContainText('strictly ascending');
  await expect.poll(() => hashOf(page)).toBe(shown);
  await page.evaluate(
    (h) => {
      window.location.hash = h;
    },
    link({ drops: { attn: [99], mlp: [] }, seqLen: 32, windows: 2 }),
  );
  await expect(page.getByTestId('notice')).toContainText('attention layer 99');
  await expect.poll(() => hashOf(page)).toBe(shown);
  expect(await droppedCells(page)).toEqual(['attn2', 'mlp6']);
  await page.reload();
  await currentPerplexity(page);
  expect(await droppedCells(page)).toEqual(['attn2', 'mlp6']);
  await expect(page.getByTestId('notice')).toHaveCount(0);
  expect(w.errors).toEqual([]);
});
