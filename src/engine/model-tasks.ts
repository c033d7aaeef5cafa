/**
 * The export, generation and speed methods of EngineApi (src/engine/api.ts) over the model the Engine
 * has loaded and the files it was loaded from; Engine (engine.ts) delegates them here.
 *
 * - Export: src/engine/export's exportModel into its zipSink; the archive's bytes go to `onChunks` in
 *   batches (export/zip-batches.ts: each a fresh buffer, so a host may transfer it), each batch await-ed,
 *   so the engine stays at most one batch ahead. cancel('export') flips the export's signal: it stops at
 *   the next layer or file, the zip is terminated, and the receiver drops what it has.
 * - q4 with a Q4Request (export/workbench-q4.ts): before any byte, the calibration and held-out windows
 *   are cut from the current text and planQ4 calibrates and quantizes (stage 'quantize'; the export's
 *   signal stops it); after the last byte, the written q4 file and the fp32 graph are scored on the
 *   held-out windows (stage 'perplexity'), and the summary, so the download, waits for that.
 * - Generation and speed: generate/side-by-side.ts and generate/speed.ts on KV-cache sessions kept per
 *   drop configuration (generate/kv-sessions.ts).
 *
 * These calls run beside the Engine's own queue (they never touch its sessions): the model's weights
 * are read, not changed. One generation or speed measurement at a time, and one export at a time.
 */
import type {
  DropConfig,
  EngineApi,
  EngineTask,
  ExportPreview,
  ExportRequest,
  ExportSummary,
  GenerateEvent,
  GenerateRequest,
  GenerateSummary,
  ModelFiles,
  Progress,
  SpeedReport,
  SpeedRequest,
} from './api';
import { CancelledError, ExportError, RuntimeError } from './errors';
import {
  checkExportOptions,
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  estimateExport,
  estimateOnnxWeightBytes,
  type ExportSink,
  exportModel,
  llmDropConfig,
  TOKENIZER_FILES,
  ZIP_MAX_BYTES,
  zipSink,
} from './export';
import { ONNX_FILE } from './export/graph';
import {
  isDefaultQ4,
  normalizeQ4Request,
  planWorkbenchQ4,
  previewQ4,
  type Q4Windows,
  q4Windows,
  scoreHeldout,
} from './export/workbench-q4';
import type { CurrentText } from './export/workbench-q4';
import { ChunkBatcher, zipEntryBytes } from './export/zip-batches';
import { checkGenerateRequest, eosIds, generateSideBySide } from './generate/side-by-side';
import { NO_DROPS } from './drops';
import { KvSessionCache } from './generate/kv-sessions';
import { measureDecoders } from './generate/speed';
import type { LoadedModel } from './model/load';
import type { BackendChoice, OrtLike, OrtSessionOptions } from './runtime/ort';
import type { Tokenizer } from './tokenizer';

/** What these methods need from the engine: the loaded model and where it came from, the runtime. */
export interface ModelTaskHost {
  /** The loaded model, its tokenizer, the evaluation windows' ids and the folder it was loaded from; null before a load. */
  loaded(): {
    model: LoadedModel;
    tokenizer: Tokenizer | null;
    windowIds: Int32Array | null;
    /** The current text's documents and settings (the q4 export calibrates on it); null before setText. */
    text?: CurrentText | null;
    files: ModelFiles;
    /** The display name (README.md and the download use it). */
    name: string;
  } | null;
  runtime(): {
    ort: OrtLike;
    executionProviders: string[];
    backend: BackendChoice;
    /** Runs fn with the engine's own session runs held back (workers/ort-queue.ts); absent: no holding. */
    exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  } | null;
}

export type ModelTasks = Pick<EngineApi, 'previewExport' | 'exportZip' | 'generate' | 'measureSpeed'> & {
  /** Stop the export, generation or speed measurement in flight (see EngineApi.cancel). */
  cancel(task: Exclude<EngineTask, 'analysis'>): void;
  /** Release the KV-cache sessions. */
  dispose(): Promise<void>;
};

function describeBackend(b: BackendChoice): string {
  return b.name === 'webgpu'
    ? `WebGPU (${b.detail})`
    : b.name === 'wasm'
      ? `wasm (${b.detail.replace(/^.*?(\d+ threads?)\.?$/, '$1')})`
      : b.detail;
}

