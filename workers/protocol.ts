/**
 * What the engine worker exposes to the page through comlink (types only; no runtime code here, so the
 * UI can import it). The methods mirror EngineApi (src/engine/api.ts), except model loading, which the
 * worker does itself: it fetches bundled and Hub files (with the Cache API), or reads the File objects
 * of a local folder, then hands ModelFiles to the engine.
 *
 * Errors: every method rejects with a SerializedError (src/engine/errors.ts); the page rebuilds the
 * named error with errorFromJSON (src/app/worker-client.ts).
 */
import type {
  AnalysisResult,
  DataInfo,
  DataSettings,
  DropConfig,
  DropOneResult,
  EvalResult,
  ExportFormat,
  ExportResult,
  ModelInfo,
  ModelSource,
  ModelSpec,
  PlanRequest,
  PlanResult,
  Progress,
  TokenDelta,
} from '../src/engine/api';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter (newer) or GPUAdapter.isFallbackAdapter (older); null if neither. */
  isFallbackAdapter: boolean | null;
  features: string[];
  maxBufferSize: number;
}

export type BackendReport =
  | { backend: 'webgpu'; adapter: AdapterReport; crossOriginIsolated: boolean; threads: number }
  | { backend: 'wasm'; reason: string; crossOriginIsolated: boolean; threads: number };

export interface WorkerInit {
  /**
   * `?backend=`: 'auto' uses WebGPU on a hardware adapter and wasm when the only adapter is a software
   * fallback (SwiftShader runs the bundled model's analysis about 50x slower than wasm); 'wasm' skips
   * WebGPU; 'webgpu' takes any adapter, a fallback one included.
   */
  backend: 'auto' | 'wasm' | 'webgpu';
  /** Hugging Face Hub base URL (default https://huggingface.co); tests point it at a local server. */
  hubEndpoint: string;
  /** The app's base URL (import.meta.env.BASE_URL, absolute), for bundled models. */
  baseUrl: string;
}

/** A file of a local model folder: its path relative to the folder, and its bytes. */
export interface LocalFile {
  path: string;
  file: Blob;
}

/** Where a model's files come from. */
export type ModelInput =
  | { kind: 'bundled'; name: string }
  | { kind: 'hub'; id: string; revision?: string }
  | { kind: 'local'; name: string; files: LocalFile[] };

/** What a model will cost, known from config.json (and the shard index) before any weight is read. */
export interface ModelEstimate {
  parameters: number;
  /** Weights once decoded to float32 (what the engine holds). */
  float32Bytes: number;
  /** What the weight files hold, as downloaded. */
  storedBytes: number;
  /** The largest weight tensor in float32 bytes. */
  largestTensorBytes: number;
  /** This device's limits (null: none known). */
  limitBytes: number | null;
  maxBufferBytes: number | null;
  fits: boolean;
  /** Files that will be read, and whether they are already in the cache (a second visit loads offline). */
  files: string[];
  cached: boolean;
}

export interface InspectResult {
  source: ModelSource;
  spec: ModelSpec;
  estimate: ModelEstimate;
}

/** Model-loading progress: the engine's Progress, plus file counts while downloading or reading. */
export interface LoadProgress extends Progress {
  files?: { done: number; total: number };
  file?: string;
}

export interface LoadResult extends ModelInfo {
  estimate: ModelEstimate;
  fromCache: boolean;
}

