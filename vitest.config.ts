import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: 'node',
      include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // 2 cores, and several suites load models: one file at a time.
      fileParallelism: false,
      maxWorkers: 1,
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
    },
  }),
);
