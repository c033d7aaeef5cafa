import { expect, test } from '@playwright/test';

interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean | null;
  features: string[];
  maxBufferSize: number;
}

test('the workbench loads, and with ?backend=webgpu its engine worker gets a WebGPU adapter', async ({
  page,
}, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const response = await page.goto('/?backend=webgpu');
  expect(response?.status()).toBe(200);
  // Cross-origin isolation (for multi-threaded ORT wasm) comes from the preview server's headers.
  expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);

  await expect(page).toHaveTitle('DropLab');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('DropLab');
  await expect(page.locator('[data-chart="sublayers"]')).toBeVisible();

  const badge = page.getByTestId('backend');
  await expect(badge).not.toHaveAttribute('data-backend', 'probing');
  const backend = await badge.getAttribute('data-backend');
  expect(backend, `engine worker fell back: ${await badge.getAttribute('title')}`).toBe('webgpu');

  const adapter = JSON.parse((await badge.getAttribute('data-adapter')) ?? 'null') as AdapterReport;
  testInfo.annotations.push({ type: 'adapter', description: JSON.stringify(adapter) });
  // Whatever the adapter, it reports real limits and a description or vendor.
  expect(adapter.maxBufferSize).toBeGreaterThan(1 << 20);
  expect(`${adapter.vendor}${adapter.architecture}${adapter.description}`.length).toBeGreaterThan(0);
  expect(adapter.features).toEqual([...adapter.features].sort());
  // Without a GPU (CI), Chromium's WebGPU adapter is SwiftShader, marked as a fallback adapter.
  if (!process.env.DROPLAB_REAL_GPU) {
    expect(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`.toLowerCase()).toContain('swiftshader');
    expect(adapter.isFallbackAdapter).toBe(true);
    expect(adapter.features).not.toContain('shader-f16');
  }
  await expect(badge).toContainText('Runs on the GPU');
  await expect(badge).toHaveAttribute('title', /through WebGPU/);

  await page.screenshot({ path: testInfo.outputPath('workbench.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('by default a software fallback adapter is not used: wasm, with the reason and the adapter named', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const badge = page.getByTestId('backend');
  await expect(badge).not.toHaveAttribute('data-backend', 'probing');
  if (process.env.DROPLAB_REAL_GPU) {
    // a hardware adapter is what the default uses
    await expect(badge).toHaveAttribute('data-backend', 'webgpu');
    expect(JSON.parse((await badge.getAttribute('data-adapter')) ?? 'null').isFallbackAdapter).not.toBe(true);
  } else {
    await expect(badge).toHaveAttribute('data-backend', 'wasm');
    await expect(badge).toHaveAttribute(
      'title',
      /software fallback \(google swiftshader\).*\?backend=webgpu uses it anyway/,
    );
  }
  await expect(page.getByTestId('model-ready')).toBeAttached({ timeout: 120_000 });
  expect(errors).toEqual([]);
});
