/**
 * Serializing an export graph: one .onnx file while the weights fit protobuf's 2 GB limit, else the
 * .onnx file with every initializer of 1 KiB or more in external data files, split the way
 * transformers.js loads them (`use_external_data_format: n` in config.json's "transformers.js_config"):
 *
 *   onnx/model_q4.onnx          the graph, initializers refer to:
 *   onnx/model_q4.onnx_data     chunk 0
 *   onnx/model_q4.onnx_data_1   chunk 1, ...
 *
 * Each chunk holds whole tensors and stays under `maxDataFileBytes` (default just under 2 GiB, what a
 * browser ArrayBuffer and onnxruntime-web's external-data loader take); offsets are 4 KiB aligned.
 * Nothing here joins the chunks into one buffer: a file comes back as its parts.
 */
import type { GraphBuilder } from '../onnx/builder';
import { type ExternalRef, encodeModel } from '../onnx/proto';

/** One file of an export: its path in the folder and its bytes as parts (concatenated = the file). */
export interface ExportFile {
  path: string;
  parts: Uint8Array[];
  size: number;
}

export function exportFile(path: string, bytes: Uint8Array | Uint8Array[]): ExportFile {
  const parts = Array.isArray(bytes) ? bytes : [bytes];
  return { path, parts, size: parts.reduce((n, p) => n + p.byteLength, 0) };
}

/** The file's bytes in one array (copies unless it has a single part). */
export function fileBytes(f: ExportFile): Uint8Array {
  if (f.parts.length === 1) return f.parts[0];
  const out = new Uint8Array(f.size);
  let o = 0;
  for (const p of f.parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Weights past this go to external data (protobuf messages are limited to 2 GiB; leave room for the graph). */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 2 ** 26;
/** Largest external data file. */
export const DEFAULT_MAX_DATA_FILE_BYTES = 2 ** 31 - 2 ** 26;

export interface OnnxFileOptions {
  /** Use external data when the initializers exceed this many bytes (default just under 2 GiB). */
  externalDataThreshold?: number;
  /** Most bytes per external data file (default just under 2 GiB). */
  maxDataFileBytes?: number;
  /** Initializers smaller than this stay inside the .onnx file (default 1024). */
  minExternalBytes?: number;
}

export interface OnnxFiles {
  files: ExportFile[];
  /** Number of external data files (0: weights inside the .onnx file). */
  dataFiles: number;
  /** Bytes of all initializers. */
  weightBytes: number;
}

const ALIGN = 4096;

/** The .onnx file at `path` (e.g. "onnx/model.onnx") and its external data files, if any. */
export function onnxFiles(b: GraphBuilder, path: string, opts: OnnxFileOptions = {}): OnnxFiles {
  const m = b.modelData();
  const inits = m.graph.initializers;
  const weightBytes = inits.reduce((n, t) => n + t.bytes.byteLength, 0);
  const threshold = opts.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
  if (weightBytes <= threshold) return { files: [exportFile(path, encodeModel(m))], dataFiles: 0, weightBytes };

  const maxFile = opts.maxDataFileBytes ?? DEFAULT_MAX_DATA_FILE_BYTES;
  const minBytes = opts.minExternalBytes ?? 1024;
  const base = path.slice(path.lastIndexOf('/') + 1); // model.onnx
  const dir = path.slice(0, path.lastIndexOf('/') + 1); // onnx/
  const chunkName = (i: number) => `${base}_data${i === 0 ? '' : `_${i}`}`;
  const refs = new Map<string, ExternalRef>();
  const chunks: Uint8Array[][] = [[]];
  let offset = 0;
  for (const t of inits) {
    const n = t.bytes.byteLength;
    if (n < minBytes) continue;
    let pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (offset > 0 && offset + pad + n > maxFile) {
      chunks.push([]);
      offset = 0;
      pad = 0;
    }
    const parts = chunks[chunks.length - 1];
    if (pad) {
      parts.push(new Uint8Array(pad));
      offset += pad;
    }
    refs.set(t.name, { location: chunkName(chunks.length - 1), offset, length: n });
    parts.push(t.bytes);
    offset += n;
  }
  const files = [
    exportFile(path, encodeModel(m, refs)),
    ...chunks.map((parts, i) => exportFile(dir + chunkName(i), parts)),
  ];
  return { files, dataFiles: chunks.length, weightBytes };
}
