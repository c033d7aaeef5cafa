import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests against the built app served by `vite preview` (run `npm run build` first; `npm test`
 * does). The browser is Debian's Chromium (scripts/setup.sh installs it): never `npx playwright install`.
 * `--enable-unsafe-webgpu` gives WebGPU without a GPU through SwiftShader (a fallback adapter).
 */
// Several people (or agents) can run e2e side by side on one machine: DROPLAB_E2E_PORT and DROPLAB_E2E_DIST
// (a folder built with `vite build --outDir DIR`) give each run its own server and build.
const PORT = Number(process.env.DROPLAB_E2E_PORT ?? 4173);
const DIST = process.env.DROPLAB_E2E_DIST;
const OUT = process.env.DROPLAB_E2E_OUT ?? 'test-results';

export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  // Playwright empties outputDir at start: keep it a subfolder so test-results/vitest.json survives.
  outputDir: `${OUT}/playwright`,
  reporter: [['list'], ['json', { outputFile: `${OUT}/playwright.json` }]],
  use: {
    browserName: 'chromium',
    baseURL: `http://localhost:${PORT}`,
    headless: true,
    viewport: { width: 1280, height: 800 },
    screenshot: 'on',
    trace: 'retain-on-failure',
    // The production build registers a service worker (offline use): it would serve pages and files from
    // its cache past page.route() mocks, so only e2e/offline.spec.ts allows it.
    serviceWorkers: 'block',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        '--disable-quic',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort${DIST ? ` --outDir ${DIST}` : ''}`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
