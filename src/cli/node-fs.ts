/** Node's file system as the export's FolderFs (what the CLI passes to folderSink). */
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FolderFs } from '../engine/export';

export const nodeFolderFs: FolderFs = {
  exists: async (p) => existsSync(p),
  mkdir: async (p) => {
    await mkdir(p, { recursive: true });
  },
  writeFile: async (p, parts) => {
    const fh = await open(p, 'w');
    try {
      for (const part of parts) await fh.write(part);
    } finally {
      await fh.close();
    }
  },
  rename: (a, b) => rename(a, b),
  rm: (p) => rm(p, { recursive: true, force: true }),
};
