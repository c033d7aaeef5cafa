#!/usr/bin/env node
// `npm start [-- --port N]`: build, then serve the build with `vite preview` (the COOP/COEP headers the
// wasm threads need come from vite.config.ts). The port: --port N (or --port=N, -p N), else $PORT, else
// 4173; a port in use is an error (--strictPort), not a silent move to another one. Other options go to
// `vite preview` unchanged (e.g. --host to serve on the local network). --no-build serves the last build.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The port, whether to build first, and the options left for `vite preview`; or an error message. */
export function parseStartArgs(argv, env = {}) {
  let port = env.PORT || '4173';
  let build = true;
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a === '-p') port = argv[++i] ?? '';
    else if (a.startsWith('--port=')) port = a.slice('--port='.length);
    else if (a === '--no-build') build = false;
    else rest.push(a);
  }
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    return {
      error: `npm start: the port must be a number from 1 to 65535 (got "${port}"). Usage: npm start -- --port 8080`,
    };
  return { port: Number(port), build, preview: ['preview', '--port', port, '--strictPort', ...rest] };
}

/** Run vite with `argv`; Ctrl-C or a kill of this process stops it too. Resolves to its exit status. */
function vite(argv) {
  const bin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const child = spawn(process.execPath, [bin, ...argv], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward);
  return new Promise((done) => {
    child.on('exit', (code, signal) => {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(sig, forward);
      done(code ?? (signal ? 130 : 1));
    });
    child.on('error', () => done(1));
  });
}

async function main() {
  const o = parseStartArgs(process.argv.slice(2), process.env);
  if ('error' in o) {
    console.error(o.error);
    process.exit(64);
  }
  if (o.build) {
    const built = await vite(['build']);
    if (built !== 0) process.exit(built);
  }
  process.exit(await vite(o.preview));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
