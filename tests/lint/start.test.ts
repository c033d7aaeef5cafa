/**
 * scripts/start.mjs (`npm start`): the port comes from --port N, --port=N, -p N or $PORT (default 4173),
 * a bad port is refused with exit status 64, other options reach `vite preview`; and a real start serves
 * a build on the port asked for, with the cross-origin isolation headers.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStartArgs } from '../../scripts/start.mjs';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/start.mjs');
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

describe('npm start', () => {
  it('takes the port from --port, --port=, -p or $PORT; 4173 by default; keeps other options', () => {
    expect(parseStartArgs([])).toEqual({
      port: 4173,
      build: true,
      preview: ['preview', '--port', '4173', '--strictPort'],
    });
    expect(parseStartArgs(['--port', '8080'])).toMatchObject({ port: 8080 });
    expect(parseStartArgs(['--port=5000', '--host'])).toMatchObject({
      preview: ['preview', '--port', '5000', '--strictPort', '--host'],
    });
    expect(parseStartArgs(['-p', '3000'])).toMatchObject({ port: 3000 });
    expect(parseStartArgs([], { PORT: '9000' })).toMatchObject({ port: 9000 });
    expect(parseStartArgs(['--port', '9001'], { PORT: '9000' })).toMatchObject({ port: 9001 });
    expect(parseStartArgs(['--no-build'])).toMatchObject({ build: false });
    expect(parseStartArgs(['--port', 'eighty'])).toEqual({ error: expect.stringContaining('"eighty"') });
    expect(parseStartArgs(['--port', '70000'])).toHaveProperty('error');
  });

  it('refuses a bad port with exit status 64 and a usage line', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--port', 'x'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('npm start -- --port 8080');
  });

  it('serves a build on the port asked for, cross-origin isolated', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'droplab-start-'));
    cleanup.push(() => rmSync(dist, { recursive: true, force: true }));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>start test</title>');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child: ChildProcess = spawn(
      process.execPath,
      [SCRIPT, '--no-build', '--port', String(port), '--outDir', dist],
      { cwd: ROOT, stdio: 'ignore' },
    );
    cleanup.push(() => child.kill());
    let res: Response | null = null;
    for (let i = 0; i < 600 && !res; i++) {
      res = await fetch(`http://localhost:${port}/`).catch(() => null);
      if (!res) await new Promise((r) => setTimeout(r, 100));
    }
    expect(res?.status).toBe(200);
    expect(await res?.text()).toContain('start test');
    expect(res?.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res?.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  }, 120_000);
});