export interface EngineWorkerApi {
  /**
   * Pick the backend (WebGPU adapter, else wasm with the reason) and start the runtime. Call once.
   * `onDeviceLost` is called (once) if the WebGPU device is lost; every call then fails with DeviceLostError.
   * The page's watchdog (src/app/worker-client.ts) calls the same callback with cause 'engine' when the
   * worker itself dies; the worker always passes one argument (cause 'device').
   */
  init(opts: WorkerInit, onDeviceLost?: (message: string, cause?: 'device' | 'engine') => void): Promise<BackendReport>;
  /** Read config.json (and the shard index): the spec and the size estimate, no weights downloaded. */
  inspect(input: ModelInput): Promise<InspectResult>;
  loadModel(input: ModelInput, onProgress?: (p: LoadProgress) => void): Promise<LoadResult>;
  /** `text` is split into documents at form feeds (splitDocuments). */
  setText(text: string, settings: DataSettings): Promise<DataInfo>;
  evaluate(drop: DropConfig, onProgress?: (p: Progress) => void): Promise<EvalResult>;
  analyze(drop: DropConfig, onProgress?: (p: Progress) => void): Promise<AnalysisResult>;
  dropOne(base: DropConfig, onProgress?: (p: Progress) => void): Promise<DropOneResult>;
  plan(req: PlanRequest, onProgress?: (p: Progress) => void): Promise<PlanResult>;
  tokenDelta(kind: 'attn' | 'mlp', layer: number, drop: DropConfig): Promise<TokenDelta>;
  /** Cancel the call in flight (downloads included); it rejects with CancelledError. */
  cancel(): void;
  /** Remove this model's files from the Cache API. */
  clearCache(input: ModelInput): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Export, generation and speed (the workbench side of issue 5). A separate interface so EngineWorkerApi
// (and its test doubles) stay as they are; the worker exposes both on the same comlink endpoint.

/** What to export: the drop configuration and the ONNX weight formats (src/engine/export). */
export interface ExportRequest {
  drop: DropConfig;
  formats: ExportFormat[];
  /** Write the pruned safetensors checkpoint (default true). */
  checkpoint?: boolean;
}

/** Everything known before an export starts (no weight is converted): files, sizes, warnings. */
export interface ExportPreview {
  /** Normalized drops and formats. */
  drop: DropConfig;
  formats: ExportFormat[];
  /** Every file of the folder with its (estimated, for .onnx and safetensors) size. */
  files: { path: string; bytes: number; estimated: boolean }[];
  /** Bytes of all files. */
  totalBytes: number;
  /** Bytes of the zip download (files plus headers). */
  zipBytes: number;
  /** The most one zip download can hold (fflate writes no ZIP64). */
  zipLimitBytes: number;
  /** Formats whose weights pass 2 GB and go to external data files (onnx/<file>.onnx_data, _1, ...). */
  externalData: ExportFormat[];
  /** Bytes above which ONNX weights go to external data. */
  externalDataThresholdBytes: number;
  /** Whether LLM-Drop's modeling files load the folder (llama, mistral). */
  llmDropLoadable: boolean;
  family: string;
  /** The export engine's notes for the person (no LLM-Drop modeling file for the family, ...). */
  warnings: string[];
  /** float32 KV-cache bytes per token of context, pruned and full. */
  kvBytesPerToken: { pruned: number; full: number };
  /** The name README.md and the download use. */
  modelName: string;
}

/** The export finished; the last chunk has been delivered. */
export interface ExportSummary extends ExportResult {
  zipBytes: number;
  ms: number;
}

export type GenerationModel = 'full' | 'pruned';

export interface GenerateRequest {
  prompt: string;
  /** The pruned model's drops (the full model drops nothing). */
  drop: DropConfig;
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** Seed of the sampler (both models get the same sequence of random numbers). */
  seed: number;
}

/** One streamed step of one model: everything generated so far. */
export interface GenerateEvent {
  model: GenerationModel;
  ids: number[];
  /** The continuation as text (a trailing incomplete UTF-8 character held back). */
  text: string;
  done: boolean;
  stop?: GenerationStop;
  /** Milliseconds since the start: first token (prefill + first step) and last token. */
  firstTokenMs?: number;
  elapsedMs: number;
}

export type GenerationStop = 'eos' | 'length' | 'cancelled';

export interface GenerationRun {
  ids: number[];
  text: string;
  stop: GenerationStop;
  /** Prompt run (prefill) + first token, ms. */
  prefillMs: number;
  /** Every later single-token step, ms in all. */
  decodeMs: number;
  decodeTokensPerS: number | null;
  /** Attention layers with a KV cache. */
  cachedLayers: number;
}

export interface GenerateSummary {
  promptIds: number[];
  promptTokens: number;
  full: GenerationRun;
  pruned: GenerationRun;
  /** Where it ran, e.g. "wasm, 2 threads" (the engine's backend). */
  backend: string;
  /** The format of the graph that ran (always fp32 in the workbench). */
  format: ExportFormat;
}

export interface SpeedRequest {
  drop: DropConfig;
  /** Context lengths (prompt tokens before decoding). */
  contexts: number[];
  /** Single-token decode steps timed after each prefill (default 16). */
  decodeSteps?: number;
  /** Timed repetitions after one warm-up (default 3); medians are reported. */
  reps?: number;
}

export interface SpeedPoint {
  context: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  prefillMs: number;
  decodeMsPerToken: number;
  /** Bytes of the KV cache after the prefill (float32, batch 1), measured from the tensors. */
  kvCacheBytes: number;
}

export interface SpeedReport {
  drop: DropConfig;
  full: SpeedPoint[];
  pruned: SpeedPoint[];
  decodeSteps: number;
  reps: number;
  backend: string;
  format: ExportFormat;
  /** Attention layers with a cache: full, pruned. */
  cachedLayers: { full: number; pruned: number };
  /** Where the context tokens came from. */
  tokens: 'evaluation text' | 'prompt text';
  ms: number;
}

export interface ExportWorkerApi {
  /** Files, sizes and warnings of an export, before it starts (ExportError for bad input). */
  previewExport(req: ExportRequest): Promise<ExportPreview>;
  /**
   * The export as a stored zip, streamed: `onChunks` gets the archive's bytes in order (transferred
   * batches; await-ed, so the worker never runs far ahead). Rejects with CancelledError after
   * cancelExport(), ExportError for bad input or a zip past 4 GiB; nothing more is sent after a failure.
   */
  exportZip(
    req: ExportRequest,
    onChunks: (chunks: Uint8Array[], final: boolean) => void,
    onProgress?: (p: Progress) => void,
  ): Promise<ExportSummary>;
  cancelExport(): void;
  /** The full and the pruned model generating from the same prompt, streamed token by token, interleaved. */
  generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateSummary>;
  /** Stops the generation in flight (it resolves with what was generated, stop = 'cancelled'). */
  cancelGenerate(): void;
  /** Prefill and decode speed of the full and the pruned model's KV-cache graph at each context. */
  measureSpeed(req: SpeedRequest, onProgress?: (p: Progress) => void): Promise<SpeedReport>;
  /** Stops the measurement in flight (it rejects with CancelledError). */
  cancelSpeed(): void;
}
