/**
 * droplab export against a failing file system and Ctrl-C, in-process (runCli with a captured io): a
 * disk that fills up, a read-only file system, a permission error, each injected into node:fs/promises
 * for the export's own paths only, exit 2 with the cause in words and leave no folder behind; Ctrl-C
 * (SIGINT) after the first file is written exits 130 and removes the temporary folder.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/cli';
import type { CliIo } from '../../src/cli/command';
import { writeTinyModel } from '../fixtures/tiny-models-node';

/** The fault to inject: on the first call of `op` whose path contains `.partial-` (or the out folder). */
const fault: { op: 'open' | 'mkdir' | 'rename' | null; code: string } = { op: null, code: '' };

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsp>();
  const inject = (op: 'open' | 'mkdir' | 'rename', path: unknown) => {
    if (fault.op === op && String(path).includes('.partial-')) {
      const code = fault.code;
      fault.op = null;
      throw Object.assign(new Error(`${code}: injected, ${op} '${String(path)}'`), { code, syscall: op, path });
    }
  };
  return {
    ...real,
    open: (async (p: string, ...rest: unknown[]) => {
      inject('open', p);
      return (real.open as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof real.open,
    mkdir: (async (p: string, ...rest: unknown[]) => {
      inject('mkdir', p);
      return (real.mkdir as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof real.mkdir,
    rename: (async (a: string, b: string) => {
      inject('rename', a);
      return real.rename(a, b);
    }) as typeof real.rename,
  };
});

let tmp: string;
let model: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'droplab-export-fs-'));
  model = writeTinyModel('llama-tied', { dir: join(tmp, 'model') }).dir;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    errIsTTY: false,
    cwd: tmp,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

describe('droplab export: file-system errors and Ctrl-C', () => {
  for (const [op, code, words] of [
    ['open', 'ENOSPC', 'the disk is full'],
    ['mkdir', 'EROFS', 'the file system is read-only'],
    ['open', 'EACCES', 'permission denied'],
    ['rename', 'EIO', 'an input/output error occurred'],
  ] as const) {
    it(`${code} on ${op}: exit 2 naming the cause, nothing left`, async () => {
      const parent = join(tmp, `${code}-${op}`);
      fault.op = op;
      fault.code = code;
      const r = await run(['export', '--model', model, '--out', join(parent, 'out')]);
      expect(fault.op, 'the fault was injected').toBeNull();
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(`${words} (${code})`);
      expect(r.err).toMatch(/^droplab export: Cannot (create the folder|write|move) .*\.partial-/);
      expect(r.err).not.toMatch(/unexpected error/);
      expect(readdirSync(parent)).toEqual([]);
    });
  }

  it('Ctrl-C after the first file: exit 130, the temporary folder removed', async () => {
    const parent = join(tmp, 'sigint');
    const fs = await import('../../src/cli/node-fs');
    const write = fs.nodeFolderFs.writeFile;
    let writes = 0;
    const listeners = process.listenerCount('SIGINT');
    fs.nodeFolderFs.writeFile = async (p, parts) => {
      await write(p, parts);
      if (++writes === 1) process.emit('SIGINT');
    };
    try {
      const r = await run(['export', '--model', model, '--out', join(parent, 'out'), '--format', 'fp32,q4']);
      expect(r.code, r.err).toBe(130);
      expect(r.err).toMatch(/cancelled/);
      expect(writes).toBeGreaterThan(0);
      expect(readdirSync(parent)).toEqual([]);
      expect(process.listenerCount('SIGINT')).toBe(listeners);
    } finally {
      fs.nodeFolderFs.writeFile = write;
    }
  });
});
