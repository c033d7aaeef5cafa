/**
 * A lost GPU device on WebGPU (SwiftShader here): the device onnxruntime-web computes on is destroyed from
 * the test (the worker's GPUAdapter.requestDevice is wrapped before the runtime asks for its device, so the
 * test holds the same device; no hook in the app). The page must say so at once, keep the experiment, and
 * "Continue on WebAssembly" must bring the same experiment back on wasm with the engine's numbers.
 */
import { expect, test, type Worker } from '@playwright/test';
import { bundledModelExists } from './hub-server';
import { currentPerplexity, droppedCells, link, nodePerplexity, watch } from './support';

test.skip(!bundledModelExists(), 'the bundled model (public/models/droplab-byte-12l) is not there yet');

test('a lost GPU device: notice with the way back, experiment kept, and it continues on wasm with the same numbers', async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  const w = watch(page);
  const drops = { attn: [2], mlp: [] };
  const workers: Worker[] = [];
  page.on('worker', (wk) => {
    workers.push(wk);
    void wk
      .evaluate(() => {
        const proto = GPUAdapter.prototype as GPUAdapter & { requestDevice: GPUAdapter['requestDevice'] };
        const request = proto.requestDevice;
        proto.requestDevice = async function (this: GPUAdapter, ...a: Parameters<GPUAdapter['requestDevice']>) {
          const d = await request.apply(this, a);
          (self as unknown as { __devices: GPUDevice[] }).__devices = [
            ...((self as unknown as { __devices?: GPUDevice[] }).__devices ?? []),
            d,
          ];
          return d;
        };
      })
      .catch(() => undefined);
  });
  const hash = link({ drops, seqLen: 32, windows: 2 });
  await page.goto(`/?backend=webgpu${hash}`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu');
  const onGpu = await currentPerplexity(page, { timeout: 300_000 });
  const engine = workers.find((wk) => wk.url().includes('engine.worker'));
  expect(engine, 'the engine worker').toBeTruthy();
  const destroyed = await engine!.evaluate(() => {
    const ds = (self as unknown as { __devices?: GPUDevice[] }).__devices ?? [];
    for (const d of ds) d.destroy();
    return ds.length;
  });
  expect(destroyed).toBeGreaterThan(0);

  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('The GPU device was lost', { timeout: 30_000 });
  await expect(notice).toContainText('(destroyed: Device was destroyed)');
  await expect(notice).toContainText('your experiment (model, drops, text and windows) is kept');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'error');
  await expect(page.getByTestId('backend')).toHaveText('GPU device lost');
  await expect(page.getByTestId('perplexity-panel').locator('.inline-error')).toHaveCount(0);
  expect(await droppedCells(page)).toEqual(['attn2']);
  await page.screenshot({ path: testInfo.outputPath('device-lost.png') });

  await page.getByTestId('notice-reload-wasm').click();
  await expect(page).toHaveURL(/\?backend=wasm#v1&m=b:droplab-byte-12l&da=2&/);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm');
  const onWasm = await currentPerplexity(page, { timeout: 180_000 });
  const node = await nodePerplexity(drops, 32, 2);
  expect(Math.abs(onWasm / node - 1)).toBeLessThan(1e-4);
  expect(Math.abs(onGpu / node - 1)).toBeLessThan(1e-3);
  expect(await droppedCells(page)).toEqual(['attn2']);
  expect(w.errors).toEqual([]);
});