export function createModelTasks(host: ModelTaskHost): ModelTasks {
  let exportSignal: { aborted: boolean } | null = null;
  let decodeCancel: { cancelled: boolean } | null = null;
  let busy: 'generate' | 'speed' | null = null;
  let sessions: KvSessionCache | null = null;

  const need = () => {
    const loaded = host.loaded();
    if (!loaded) throw new RuntimeError('No model is loaded yet: load a model first.');
    return { engine: loaded, model: loaded.model, src: loaded };
  };

  const kv = (): KvSessionCache => {
    const rt = host.runtime();
    if (!rt) throw new RuntimeError('The engine worker is not ready: the runtime did not start.');
    if (!sessions) {
      sessions = new KvSessionCache(rt.ort, (outputs) => {
        const o: OrtSessionOptions = { executionProviders: rt.executionProviders };
        // On WebGPU the cache stays on the device between steps, as the engine's hidden states do.
        if (rt.backend.keepOnDevice)
          o.preferredOutputLocation = Object.fromEntries(outputs.map((n) => [n, 'gpu-buffer']));
        return o;
      });
    }
    return sessions;
  };

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const x = host.runtime()?.exclusive;
    return x ? x(fn) : fn();
  };

  const claim = (what: 'generate' | 'speed') => {
    if (busy)
      throw new RuntimeError(
        `A ${busy === 'generate' ? 'generation' : 'speed measurement'} is running: stop it first.`,
      );
    busy = what;
    const c = { cancelled: false };
    decodeCancel = c;
    return c;
  };

  /** The q4 request with defaults and its windows, when q4 is exported with one. */
  const q4Of = (req: ExportRequest, formats: readonly string[]) => {
    if (!req.q4 || !formats.includes('q4')) return null;
    const { engine, model } = need();
    const q = normalizeQ4Request(model.spec, req.q4);
    const tok = engine.tokenizer;
    if (!tok) throw new RuntimeError('The model has no tokenizer loaded.');
    const cut = () => q4Windows((s) => tok.encode(s), tok.eosTokenId ?? model.spec.eosTokenId, engine.text ?? null, q);
    // RTN needs no calibration: without a long enough text it is exported, just not measured.
    if (q.method === 'rtn') {
      try {
        return { q, w: cut(), why: null };
      } catch (e) {
        return { q, w: null, why: (e as Error).message };
      }
    }
    return { q, w: cut(), why: null };
  };

  const preview = async (req: ExportRequest): Promise<ExportPreview> => {
    const { model, src } = need();
    const { drop, formats } = checkExportOptions(model.spec, req); // ExportError, DropConfigError
    const q4 = q4Of(req, formats); // ExportError, TextTooShortError
    const est = estimateExport(model, {
      drop,
      formats,
      checkpoint: req.checkpoint ?? true,
      ...(q4 && !isDefaultQ4(q4.q) ? { q4Plan: { block: q4.q.block } } : {}),
    });
    const cfg = llmDropConfig(model.config, model.spec, drop);
    const files: ExportPreview['files'] = [];
    const names = src.files.names();
    for (const name of ['generation_config.json', ...TOKENIZER_FILES]) {
      if (names.includes(name))
        files.push({ path: name, bytes: (await src.files.read(name)).byteLength, estimated: false });
    }
    for (const f of est.files) files.push({ path: f.path, bytes: f.bytes, estimated: true });
    files.push({ path: 'config.json', bytes: JSON.stringify(cfg.config, null, 2).length + 1, estimated: false });
    files.push({ path: 'README.md', bytes: 1500 + 200 * cfg.warnings.length, estimated: true });
    const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
    return {
      drop,
      formats,
      files,
      totalBytes,
      zipBytes: files.reduce((n, f) => n + zipEntryBytes(f.path, f.bytes), 22),
      zipLimitBytes: ZIP_MAX_BYTES,
      externalData: est.externalData,
      externalDataThresholdBytes: DEFAULT_EXTERNAL_DATA_THRESHOLD,
      llmDropLoadable: cfg.llmDropLoadable,
      family: model.spec.family,
      warnings: cfg.warnings,
      kvBytesPerToken: est.kvBytesPerToken,
      modelName: src.name,
      ...(q4 ? { q4: previewQ4(model.spec, drop, q4.q, q4.w, q4.why) } : {}),
    };
  };

  const api: ModelTasks = {
    previewExport: (req) => preview(req),

    async exportZip(req, onChunks, onProgress) {
      if (exportSignal) throw new RuntimeError('An export is already running: wait for it or cancel it.');
      const signal = { aborted: false };
      exportSignal = signal;
      const t0 = performance.now();
      try {
        const { model, src } = need();
        const p = await preview(req);
        if (p.zipBytes > p.zipLimitBytes) {
          throw new ExportError(
            `This export is about ${(p.zipBytes / 2 ** 30).toFixed(2)} GiB, more than one zip download can hold (4 GiB: the zip writer has no ZIP64). ` +
              'Export fewer formats at a time (q4 alone is the smallest), or export to a folder with the CLI (npm run cli -- export ...): ONNX weights past 2 GB are written as external data files of under 2 GiB each, which transformers.js loads.',
            { reason: 'zip-too-large', totalBytes: p.zipBytes, limitBytes: p.zipLimitBytes },
          );
        }
        // The q4 file as written (one .onnx when it has no external data), for the held-out scoring.
        let captured: Uint8Array | null = null;
        let capture = false;
        const batcher = new ChunkBatcher();
        const zip = zipSink((chunk) => batcher.push(chunk));
        const send = async (flush: boolean) => {
          const batches = batcher.take(flush);
          for (let i = 0; i < batches.length; i++) {
            if (signal.aborted) throw new CancelledError('Export cancelled: nothing was written.');
            const final = flush && i === batches.length - 1;
            await onChunks([batches[i]], final);
          }
        };
        const sink: ExportSink = {
          async write(f) {
            if (capture && f.path === ONNX_FILE.q4) captured = concat(f.parts, f.size);
            await zip.write(f);
            await send(false);
          },
          async commit() {
            await zip.commit?.();
            if (signal.aborted) throw new CancelledError('Export cancelled: nothing was written.');
            await send(true);
          },
          async abort(reason) {
            batcher.clear();
            await zip.abort?.(reason);
          },
        };
        const progress = onProgress ? (x: Progress) => void onProgress(x) : undefined;
        const q4 = q4Of(req, p.formats);
        const rt = host.runtime();
        if (q4 && !rt) throw new RuntimeError('The engine worker is not ready: the runtime did not start.');
        const q4rt = rt && { ort: rt.ort, executionProviders: rt.executionProviders, signal, onProgress: progress };
        const tq = performance.now();
        const plan =
          q4 && q4rt && !isDefaultQ4(q4.q)
            ? await planWorkbenchQ4(model.spec, model.weights, p.drop, q4.q, q4.w, q4rt)
            : undefined;
        const quantizeMs = performance.now() - tq;
        // Scored in the engine only while both graphs fit one protobuf (no external data).
        capture =
          Boolean(q4?.w?.heldoutWindows) &&
          !p.externalData.includes('q4') &&
          estimateOnnxWeightBytes(model.spec, p.drop, 'fp32') <= DEFAULT_EXTERNAL_DATA_THRESHOLD;
        const result = await exportModel(
          { model, files: src.files },
          {
            drop: p.drop,
            formats: p.formats,
            checkpoint: req.checkpoint ?? true,
            signal,
            onProgress: progress,
            name: src.name,
            ...(plan ? { q4Plan: plan } : {}),
          },
          sink,
        );
        const summary: ExportSummary = { ...result, zipBytes: batcher.total, ms: 0 };
        if (q4 && q4rt) summary.q4 = await q4Report(q4.q, q4.w, q4.why, plan, quantizeMs, captured, q4rt, p.drop);
        summary.ms = performance.now() - t0;
        return summary;
      } finally {
        if (exportSignal === signal) exportSignal = null;
      }
    },

    async generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateSummary> {
      const c = claim('generate');
      try {
        return await exclusive(() => generate(req, onEvent, c));
      } finally {
        busy = null;
      }
    },

    async measureSpeed(req: SpeedRequest, onProgress?: (p: Progress) => void): Promise<SpeedReport> {
      const c = claim('speed');
      try {
        return await exclusive(() => measure(req, onProgress, c));
      } finally {
        busy = null;
      }
    },

    cancel(task) {
      if (task === 'export' && exportSignal) exportSignal.aborted = true;
      if (busy === task && decodeCancel) decodeCancel.cancelled = true;
    },

    async dispose() {
      await sessions?.clear();
    },
  };

  const engineSeqLen = () => host.loaded()?.text?.info.seqLen ?? 0;

  async function q4Report(
    q: ReturnType<typeof normalizeQ4Request>,
    w: Q4Windows | null,
    why: string | null,
    plan: Awaited<ReturnType<typeof planWorkbenchQ4>> | undefined,
    quantizeMs: number,
    q4File: Uint8Array | null,
    rt: Parameters<typeof scoreHeldout>[5],
    drop: DropConfig,
  ): Promise<NonNullable<ExportSummary['q4']>> {
    const { model } = need();
    const ts = performance.now();
    const heldout = q4File && w ? await scoreHeldout(model.spec, model.weights, drop, q4File, w, rt) : null;
    return {
      method: q.method,
      block: q.block,
      calibWindows: q.method === 'rtn' || !w ? 0 : w.calibWindows,
      calibTokens: plan?.tokens ?? 0,
      seqLen: w?.seqLen ?? engineSeqLen(),
      heldout,
      ms: { quantize: Math.round(quantizeMs), score: Math.round(performance.now() - ts) },
      ...(plan && q.method === 'awq' ? { alphas: plan.alphas } : {}),
      ...(heldout
        ? {}
        : {
            note: !w
              ? `Not scored: ${why ?? 'no held-out windows.'}`
              : w.heldoutWindows === 0
                ? 'Not scored: 0 held-out windows were asked for.'
                : 'Not scored: the graphs pass 2 GB (external data); score the folder with the CLI.',
          }),
    };
  }

  async function generate(
    req: GenerateRequest,
    onEvent: (e: GenerateEvent) => void,
    c: { cancelled: boolean },
  ): Promise<GenerateSummary> {
    const { engine, model } = need();
    const tokenizer = engine.tokenizer;
    if (!tokenizer) throw new RuntimeError('The model has no tokenizer loaded.');
    const { drop } = checkExportOptions(model.spec, { drop: req.drop, formats: ['fp32'] });
    const promptIds = tokenizer.encode(req.prompt);
    const r = checkGenerateRequest(
      { ...req, drop },
      promptIds.length,
      model.spec.position === 'learned' ? model.spec.maxPositions : null,
    );
    const cache = kv();
    const full = await cache.get(model, NO_DROPS);
    const pruned = await cache.get(model, drop);
    const runs = await generateSideBySide({
      tokenizer,
      promptIds,
      request: r,
      eos: eosIds(tokenizer, model),
      decoders: { full, pruned },
      onEvent: (e) => void onEvent(e),
      cancelled: () => c.cancelled,
    });
    return {
      promptIds,
      promptTokens: promptIds.length,
      ...runs,
      backend: describeBackend(host.runtime()!.backend),
      format: 'fp32',
    };
  }

  async function measure(
    req: SpeedRequest,
    onProgress: ((p: Progress) => void) | undefined,
    c: { cancelled: boolean },
  ): Promise<SpeedReport> {
    const t0 = performance.now();
    const { engine, model } = need();
    const { drop } = checkExportOptions(model.spec, { drop: req.drop, formats: ['fp32'] });
    const contexts = [...new Set(req.contexts)].filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
    if (!contexts.length) throw new RangeError('Choose at least one context length.');
    const decodeSteps = Math.max(1, Math.min(256, Math.floor(req.decodeSteps ?? 16)));
    const reps = Math.max(1, Math.min(20, Math.floor(req.reps ?? 3)));
    if (model.spec.position === 'learned' && contexts[contexts.length - 1] + decodeSteps > model.spec.maxPositions)
      throw new RangeError(
        `This model has ${model.spec.maxPositions} positions: choose contexts up to ${model.spec.maxPositions - decodeSteps}.`,
      );
    const windowIds = engine.windowIds;
    const fromText = windowIds && windowIds.length > 0;
    const tokens = fromText
      ? windowIds
      : (engine.tokenizer?.encode('Call me Ishmael. Some years ago, never mind how long precisely, ') ?? [0]);
    const cache = kv();
    const full = await cache.get(model, NO_DROPS);
    const pruned = await cache.get(model, drop);
    const [f, p] = await measureDecoders([full.dec, pruned.dec], {
      contexts,
      decodeSteps,
      reps,
      tokens,
      cancelled: () => c.cancelled,
      onProgress: (done, total) => void onProgress?.({ stage: 'speed', done, total, unit: 'steps' }),
    });
    return {
      drop: drop as DropConfig,
      full: f,
      pruned: p,
      decodeSteps,
      reps,
      backend: describeBackend(host.runtime()!.backend),
      format: 'fp32',
      cachedLayers: { full: full.dec.layout.layers.length, pruned: pruned.dec.layout.layers.length },
      tokens: fromText ? 'evaluation text' : 'prompt text',
      ms: performance.now() - t0,
    };
  }

  return api;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
