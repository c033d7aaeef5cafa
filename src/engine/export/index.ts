/**
 * Export of a pruned model (DESIGN.md §4 Formats): one folder that is at once
 *
 *   - an LLM-Drop model folder: config.json with drop_attn_list / drop_mlp_list and LLM-Drop's auto_map,
 *     the pruned checkpoint (model.safetensors, or shards + index) keeping only kept sublayers' tensors
 *     under their original names, generation_config.json and the tokenizer files;
 *   - a transformers.js model folder: the same config.json and tokenizer, plus onnx/model.onnx (fp32),
 *     onnx/model_fp16.onnx, onnx/model_quantized.onnx (q8), onnx/model_q4.onnx, each with a KV cache
 *     (graph.ts), and external data files past 2 GB (onnx-file.ts).
 *
 * Host-agnostic (no DOM, no Node): files come out one at a time, complete, through an async iterator
 * (exportFiles) or a sink (exportModel). A sink that must not leave half an export behind gets
 * commit()/abort() calls: folderSink() (over an injected file-system object) writes into a temporary
 * folder and renames it at the end; zipSink() streams a stored (uncompressed) zip with fflate.
 *
 *   const est = estimateExport(model, { drop, formats: ['q4'] });      // before anything is built
 *   const res = await exportModel({ model, files }, { drop, formats: ['fp32', 'q4'], onProgress, signal }, sink);
 */
import type { DropConfig, ExportFormat, ExportResult, ModelFiles, ProgressFn } from '../api';
import { normalizeDrop } from '../drops';
import { CancelledError, ExportError } from '../errors';
import type { LoadedModel } from '../model/load';
import type { ModelSpec } from '../model/spec';
import { prunedCheckpointFiles, prunedTensors } from './checkpoint';
import {
  EXPORT_FORMATS,
  isExportFormat,
  keptAttention,
  ONNX_FILE,
  QUANT_BLOCK,
  buildKvGraph,
  kvBytesPerToken,
} from './graph';
import { checkSomethingKept, llmDropConfig } from './llmdrop';
import {
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  type ExportFile,
  exportFile,
  onnxFiles,
  type OnnxFileOptions,
} from './onnx-file';
import type { ExportSink } from './sinks';
import type { Q4Plan } from './calibrated';

export { readDropConfig, llmDropConfig, LLMDROP_AUTO_MAP, LLMDROP_MODELING_FAMILIES } from './llmdrop';
export { prunedTensors, prunedCheckpointFiles } from './checkpoint';
export {
  EXPORT_FORMATS,
  ONNX_FILE,
  KV_IO,
  KV_DIM,
  QUANT_BLOCK,
  QUANT_ACCURACY_LEVEL,
  HEAD_BITS,
  buildKvGraph,
  keptAttention,
  kvBytesPerToken,
  isExportFormat,
} from './graph';
export type { ExportFormat } from '../api';
export { DEFAULT_EXTERNAL_DATA_THRESHOLD, onnxFiles, fileBytes, exportFile } from './onnx-file';
export type { ExportFile, OnnxFileOptions } from './onnx-file';
export {
  KvDecoder,
  greedyGenerate,
  sampleToken,
  argmax,
  kvLayout,
  type KvCache,
  type KvLayout,
  type GenerateOptions,
  type SamplingOptions,
} from './generate';
export {
  folderSink,
  zipSink,
  checkZipFits,
  pathsOverlap,
  PARTIAL_INFIX,
  ZIP_MAX_BYTES,
  type ExportSink,
  type FolderFs,
} from './sinks';

/** Anything with an `aborted` flag (an AbortSignal, or a plain object the caller flips). */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface ExportOptions extends OnnxFileOptions {
  drop: DropConfig;
  /** ONNX formats to write (default ['fp32']); [] writes no ONNX file. */
  formats?: readonly ExportFormat[];
  /** Write the pruned safetensors checkpoint (default true). */
  checkpoint?: boolean;
  /** Most bytes of tensor data per safetensors shard (default just under 2 GiB). */
  maxShardBytes?: number;
  onProgress?: ProgressFn;
  /** Checked between layers and files; when set, the export throws CancelledError. */
  signal?: CancelSignal;
  /** The source model's name for README.md (e.g. the Hub id); default config.json's _name_or_path. */
  name?: string;
  /**
   * q4's MatMulNBits weights made beforehand by planQ4 (calibrated.ts: rtn, gptq or awq, block 32, 64
   * or 128; it calibrates on the runtime, with its own progress and cancel). Without it, q4 is today's
   * RTN at block 32, byte for byte.
   */
  q4Plan?: Q4Plan;
}

