/**
 * A checkpoint read a tensor at a time (issue 13): only the safetensors headers are read when the model
 * opens; every Param.load() reads that tensor's byte range from the file (ModelFiles.readRange: Node
 * file reads, FileReaderSync on a Blob slice in a worker), decodes it and keeps nothing. No weight file is
 * held for the model's lifetime, so the engine's memory is what the runtime holds plus one tensor.
 */
import type { ModelFiles, ProgressFn } from '../api';
import { MissingWeightError, SafetensorsHeaderError } from '../errors';
import { checkFinite, INDEX_FILE, type TensorStore, weightLayout } from './checkpoint';
import {
  decodeToFloat32,
  headerByteLength,
  parseLayout,
  type SafetensorsTensor,
  type TensorEntry,
} from './safetensors';
import type { Param } from './spec';

/** A ModelFiles that can stream (size and readRange both present). */
export type RangeFiles = ModelFiles & Required<Pick<ModelFiles, 'size' | 'readRange'>>;

export function canStream(files: ModelFiles): files is RangeFiles {
  return typeof files.size === 'function' && typeof files.readRange === 'function';
}

/** Parse the headers of every weight file (8 + header bytes each); the data stays in the files. */
export async function openStreamedCheckpoint(
  files: RangeFiles,
  opts: { onProgress?: ProgressFn } = {},
): Promise<TensorStore> {
  const layout = await weightLayout(files);
  const where = new Map<string, { file: string; e: TensorEntry; dataStart: number }>();
  const metadata: Record<string, string> = Object.create(null);
  let done = 0;
  for (const file of layout.files) {
    opts.onProgress?.({ stage: 'load', done, total: layout.files.length, unit: 'files' });
    const size = files.size(file);
    const first = files.readRange(file, 0, Math.min(8, size));
    const head = files.readRange(file, 0, headerByteLength(first, file, size));
    const l = parseLayout(head, size, file);
    Object.assign(metadata, l.metadata);
    for (const [name, e] of l.entries) {
      const prev = where.get(name);
      if (prev)
        throw new SafetensorsHeaderError(`Tensor "${name}" appears in both ${prev.file} and ${file}.`, {
          tensor: name,
          file,
        });
      where.set(name, { file, e, dataStart: l.dataStart });
    }
    done++;
  }
  opts.onProgress?.({ stage: 'load', done, total: layout.files.length, unit: 'files' });
  if (layout.kind === 'sharded') {
    for (const [name, file] of Object.entries(layout.weightMap)) {
      if (where.get(name)?.file !== file) {
        throw new MissingWeightError(
          `${INDEX_FILE} places tensor "${name}" in ${file}, but that shard does not contain it.`,
          { weight: name, file },
        );
      }
    }
  }
  return streamedStore(files, layout.files, metadata, where);
}

function streamedStore(
  files: RangeFiles,
  fileNames: readonly string[],
  metadata: Record<string, string>,
  where: Map<string, { file: string; e: TensorEntry; dataStart: number }>,
): TensorStore {
  const lookup = (name: string) => {
    const w = where.get(name);
    if (!w) throw new MissingWeightError(`The checkpoint has no tensor "${name}".`, { weight: name });
    return w;
  };
  /** Bytes of rows [r0, r1) of a tensor (whole tensor: 0..shape[0]). */
  const readRows = (name: string, r0: number, r1: number): SafetensorsTensor => {
    const { file, e, dataStart } = lookup(name);
    const rowBytes = e.shape.length ? (e.end - e.begin) / Math.max(1, e.shape[0]) : e.end - e.begin;
    const begin = dataStart + e.begin + r0 * rowBytes;
    const end = e.shape.length ? dataStart + e.begin + r1 * rowBytes : dataStart + e.end;
    return {
      dtype: e.dtype,
      shape: e.shape.length ? [r1 - r0, ...e.shape.slice(1)] : [],
      bytes: files.readRange(file, begin, end),
    };
  };
  const params = new Map<string, Param>();
  return {
    files: fileNames,
    metadata,
    names: () => [...where.keys()],
    has: (name) => where.has(name),
    info: (name) => {
      const { file, e } = lookup(name);
      return { name, dtype: e.dtype, shape: e.shape, file, byteLength: e.end - e.begin };
    },
    raw: (name) => {
      const { e } = lookup(name);
      return readRows(name, 0, e.shape[0] ?? 1);
    },
    get: (name) => {
      let p = params.get(name);
      if (p) return p;
      const { file, e } = lookup(name);
      const shape = Object.freeze([...e.shape]);
      const decode = (t: SafetensorsTensor, what: string) => {
        const v = decodeToFloat32(t, `${file}: tensor "${what}"`);
        checkFinite(v, name, file, t.dtype);
        // An aligned F32 tensor decodes to a view of the bytes just read: still a fresh buffer, owned here.
        return v;
      };
      p = {
        shape,
        load: () => decode(readRows(name, 0, e.shape[0] ?? 1), name),
        loadRows: (r0: number, r1: number) => decode(readRows(name, r0, r1), `${name}[${r0}:${r1}]`),
      };
      params.set(name, p);
      return p;
    },
    storedBytes: () => {
      let n = 0;
      for (const { e } of where.values()) n += e.end - e.begin;
      return n;
    },
  };
}
