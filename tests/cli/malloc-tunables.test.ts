/**
 * bin/droplab.mjs runs the CLI in a child process with glibc's malloc tunables set (bin/malloc-tunables.mjs), and
 * forwards Ctrl+C to it: the child's environment carries GLIBC_TUNABLES, its output and exit status are the
 * command's, and SIGINT to the launcher ends both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES } from '../../bin/malloc-tunables.mjs';
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

function launch(): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  delete env.GLIBC_TUNABLES;
  delete env.DROPLAB_MALLOC;
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

/** The child's environment once it has exec'd node (between fork and exec it still shows the launcher's). */
async function environOf(pid: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('droplab.mjs')) return readFileSync(`/proc/${pid}/environ`, 'utf8');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} did not start the command in 10 s`);
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
    const p = launch();
    let stdout = '';
    p.stdout?.on('data', (b) => {
      stdout += b;
    });
    const done = exited(p);
    const child = await firstChild(p.pid as number);
    // glibc rewrites the ':' between tunables to NULs as it parses them, in the environment's own memory
    expect((await environOf(child)).replace(/\0/g, ':')).toContain(`GLIBC_TUNABLES=${MALLOC_TUNABLES}`);
    expect(await done).toEqual({ code: 0, signal: null });
    const r = JSON.parse(stdout.trim());
    expect(r.command).toBe('analyze');
    expect(r.perplexity).toBeGreaterThan(1);
    expect(r.tokens).toBe(2 * 63);
  }, 60_000);

  it('forwards SIGINT to the command: both end', async () => {
    const p = launch();
    const done = exited(p);
    const child = await firstChild(p.pid as number);
    p.kill('SIGINT');
    const r = await done;
    expect(r.code === 130 || r.signal === 'SIGINT').toBe(true);
    expect(await gone(child)).toBe(true);
  }, 60_000);
});
