/**
 * Offline after the first visit (issue 10, item 8): the service worker (vite.config.ts, registered by
 * src/app/main.tsx in production builds) precaches the app shell, the engine worker, onnxruntime-web's
 * wasm, the bundled model and texts. Visit, wait until it controls the page with its precache complete,
 * cut the network, reload: the bundled experiment runs, cross-origin isolated, with the same perplexity.
 * The other specs run with service workers blocked (playwright.config.ts); this one allows them.
 */
import { expect, test } from '@playwright/test';
import { BUNDLED, currentPerplexity, link, watch } from './support';

test.use({ serviceWorkers: 'allow' });

test('offline after the first visit: reload without the network, the bundled experiment still runs', async ({
  page,
  context,
}) => {
  test.setTimeout(300_000);
  const w = watch(page);
  const url = `/?backend=wasm${link({ seqLen: 64, windows: 2, drops: { attn: [3], mlp: [] } })}`;
  await page.goto(url);
  const online = await currentPerplexity(page);

  // The service worker is active and controls the page (it claims it once its precache is complete).
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect
    .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null), { timeout: 120_000 })
    .toBe('activated');
  const precached = await page.evaluate(async () => {
    const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'));
    if (!name) return [];
    const cache = await caches.open(name);
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  for (const path of [
    '/index.html',
    `/models/${BUNDLED}/config.json`,
    `/models/${BUNDLED}/model.safetensors`,
    `/models/${BUNDLED}/tokenizer.json`,
    '/data/manifest.json',
    '/data/moby-dick-heldout.txt',
  ])
    expect(precached, path).toContain(path);
  expect(
    precached.some((p) => /\/assets\/engine\.worker-.*\.js$/.test(p)),
    'engine worker',
  ).toBe(true);
  expect(
    precached.some((p) => /\/assets\/ort-wasm-simd-threaded-.*\.wasm$/.test(p)),
    'onnxruntime-web wasm',
  ).toBe(true);
  expect(
    precached.some((p) => p.startsWith('/models/') && /training_|README/.test(p)),
    'training files are not cached',
  ).toBe(false);

  await context.setOffline(true);
  // The network is really gone, for the page and for the service worker: a file that is not precached
  // is a network error from the page, and the worker's 404 (its offline answer) under /data/.
  expect(
    await page.evaluate(() =>
      fetch('/not-cached.txt').then(
        () => 'reached',
        () => 'failed',
      ),
    ),
  ).toBe('failed');
  expect(await page.evaluate(() => fetch('/data/not-cached.txt').then((r) => r.status))).toBe(404);

  await page.reload();
  await expect(page.getByTestId('model-ready')).toBeAttached({ timeout: 120_000 });
  const offline = await currentPerplexity(page);
  expect(Math.abs(offline / online - 1)).toBeLessThan(1e-6);
  // Served by the service worker, and still cross-origin isolated (COOP/COEP kept from the cache):
  // onnxruntime-web's threads need SharedArrayBuffer.
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  expect(
    await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).workerStart > 0,
    ),
  ).toBe(true);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('title', /Cross-origin isolated: yes/);
  await expect(page.getByTestId('model-error')).toHaveCount(0);
  // The analysis views work too (the heatmap has values).
  await expect(page.locator('[data-testid="sublayer-heatmap"] [data-kind="attn"][data-layer="0"]')).toHaveAttribute(
    'data-value',
    /\d/,
  );
  expect(w.errors).toEqual([]);
  await context.setOffline(false);
});