export interface ExportSource {
  /** The loaded model (Engine.model, or loadModelFromFiles). */
  model: LoadedModel;
  /** The folder it was loaded from (config, tokenizer and generation files are copied from it). */
  files: ModelFiles;
}

export type { ExportResult } from '../api';

/** Tokenizer files copied when the source has them. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
  'chat_template.json',
] as const;

// ---------------------------------------------------------------------------------------------------
// validation and size estimate

/** Checks formats and drops before anything is built: ExportError / DropConfigError. */
export function checkExportOptions(
  spec: ModelSpec,
  opts: Pick<ExportOptions, 'drop' | 'formats'>,
): { drop: DropConfig; formats: ExportFormat[] } {
  const formats = [...(opts.formats ?? ['fp32'])];
  for (const f of formats) {
    if (!isExportFormat(f))
      throw new ExportError(`Unknown export format "${String(f)}". Choose from ${EXPORT_FORMATS.join(', ')}.`, {
        reason: 'unknown-format',
        format: String(f),
        formats: [...EXPORT_FORMATS],
      });
  }
  const drop = normalizeDrop(opts.drop, spec.numLayers);
  checkSomethingKept(spec, drop);
  return { drop, formats: [...new Set(formats)] };
}

export interface ExportEstimate {
  files: { path: string; bytes: number }[];
  totalBytes: number;
  /** Formats whose weights will go to external data files (past 2 GB). */
  externalData: ExportFormat[];
  /** KV-cache bytes per token of context (batch 1, float32) of the pruned model, and of the full one. */
  kvBytesPerToken: { pruned: number; full: number };
}

/** Bytes of one linear [N, K] (+ bias) in a format. */
function linearBytesOf(
  N: number,
  K: number,
  bias: boolean,
  format: ExportFormat | 'head8',
  q4Block = QUANT_BLOCK,
): number {
  const blocks = Math.ceil(K / QUANT_BLOCK);
  const blocks4 = Math.ceil(K / q4Block);
  const b = bias ? 4 * N : 0;
  switch (format) {
    case 'fp32':
      return 4 * N * K + b;
    case 'fp16':
      return 2 * N * K + b;
    case 'q8':
    case 'head8':
      return N * blocks * QUANT_BLOCK + 4 * N * blocks + b;
    case 'q4':
      return N * blocks4 * (q4Block / 2) + 4 * N * blocks4 + b;
  }
}

/** Weight bytes of the ONNX graph of `format` (what the .onnx file, or its data files, hold). */
export function estimateOnnxWeightBytes(
  spec: ModelSpec,
  drop: DropConfig,
  format: ExportFormat,
  q4Block = QUANT_BLOCK,
): number {
  const linearBytes = (N: number, K: number, bias: boolean, f: ExportFormat | 'head8') =>
    linearBytesOf(N, K, bias, f, q4Block);
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
  const normBytes = (spec.norm === 'layer' ? 2 : 1) * d * 4;
  const attnDropped = new Set(drop.attn);
  const mlpDropped = new Set(drop.mlp);
  let n = 0;
  for (let l = 0; l < spec.numLayers; l++) {
    if (!attnDropped.has(l)) {
      n += normBytes;
      n += linearBytes(H * hd, d, spec.qkvBias, format) + 2 * linearBytes(Hkv * hd, d, spec.qkvBias, format);
      n += linearBytes(d, H * hd, spec.oBias, format);
    }
    if (!mlpDropped.has(l)) {
      n += normBytes;
      n +=
        (spec.mlp === 'gated' ? 2 : 1) * linearBytes(I, d, spec.mlpBias, format) +
        linearBytes(d, I, spec.mlpBias, format);
    }
  }
  n += normBytes; // final norm
  const embedBytes = (format === 'fp32' ? 4 : 2) * V * d;
  n += embedBytes;
  if (spec.position === 'learned') n += (format === 'fp32' ? 4 : 2) * spec.maxPositions * d;
  if (format === 'q8' || format === 'q4') n += linearBytes(V, d, false, 'head8');
  else if (!spec.tiedEmbeddings) n += embedBytes;
  if (spec.position === 'rope' && keptAttention(spec, drop).length > 0) n += (hd / 2) * 4; // inv_freq (EXPORT_ROPE)
  return n;
}

