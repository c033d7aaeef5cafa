/**
 * bin/droplab.mjs runs the CLI in a child process with glibc's malloc tunables set (bin/malloc-tunables.mjs: the
 * mid-size set for weight files from 256 MiB or DROPLAB_MALLOC=tuned, the small-model set below), and forwards
 * Ctrl+C to it: the child's environment carries GLIBC_TUNABLES, its output and exit status are the command's, and
 * SIGINT to the launcher ends both. DROPLAB_MALLOC=default runs in the launcher's own process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import {
  MALLOC_TUNABLES,
  MALLOC_TUNABLES_SMALL,
  MALLOC_TUNED_FROM_BYTES,
  mallocTunablesFor,
} from '../../bin/malloc-tunables.mjs';
import { ROOT } from './run-cli';

const ARGS = [
  join(ROOT, 'bin/droplab.mjs'),
  'analyze',
  '--model',
  join(ROOT, 'public/models/droplab-byte-12l'),
  '--text',
  join(ROOT, 'public/data/moby-dick-heldout.txt'),
  '--windows',
  '2',
  '--seq-len',
  '64',
  '--quiet',
  '--json',
];

function launch(malloc?: 'tuned' | 'default'): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  delete env.GLIBC_TUNABLES;
  delete env.DROPLAB_MALLOC;
  if (malloc) env.DROPLAB_MALLOC = malloc;
  return spawn(process.execPath, ARGS, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Pids whose parent is `ppid` (from /proc/<pid>/stat). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(d));
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

async function firstChild(ppid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const c = childrenOf(ppid);
    if (c.length > 0) return c[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the launcher ${ppid} started no child process in 10 s`);
}

/**
 * The child's environment once it has exec'd node. Between fork and exec the child still shows the launcher's
 * environment and command line (which names droplab.mjs too), so the command line cannot tell the two apart: wait
 * until the environment differs from the launcher's, as it does from the exec on (GLIBC_TUNABLES added).
 */
async function environOf(pid: number, launcher: number): Promise<string> {
  const before = readFileSync(`/proc/${launcher}/environ`, 'utf8');
  let env = '';
  for (let i = 0; i < 200; i++) {
    env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    if (env !== before) return env;
    await new Promise((r) => setTimeout(r, 50));
  }
  return env;
}

/** Whether `pid` has ended (gone, or a zombie waiting for init to reap it) within 5 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    p.on('exit', (code, signal) => r({ code, signal })),
  );

describe.runIf(process.platform === 'linux')('bin/droplab.mjs and glibc malloc tunables', () => {
  it('runs the command in a child whose environment has GLIBC_TUNABLES, with its output and status', async () => {
    const p = launch('tuned');
    let stdout = '';
    p.stdout?.on('data', (b) => {
      stdout += b;
    });
    const done = exited(p);
    const child = await firstChild(p.pid as number);
    // glibc rewrites the ':' between tunables to NULs as it parses them, in the environment's own memory
    expect((await environOf(child, p.pid as number)).replace(/\0/g, ':')).toContain(
      `GLIBC_TUNABLES=${MALLOC_TUNABLES}`,
    );
    expect(await done).toEqual({ code: 0, signal: null });
    const r = JSON.parse(stdout.trim());
    expect(r.command).toBe('analyze');
    expect(r.perplexity).toBeGreaterThan(1);
    expect(r.tokens).toBe(2 * 63);
  }, 60_000);

  it('forwards SIGINT to the command: both end', async () => {
    const p = launch('tuned');
    const done = exited(p);
    const child = await firstChild(p.pid as number);
    p.kill('SIGINT');
    const r = await done;
    expect(r.code === 130 || r.signal === 'SIGINT').toBe(true);
    expect(await gone(child)).toBe(true);
  }, 60_000);

  it('the small-model set for the bundled model (9.6 MB)', async () => {
    const p = launch();
    const done = exited(p);
    const child = await firstChild(p.pid as number);
    expect((await environOf(child, p.pid as number)).replace(/\0/g, ':')).toContain(
      `GLIBC_TUNABLES=${MALLOC_TUNABLES_SMALL}`,
    );
    expect(await done).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('DROPLAB_MALLOC=default: the command runs in the launcher itself, with its output', async () => {
    const p = launch('default');
    let stdout = '';
    p.stdout?.on('data', (b) => {
      stdout += b;
    });
    const done = exited(p);
    let children = 0;
    const poll = setInterval(() => {
      children += childrenOf(p.pid as number).length;
    }, 20);
    expect(await done).toEqual({ code: 0, signal: null });
    clearInterval(poll);
    expect(children).toBe(0);
    expect(JSON.parse(stdout.trim()).tokens).toBe(2 * 63);
  }, 60_000);
});

describe('which models get the tunables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'droplab-malloc-'));
  const big = join(dir, 'big');
  const small = join(ROOT, 'public/models/droplab-byte-12l');
  // a sparse file: its size counts, no disk is used
  rmSync(big, { recursive: true, force: true });
  mkdirSync(big);
  writeFileSync(join(big, 'model-00001-of-00002.safetensors'), '');
  truncateSync(join(big, 'model-00001-of-00002.safetensors'), MALLOC_TUNED_FROM_BYTES / 2);
  writeFileSync(join(big, 'model-00002-of-00002.safetensors'), '');
  truncateSync(join(big, 'model-00002-of-00002.safetensors'), MALLOC_TUNED_FROM_BYTES / 2);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const linux = (args: string[], env: Record<string, string | undefined> = {}) => mallocTunablesFor(args, env, 'linux');

  it('the mid-size set from 256 MiB of weight files, the small-model set below, none when told or not on Linux', () => {
    expect(linux(['analyze', '--model', big])).toBe(MALLOC_TUNABLES);
    expect(linux(['analyze', `--model=${big}`])).toBe(MALLOC_TUNABLES);
    expect(linux(['analyze', '--model', small])).toBe(MALLOC_TUNABLES_SMALL);
    expect(linux(['analyze', '--model', small], { DROPLAB_MALLOC: 'tuned' })).toBe(MALLOC_TUNABLES);
    expect(linux(['analyze', '--model', big], { DROPLAB_MALLOC: 'default' })).toBeNull();
    expect(linux(['analyze', '--model', big], { GLIBC_TUNABLES: 'glibc.malloc.arena_max=1' })).toBeNull();
    expect(mallocTunablesFor(['analyze', '--model', big], {}, 'darwin')).toBeNull();
    expect(linux(['--help'])).toBe(MALLOC_TUNABLES_SMALL);
    expect(linux(['analyze', '--model', join(dir, 'missing')])).toBe(MALLOC_TUNABLES_SMALL);
  });
});
