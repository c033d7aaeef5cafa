/** ModelFiles over a folder on disk (Node only: the CLI and tests). */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ModelFiles } from '../engine/api';
import { MissingFileError } from '../engine/errors';

function walk(root: string, dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue; // .git, .cache, ...
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(root, path, out);
    else if (e.isFile() || (e.isSymbolicLink() && statSync(path).isFile()))
      out.push(relative(root, path).split(sep).join('/'));
  }
}

/** The files of `dir` (recursively, '/'-separated names relative to it); read lazily. */
export function folderFiles(dir: string): ModelFiles {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    throw new MissingFileError(`The model folder ${dir} does not exist.`, { file: dir });
  }
  if (!st.isDirectory())
    throw new MissingFileError(`${dir} is not a folder; point DropLab at a Hugging Face model folder.`, { file: dir });
  let names: string[] | null = null;
  const list = () => {
    if (!names) {
      names = [];
      walk(dir, dir, names);
      names.sort();
    }
    return names;
  };
  const pathOf = (name: string) => {
    if (!list().includes(name))
      throw new MissingFileError(`${name} is missing from the model folder ${dir}.`, { file: name });
    return join(dir, ...name.split('/'));
  };
  return {
    names: () => [...list()],
    size: (name: string) => statSync(pathOf(name)).size,
    // Weights stream from here a tensor at a time (src/engine/model/stream-store.ts): no file is held.
    readRange: (name: string, begin: number, end: number) => {
      const out = new Uint8Array(end - begin);
      const fd = openSync(pathOf(name), 'r');
      try {
        let got = 0;
        while (got < out.length) {
          const n = readSync(fd, out, got, out.length - got, begin + got);
          if (n === 0) break;
          got += n;
        }
        return got === out.length ? out : out.subarray(0, got);
      } finally {
        closeSync(fd);
      }
    },
    read: async (name: string) => {
      if (!list().includes(name))
        throw new MissingFileError(`${name} is missing from the model folder ${dir}.`, { file: name });
      const buf = await readFile(join(dir, ...name.split('/')));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}