/**
 * What an export will write, before anything is built (from the spec and the checkpoint's index of
 * tensors; no weight is decoded). The ONNX sizes are within a few KiB of the real ones (graph
 * structure aside).
 */
export function estimateExport(
  model: LoadedModel,
  opts: Pick<ExportOptions, 'drop' | 'formats' | 'checkpoint' | 'externalDataThreshold'> & {
    /** Only its block size is read (a preview passes the block asked for before any plan exists). */
    q4Plan?: Pick<Q4Plan, 'block'>;
  },
): ExportEstimate {
  const { drop, formats } = checkExportOptions(model.spec, opts);
  const files: { path: string; bytes: number }[] = [];
  if (opts.checkpoint ?? true) {
    const { keep } = prunedTensors(model.store, model.plan, drop);
    const bytes = keep.reduce((n, name) => n + model.store.info(name).byteLength, 0);
    files.push({ path: 'model.safetensors', bytes: bytes + 64 * keep.length + 64 });
  }
  const externalData: ExportFormat[] = [];
  const threshold = opts.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
  for (const f of formats) {
    const w = estimateOnnxWeightBytes(model.spec, drop, f, opts.q4Plan?.block);
    files.push({ path: ONNX_FILE[f], bytes: w + 2048 * model.spec.numLayers + 4096 });
    if (w > threshold) externalData.push(f);
  }
  return {
    files,
    totalBytes: files.reduce((n, f) => n + f.bytes, 0),
    externalData,
    kvBytesPerToken: {
      pruned: kvBytesPerToken(model.spec, drop),
      full: kvBytesPerToken(model.spec, { attn: [], mlp: [] }),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// the export

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

function readme(
  name: string,
  spec: ModelSpec,
  drop: DropConfig,
  formats: ExportFormat[],
  llmDropLoadable: boolean,
  warnings: string[],
): string {
  const lines = [
    `# ${name}, pruned with DropLab`,
    '',
    `A ${spec.family} model (${spec.numLayers} layers) with sublayers dropped as in LLM-Drop`,
    '(He et al., "What Matters in Transformers? Not All Attention is Needed", 2024):',
    '',
    `- attention dropped (drop_attn_list): ${JSON.stringify(drop.attn)}`,
    `- MLP dropped (drop_mlp_list): ${JSON.stringify(drop.mlp)}`,
    '',
    'Files:',
    '',
    '- `config.json`: the original config plus the drop lists' +
      (llmDropLoadable ? " and LLM-Drop's `auto_map`." : '.'),
    '- `model.safetensors` (if present): the original tensors of the kept sublayers only, names unchanged.',
  ];
  for (const f of formats)
    lines.push(
      `- \`${ONNX_FILE[f]}\`: ${f}, with a KV cache for the kept attention layers (transformers.js dtype "${f}").`,
    );
  lines.push(
    '',
    'transformers.js: `pipeline("text-generation", "<this folder>", { dtype: "q4" })` (or "fp32", "fp16", "q8").',
    '',
  );
  if (llmDropLoadable)
    lines.push(
      "LLM-Drop / PyTorch: copy LLM-Drop's `configuration_dropped_" +
        spec.family +
        '.py` and `modeling_dropped_' +
        spec.family +
        '.py`',
      '(src/llmtuner/compression/prune/models/) into this folder and load it with `trust_remote_code=True`.',
      '',
    );
  for (const w of warnings) lines.push(`Note: ${w}`, '');
  return lines.join('\n');
}

/**
 * Every file of the export, one at a time, each complete when yielded (nothing half-built ever comes
 * out). Throws (before yielding anything) ExportError for an unknown format or when every sublayer is
 * dropped, DropConfigError for a bad drop list; CancelledError when `signal.aborted` turns true.
 * Stopping the iteration early (break / return()) also stops the export.
 */
export async function* exportFiles(src: ExportSource, opts: ExportOptions): AsyncGenerator<ExportFile, ExportResult> {
  const { model, files } = src;
  const { spec } = model;
  const { drop, formats } = checkExportOptions(spec, opts);
  const cfg = llmDropConfig(model.config, spec, drop);
  const estimate = estimateExport(model, { ...opts, drop, formats });
  const total = estimate.totalBytes;
  let done = 0;
  const check = () => {
    if (opts.signal?.aborted) throw new CancelledError('Export cancelled: nothing was written.');
  };
  const report = (extra = 0) =>
    opts.onProgress?.({ stage: 'export', done: Math.min(total, done + extra), total, unit: 'bytes' });
  const written: { path: string; size: number }[] = [];
  const emit = (f: ExportFile) => {
    written.push({ path: f.path, size: f.size });
    done += f.size;
    report();
    return f;
  };
  check();
  report();

  // small files first
  for (const name of ['generation_config.json', ...TOKENIZER_FILES]) {
    if (!files.names().includes(name)) continue;
    const bytes = await files.read(name);
    check();
    yield emit(exportFile(name, bytes));
  }

  if (opts.checkpoint ?? true) {
    const { keep, rename } = prunedTensors(model.store, model.plan, drop);
    for (const f of prunedCheckpointFiles(model.store, keep, opts.maxShardBytes, rename)) {
      check();
      yield emit(exportFile(f.path, f.bytes));
    }
  }

  const externalData: Partial<Record<ExportFormat, number>> = {};
  for (const format of formats) {
    check();
    const est = estimate.files.find((f) => f.path === ONNX_FILE[format])?.bytes ?? 0;
    const g = buildKvGraph(spec, model.weights, drop, format, {
      onLayer: (l) => {
        check();
        report(Math.round((est * (l + 1)) / (spec.numLayers + 1)));
      },
      metadata: { source_model_type: String(model.config.model_type ?? spec.family) },
      q4: opts.q4Plan,
    });
    const out = onnxFiles(g, ONNX_FILE[format], opts);
    externalData[format] = out.dataFiles;
    for (const f of out.files) {
      check();
      yield emit(f);
    }
  }

  // config.json last: it records which formats use external data
  const config = { ...cfg.config };
  const chunks = Object.fromEntries(
    Object.entries(externalData)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([f, n]) => [ONNX_FILE[f as ExportFormat].slice('onnx/'.length), n]),
  );
  if (Object.keys(chunks).length) {
    const tjs = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
    config['transformers.js_config'] = { ...tjs, use_external_data_format: chunks };
  }
  check();
  yield emit(exportFile('config.json', json(config)));
  const sourceName = model.config._name_or_path;
  const name = opts.name ?? (typeof sourceName === 'string' && sourceName ? sourceName : `${spec.family} model`);
  yield emit(
    exportFile(
      'README.md',
      new TextEncoder().encode(readme(name, spec, drop, formats, cfg.llmDropLoadable, cfg.warnings)),
    ),
  );

  return {
    drop,
    formats,
    files: written,
    totalBytes: done,
    externalData,
    llmDropLoadable: cfg.llmDropLoadable,
    warnings: cfg.warnings,
  };
}

/**
 * Run the export into `sink`. A sink with commit()/abort() gets commit() after the last file, or
 * abort() when anything fails or is cancelled (then the error is rethrown), so a transactional sink
 * (folderSink) leaves either the whole export or nothing. A plain callback gets each file.
 */
export async function exportModel(
  src: ExportSource,
  opts: ExportOptions,
  sink: ExportSink | ((f: ExportFile) => Promise<void> | void),
): Promise<ExportResult> {
  const s = typeof sink === 'function' ? { write: sink } : sink;
  // Validate before the sink does anything (a folder sink must not even create its temporary folder).
  checkExportOptions(src.model.spec, opts);
  if (opts.signal?.aborted) throw new CancelledError('Export cancelled: nothing was written.');
  try {
    await s.begin?.();
    const it = exportFiles(src, opts);
    for (;;) {
      const r = await it.next();
      if (r.done) {
        await s.commit?.();
        return r.value;
      }
      await s.write(r.value);
    }
  } catch (e) {
    await s.abort?.(e).catch(() => undefined);
    throw e;
  }
}
