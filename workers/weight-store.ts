/**
 * Hub weight files on disk in the Origin Private File System (issue 13), for the engine worker.
 *
 * Chromium's renderer held a whole extra copy of a weight file streamed into the Cache API (about the
 * file's size above idle after the download, more while the graphs were built: bench/browser-scale.ts
 * with `--source hub`). A FileSystemSyncAccessHandle writes each downloaded chunk straight to a file and
 * reads a tensor's byte range back synchronously: the renderer holds neither the file nor a Blob of it.
 *
 * A file is named by the SHA-256 of its URL; the Cache API keeps a small marker for it (model-files.ts),
 * so that "is this model cached" and "clear the cache" work as for the other files. Only one sync handle
 * per file may be open at a time, so the handles this worker opened stay open and are reused.
 */

/** A weight file open for synchronous writes and reads. */
export interface WeightFile {
  size(): number;
  /** Writes all of `chunk` at byte `at`; throws when the disk refuses (quota). */
  write(chunk: Uint8Array, at: number): void;
  /** Bytes [begin, end). */
  read(begin: number, end: number): Uint8Array;
  /** Cuts the file to `size` bytes and flushes it to disk. */
  finish(size: number): void;
}

/** Where Hub weight files are kept on disk (the OPFS in a worker; fakes in tests). */
export interface WeightStore {
  /** The file for `url`, created empty (`create`) or as it is (null when there is none). */
  open(url: string, create: boolean): Promise<WeightFile | null>;
  remove(url: string): Promise<void>;
}

interface SyncHandle {
  getSize(): number;
  write(buf: Uint8Array, opts: { at: number }): number;
  read(buf: Uint8Array, opts: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

const DIR = 'droplab-hub-weights-v1';

async function nameOf(url: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(url)));
  return `${[...digest].map((b) => b.toString(16).padStart(2, '0')).join('')}.safetensors`;
}

function wrapHandle(h: SyncHandle): WeightFile {
  return {
    size: () => h.getSize(),
    write(chunk, at) {
      for (let done = 0; done < chunk.length; ) {
        const n = h.write(chunk.subarray(done), { at: at + done });
        if (n <= 0) throw new DOMException('The disk took no more bytes.', 'QuotaExceededError');
        done += n;
      }
    },
    read(begin, end) {
      const out = new Uint8Array(end - begin);
      for (let done = 0; done < out.length; ) {
        const n = h.read(out.subarray(done), { at: begin + done });
        if (n <= 0) throw new RangeError(`The cached weight file ends at byte ${begin + done}, before ${end}.`);
        done += n;
      }
      return out;
    },
    finish(size) {
      h.truncate(size);
      h.flush();
    },
  };
}

/**
 * The OPFS weight store, or null where there is none (Node, a window, a browser without sync access
 * handles, a private window that refuses the OPFS).
 */
export async function opfsWeightStore(): Promise<WeightStore | null> {
  const storage = (
    globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }
  ).navigator?.storage;
  const Handle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  if (!storage?.getDirectory || !Handle || !('createSyncAccessHandle' in Handle.prototype)) return null;
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await (await storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
  } catch {
    return null;
  }
  const open = new Map<string, { handle: SyncHandle; file: WeightFile }>();
  return {
    async open(url, create) {
      const name = await nameOf(url);
      let entry = open.get(name);
      if (!entry) {
        let fh: FileSystemFileHandle;
        try {
          fh = await dir.getFileHandle(name, { create });
        } catch {
          return null; // not there
        }
        const handle = (await (
          fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
        ).createSyncAccessHandle()) as SyncHandle;
        entry = { handle, file: wrapHandle(handle) };
        open.set(name, entry);
      }
      if (create) entry.handle.truncate(0);
      return entry.file;
    },
    async remove(url) {
      const name = await nameOf(url);
      // A file this worker has open may be the loaded model's: it stays (the OPFS refuses to remove it);
      // without its marker the next load downloads it again.
      if (!open.has(name)) await dir.removeEntry(name).catch(() => {});
    },
  };
}
