/**
 * Node's file system as the export's FolderFs (what the CLI passes to folderSink). Every failure of the
 * file system (read-only, disk full, permission, a file where a folder should be, ...) comes out as an
 * ExportError naming the path and the cause in words, so the CLI exits 2 with a message, not 1 with
 * "unexpected error".
 */
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FolderFs } from '../engine/export';
import { ExportError } from '../engine/errors';

const CAUSES: Record<string, string> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'something already exists at that path',
  EISDIR: 'it is a folder',
  ENOTEMPTY: 'the folder is not empty',
  ENAMETOOLONG: 'the path is too long',
  ENOENT: 'a folder on the path does not exist (or was removed meanwhile)',
  EMFILE: 'too many open files',
  EXDEV: 'it is on another file system',
  EIO: 'an input/output error occurred',
  EFBIG: 'the file is too large for this file system',
  EBUSY: 'the path is busy',
  ELOOP: 'too many symbolic links on the path',
};

/** An errno error of `op` on `path` as an ExportError (anything else passes through). */
export function fsError(e: unknown, op: string, path: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (!code || !/^E[A-Z]+$/.test(code)) return e;
  const cause = CAUSES[code] ?? (e as Error).message;
  return new ExportError(`Cannot ${op} ${path}: ${cause} (${code}). Nothing was exported.`, {
    reason: 'file-system',
    code,
    path,
    op,
  });
}

const wrap =
  <A extends unknown[], R>(op: string, f: (path: string, ...rest: A) => Promise<R>) =>
  async (path: string, ...rest: A): Promise<R> => {
    try {
      return await f(path, ...rest);
    } catch (e) {
      throw fsError(e, op, path);
    }
  };

/** mkdir -p, one level at a time (Node's recursive mkdir can spin on special file systems such as /proc). */
async function mkdirs(p: string): Promise<void> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      const st = await stat(cur);
      if (!st.isDirectory()) throw Object.assign(new Error(`${cur} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(cur);
      const up = dirname(cur);
      if (up === cur) break;
      cur = up;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export const nodeFolderFs: FolderFs = {
  exists: async (p) => existsSync(p),
  mkdir: wrap('create the folder', mkdirs),
  writeFile: wrap('write', async (p, parts: readonly Uint8Array[]) => {
    const fh = await open(p, 'w');
    try {
      for (const part of parts) await fh.write(part);
    } finally {
      await fh.close();
    }
  }),
  rename: (a, b) =>
    wrap('move', (x: string, y: string) => rename(x, y))(a, b).catch((e) => {
      throw e instanceof ExportError
        ? new ExportError(e.message.replace(`move ${a}:`, `move ${a} to ${b}:`), e.details)
        : e;
    }),
  rm: wrap('remove', (p) => rm(p, { recursive: true, force: true })),
};
