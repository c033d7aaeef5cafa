/**
 * Where an export goes. exportModel() calls begin(), write() per complete file, then commit(); on any
 * error or cancellation abort() instead. Two sinks come with the engine, both host-agnostic:
 *
 *   folderSink(fs, dir)  writes into "<dir>.partial-<random>" and renames it to dir on commit; abort
 *                        removes it. The file system is injected (FolderFs): Node's fs/promises in the
 *                        CLI, the File System Access API in a browser. A cancelled or failed export
 *                        leaves nothing; an existing dir is kept unless overwrite is set, and even then
 *                        it is only moved aside ("<dir>.replaced-<random>") until the new folder is in
 *                        place, so a failure at any step never loses the old export. A dir that is,
 *                        contains or lies inside one of opts.protect (the source model) is refused.
 *   zipSink(onChunk)     a stored (uncompressed: weights do not compress) zip streamed with fflate, for
 *                        a browser download; onChunk gets the archive's bytes in order. fflate writes no
 *                        ZIP64, so a zip holds at most 4 GiB (ZIP_MAX_BYTES): larger exports go to a
 *                        folder (or the CLI). Their ONNX weights are split into external data files of
 *                        under 2 GiB either way (onnx-file.ts).
 */
import { Zip, ZipPassThrough } from 'fflate';
import { ExportError } from '../errors';
import type { ExportFile } from './onnx-file';

export interface ExportSink {
  begin?(): Promise<void>;
  write(file: ExportFile): Promise<void> | void;
  commit?(): Promise<void>;
  abort?(reason: unknown): Promise<void>;
}

/** The file-system operations folderSink needs ('/'-separated paths). */
export interface FolderFs {
  exists(path: string): Promise<boolean>;
  /** Create the folder and its parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Write (create or replace) a file from its parts, in order. */
  writeFile(path: string, parts: readonly Uint8Array[]): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or folder recursively; no error if it does not exist. */
  rm(path: string): Promise<void>;
}

const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');

/** '/'-separated, no trailing or repeated slashes, no '.' segments ('..' is kept: callers resolve paths). */
const norm = (p: string) =>
  p
    .replace(/\\/g, '/')
    .split('/')
    .filter((seg, i) => seg !== '.' && (seg !== '' || i === 0))
    .join('/') || '/';

/** Whether a and b are the same path or one lies inside the other (plain string comparison of paths). */
export function pathsOverlap(a: string, b: string): boolean {
  const [x, y] = [norm(a), norm(b)];
  const inside = (p: string, root: string) => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
  return inside(x, y) || inside(y, x);
}

/** The name folderSink gives its temporary folder: "<dir>.partial-<tag>". */
export const PARTIAL_INFIX = '.partial-';

/** A transactional folder: all files appear at `dir` on commit, or none do. */
export function folderSink(
  fs: FolderFs,
  dir: string,
  opts: {
    overwrite?: boolean;
    /** Paths the export must never write to, replace or remove (e.g. the source model folder). */
    protect?: readonly string[];
    /** The temporary folder's suffix after ".partial-" (default: random); the CLI puts its pid in it. */
    tempTag?: string;
  } = {},
): ExportSink & { readonly tempDir: string } {
  const clean = dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
  const rand = () => Math.random().toString(36).slice(2, 10);
  const tempDir = `${clean}${PARTIAL_INFIX}${opts.tempTag ?? rand()}`;
  let begun = false;
  return {
    tempDir,
    async begin() {
      for (const p of opts.protect ?? []) {
        if (!pathsOverlap(clean, p)) continue;
        const how = norm(clean) === norm(p) ? 'is' : norm(clean).length < norm(p).length ? 'contains' : 'lies inside';
        throw new ExportError(
          `The export folder ${clean} ${how} the model folder ${p}; writing there would replace or corrupt the model. Choose a folder outside it.`,
          { reason: 'overlaps-model', path: clean, model: p },
        );
      }
      if (!opts.overwrite && (await fs.exists(clean)))
        throw new ExportError(`${clean} already exists; choose a new folder (or allow overwriting it).`, {
          reason: 'exists',
          path: clean,
        });
      await fs.mkdir(tempDir);
      begun = true;
    },
    async write(f) {
      if (!begun) await this.begin?.();
      const path = `${tempDir}/${f.path}`;
      await fs.mkdir(parent(path));
      await fs.writeFile(path, f.parts);
    },
    async commit() {
      if (!(opts.overwrite && (await fs.exists(clean)))) {
        await fs.rename(tempDir, clean);
        return;
      }
      // Replace without a moment where neither the old nor the new folder exists in full:
      // old -> aside, new -> in place, then remove the old. A failure before the last step puts the
      // old folder back; a failure in the last step leaves "<dir>.replaced-*" for the person to remove.
      const aside = `${clean}.replaced-${rand()}`;
      await fs.rename(clean, aside);
      try {
        await fs.rename(tempDir, clean);
      } catch (e) {
        await fs.rename(aside, clean).catch(() => undefined);
        throw e;
      }
      await fs.rm(aside).catch(() => undefined);
    },
    async abort() {
      if (begun) await fs.rm(tempDir);
    },
  };
}

/** fflate writes no ZIP64: archives, and every file in them, stay under 4 GiB (less room for headers). */
export const ZIP_MAX_BYTES = 2 ** 32 - 2 ** 24;

/** Throws ExportError when an export of `totalBytes` cannot be one zip download. */
export function checkZipFits(totalBytes: number): void {
  if (totalBytes > ZIP_MAX_BYTES)
    throw new ExportError(
      `This export is ${(totalBytes / 2 ** 30).toFixed(2)} GiB, more than one zip download can hold (4 GiB, no ZIP64). ` +
        'Export fewer formats at a time, or export to a folder (or with the CLI): ONNX weights past 2 GB are then written as external data files of under 2 GiB each (model.onnx_data, model.onnx_data_1, ...), which transformers.js loads.',
      { reason: 'zip-too-large', totalBytes, limitBytes: ZIP_MAX_BYTES },
    );
}

/**
 * A zip archive streamed to `onChunk` (final = true on the last chunk, after commit()). Files are
 * stored, not compressed. Throws ExportError as soon as the archive would pass ZIP_MAX_BYTES.
 */
export function zipSink(onChunk: (chunk: Uint8Array, final: boolean) => void): ExportSink {
  let failure: unknown = null;
  const zip = new Zip((err, chunk, final) => {
    if (err) failure = err;
    else onChunk(chunk, final);
  });
  let total = 0;
  const rethrow = () => {
    if (failure) throw failure;
  };
  return {
    write(f) {
      total += f.size + 128 + f.path.length * 2;
      checkZipFits(total);
      const entry = new ZipPassThrough(f.path);
      zip.add(entry);
      if (f.parts.length === 0) entry.push(new Uint8Array(0), true);
      for (let i = 0; i < f.parts.length; i++) entry.push(f.parts[i], i === f.parts.length - 1);
      rethrow();
    },
    async commit() {
      zip.end();
      rethrow();
    },
    async abort() {
      zip.terminate();
    },
  };
}
