#!/usr/bin/env node
// The `droplab` command: runs src/cli/main.ts through tsx (a devDependency of this repository), so the
// CLI needs no build step. Install it from a checkout with `npm ci && npm link` (or
// `npm install -g /path/to/droplab`); the link points back here and uses this checkout's node_modules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mallocTunablesFor } from './malloc-tunables.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// glibc reads its malloc tunables (./malloc-tunables.mjs says which and why) only when a process starts, so the
// command runs itself once more with them set. DROPLAB_MALLOC=tuned forces the mid-size ones, default none.
const tunables = mallocTunablesFor(process.argv.slice(2), process.env, process.platform);
if (tunables !== null) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  const forward = (signal) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  const [code, signal] = await new Promise((resolve) => {
    child.on('exit', (c, s) => resolve([c, s]));
    child.on('error', (e) => {
      process.stderr.write(
        `droplab: could not start itself with GLIBC_TUNABLES set (${e.message}); set DROPLAB_MALLOC=default\n`,
      );
      resolve([1, null]);
    });
  });
  if (signal) {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

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
