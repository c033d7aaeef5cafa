/**
 * A link to a local model folder, opened on a fresh visit (issue 9 item 11): the browser cannot open a
 * folder by itself, so the page says which folder to pick instead of showing an empty workbench, and the
 * address bar keeps the link until the folder is chosen.
 */
import { expect, test } from '@playwright/test';
import { watch } from './support';

test('an l: link on a fresh visit asks for its folder, by name', async ({ page }) => {
  test.setTimeout(120_000);
  const w = watch(page);
  const hash = '#v1&m=l:my%20model%20(1)&da=2&t=b:moby-dick-heldout&L=32&n=2&x=cos';
  await page.goto(`/?backend=wasm${hash}`);
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('Pick the model folder');
  await expect(notice).toContainText('This experiment uses the local model folder "my model (1)"');
  await expect(notice).toContainText('Model → Local folder');
  await page.waitForTimeout(1000); // nothing else happens meanwhile: the notice stays, the link stays
  await expect(notice).toContainText('Pick the model folder');
  expect(new URL(page.url()).hash).toBe(hash);
  expect(w.errors).toEqual([]);
});
