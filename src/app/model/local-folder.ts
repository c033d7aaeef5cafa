/**
 * Reading a model folder the person picked (showDirectoryPicker, or <input webkitdirectory>) or dropped
 * (DataTransfer entries). Only the files a model folder needs are kept: *.json and *.safetensors at the
 * top level of the folder (an onnx/ subfolder or checkpoints elsewhere are not read).
 */
import type { LocalFile } from '../../engine/api';

export interface PickedFolder {
  name: string;
  files: LocalFile<File>[];
}

export function wanted(name: string): boolean {
  return /\.(json|safetensors)$/i.test(name);
}

/** From <input webkitdirectory> files (webkitRelativePath = "folder/file"). */
export function folderFromFileList(list: FileList | File[]): PickedFolder | null {
  const files = [...list];
  if (files.length === 0) return null;
  const rel = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const first = rel(files[0]).split('/');
  const name = first.length > 1 ? first[0] : 'dropped files';
  const out: LocalFile<File>[] = [];
  for (const f of files) {
    const parts = rel(f).split('/');
    const inside = parts.length > 1 ? parts.slice(1) : parts;
    if (inside.length === 1 && wanted(inside[0])) out.push({ path: inside[0], file: f });
  }
  return { name, files: out };
}

interface DirHandle {
  name: string;
  kind: 'directory';
  values(): AsyncIterable<{ kind: 'file' | 'directory'; name: string; getFile?: () => Promise<File> }>;
}

export function canPickDirectory(): boolean {
  return typeof (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/** showDirectoryPicker(); null when the person cancels. */
export async function pickDirectory(): Promise<PickedFolder | null> {
  const w = window as unknown as { showDirectoryPicker(opts?: { mode?: string; id?: string }): Promise<DirHandle> };
  let dir: DirHandle;
  try {
    dir = await w.showDirectoryPicker({ mode: 'read', id: 'droplab-model' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return null;
    throw e;
  }
  const files: LocalFile<File>[] = [];
  for await (const entry of dir.values()) {
    if (entry.kind === 'file' && wanted(entry.name) && entry.getFile)
      files.push({ path: entry.name, file: await entry.getFile() });
  }
  return { name: dir.name, files };
}

/** A folder (or loose files) dropped on the page. */
export async function folderFromDrop(dt: DataTransfer): Promise<PickedFolder | null> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  const dir = entries.find((e) => e.isDirectory) as FileSystemDirectoryEntry | undefined;
  if (dir) {
    const children = await readAll(dir.createReader());
    const files: LocalFile<File>[] = [];
    for (const c of children) {
      if (c.isFile && wanted(c.name)) files.push({ path: c.name, file: await fileOf(c as FileSystemFileEntry) });
    }
    return { name: dir.name, files };
  }
  const loose = [...dt.files].filter((f) => wanted(f.name));
  return loose.length ? { name: 'dropped files', files: loose.map((f) => ({ path: f.name, file: f })) } : null;
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function fileOf(e: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => e.file(resolve, reject));
}
