import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

// The WebGPU-in-Node suite (tests/webgpu-node) needs a Vulkan driver set for its own process
// (`npm run test:webgpu-node` sets VK_ICD_FILENAMES to Chromium's SwiftShader); the main run excludes it.
const webgpuNode = process.env.DROPLAB_WEBGPU_NODE === '1';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: 'node',
      include: webgpuNode ? ['tests/webgpu-node/**/*.test.ts'] : ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
      exclude: webgpuNode ? [] : ['tests/webgpu-node/**', 'node_modules/**'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // 2 cores, and several suites load models: one file at a time.
      fileParallelism: false,
      maxWorkers: 1,
      reporters: ['default', 'json'],
      outputFile: { json: webgpuNode ? 'test-results/vitest-webgpu-node.json' : 'test-results/vitest.json' },
    },
  }),
);
