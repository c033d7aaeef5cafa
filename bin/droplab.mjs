#!/usr/bin/env node
// The `droplab` command: runs src/cli/main.ts through tsx (a devDependency of this repository), so the
// CLI needs no build step. Install it from a checkout with `npm ci && npm link` (or
// `npm install -g /path/to/droplab`); the link points back here and uses this checkout's node_modules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsImport;
try {
  ({ tsImport } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    `droplab: tsx is not installed next to ${root}.\nRun \`npm ci\` in that folder (droplab runs its TypeScript sources through tsx).\n`,
  );
  process.exit(1);
}
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
await tsImport('../src/cli/main.ts', { parentURL: import.meta.url, tsconfig: existsSync(tsconfig) ? tsconfig : false });
