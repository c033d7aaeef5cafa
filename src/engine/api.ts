/**
 * The engine's public API: the only engine module the UI imports (types only, plus the pure helpers
 * re-exported at the bottom), and the owner of every type shared across the worker boundary.
 *
 * One interface, EngineApi (analysis, export, generation, speed, cancel), is implemented twice, as in
 * web-llm: by the Engine class (src/engine/engine.ts; the Node CLI and the tests call it directly) and by
 * the page's proxy of the engine worker (src/app/worker-client.ts), which adds the worker's host part,
 * EngineHostApi (backend start, inspecting and loading a model from its source, the download cache).
 * Both together are EngineClient, what the workbench holds.
 */
import type { ModelSpec } from './model/spec';
import type { BackendChoice } from './runtime/ort';
import type { TaskItems, TaskOptions, TaskResult, TaskSpec } from './tasks/types';

export type { ModelSpec } from './model/spec';
export type { BackendChoice } from './runtime/ort';
export type { SerializedError, ErrorCode } from './errors';
export type {
  BuiltinTaskName,
  TaskItem,
  TaskItemResult,
  TaskItems,
  TaskKind,
  TaskOptions,
  TaskResult,
  TaskSelection,
  TaskSpec,
} from './tasks/types';

/** 0-based layer indices, sorted, unique. A dropped block is the same index in both lists. */
export interface DropConfig {
  attn: number[];
  mlp: number[];
}

/** The bytes of one picked file (a File or Blob in the browser; structural, so the engine needs no DOM). */
export interface FileBlob {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A file of a local model folder: its path relative to the folder, and its bytes (a File, on the page). */
export interface LocalFile<B extends FileBlob = FileBlob> {
  path: string;
  file: B;
}

/**
 * Where a model comes from. A local source carries its files only on its way to the worker's
 * loadModel; everywhere else (ModelInfo, share links, saved experiments) it is the name alone.
 */
export type ModelSource =
  | { kind: 'bundled'; name: string } // served from public/models/<name>/
  | { kind: 'hub'; id: string; revision?: string } // Hugging Face Hub model id
  | { kind: 'local'; name: string; files?: LocalFile[] }; // a folder the user picked or dropped

/** Bytes of a model folder, by file name relative to the folder (config.json, model.safetensors, ...). */
export interface ModelFiles {
  names(): string[];
  read(name: string): Promise<Uint8Array>;
  /** A file's byte size without reading it. With readRange, weights stream a tensor at a time (no file held). */
  size?(name: string): number;
  /** Bytes [begin, end) of a file, read synchronously (Node file reads; FileReaderSync on a Blob slice in a worker). */
  readRange?(name: string, begin: number, end: number): Uint8Array;
}

/**
 * Weight precision of the live engine (src/engine/graphs/precision.ts, docs/PRECISION.md): fp32 exact;
 * fp16 (half the memory on WebGPU and CPU alike: each MatMul casts its weight when it runs); q8 and q4 as
 * com.microsoft MatMulNBits, block 32, symmetric (the export's quantizer), LM head 8-bit; the embedding
 * rows are exact float32 at every precision.
 */
export type WeightPrecision = 'fp32' | 'fp16' | 'q8' | 'q4';

export interface ModelInfo {
  source: ModelSource;
  name: string;
  spec: ModelSpec;
  parameters: number;
  weightBytes: number; // as stored (f32/f16/bf16)
  /** The precision the engine holds the weights in (absent: fp32). */
  weights?: WeightPrecision;
  backend: BackendChoice;
}

export interface DataSettings {
  seqLen: number; // window length in tokens
  windows: number; // number of windows used (the first N)
}

export interface DataInfo extends DataSettings {
  textTokens: number; // tokens in the whole text (with one EOS per document)
  availableWindows: number; // floor(textTokens / seqLen)
  predictedTokens: number; // windows * (seqLen - 1): what every perplexity is averaged over
  /** Present when only what the windows need of a long text was tokenized: textTokens and availableWindows are estimates. */
  textTokensEstimated?: true;
}

export interface EvalResult {
  drop: DropConfig;
  meanNll: number; // nats per predicted token
  perplexity: number; // exp(meanNll)
  tokens: number; // predicted tokens averaged over
  seqLen: number;
  windows: number;
}

/** 1 - mean cosine similarity; higher = more important. Index = layer. */
export interface Importance {
  attn: number[]; // cos(x_l, m_l)   (LLM-Drop layer_drop_norm=True)
  mlp: number[]; // cos(m_l, x_{l+1})
  block: number[]; // cos(x_l, x_{l+1}) (ShortGPT Block Influence)
  attnNoNorm: number[]; // cos(N1(x_l), Attn(N1(x_l)))   (layer_drop_norm=False)
  mlpNoNorm: number[]; // cos(N2(m_l), MLP(N2(m_l)))
}

export interface AnalysisResult {
  drop: DropConfig; // the configuration the analysis ran on
  importance: Importance; // NaN for a dropped sublayer
  /** S[i][j] = mean_t cos(x_i, x_j) over the L+1 block boundaries x_0 (embedding) .. x_L; (L+1)x(L+1). */
  similarity: number[][];
  /** Gromov et al.: angular[l][n-1] = mean over windows of arccos(cos(x_l, x_{l+n}))/pi on the last token; NaN where l+n > L. */
  angular: number[][];
  eval: EvalResult;
}

/** Change in mean NLL when one more sublayer is dropped from `base`; null where already dropped. */
export interface DropOneResult {
  base: DropConfig;
  baseNll: number;
  attn: (number | null)[];
  mlp: (number | null)[];
}

export type PlanTarget = 'attn' | 'mlp' | 'block' | 'joint';

export interface PlanRequest {
  target: PlanTarget;
  n: number;
  iterative: boolean;
  norm?: boolean; // LLM-Drop layer_drop_norm (default true)
  base?: DropConfig; // start from these drops (default none)
}

export interface PlanResult {
  drop: DropConfig;
  /** For each step (one for one-shot, n for iterative): the scores the choice was made from. */
  steps: { chosen: { kind: 'attn' | 'mlp' | 'block'; layer: number }[]; scores: Importance }[];
}

/** How much one sublayer changes each token: 1 - cos(before, after) per position of window 0. */
export interface TokenDelta {
  kind: 'attn' | 'mlp';
  layer: number;
  tokens: string[];
  delta: number[];
}

export interface Progress {
  stage: string; // 'download' | 'load' | 'compile' | 'analyze' | 'evaluate' | 'plan' | 'export' ...
  done: number;
  total: number;
  unit?: 'bytes' | 'files' | 'sublayers' | 'windows' | 'steps';
  /** evaluate(): the estimate from the window batches finished so far (absent until the first one, and once all are). */
  estimate?: NllEstimate;
}

/**
 * The estimate of the mean NLL over all `of` windows from the first `windows` (engine/nll-estimate.ts):
 * their mean NLL, or, with `pairedWith`, that earlier result's mean NLL over all windows plus the mean
 * per-window change over the windows done.
 */
export interface NllEstimate {
  meanNll: number;
  /** Standard error of meanNll over windows: sd of the per-window mean NLL (or change) / sqrt(windows); NaN from one window. */
  se: number;
  windows: number;
  of: number;
  /** The drops of the earlier result on the same windows that the estimate is paired with. */
  pairedWith?: DropConfig;
}
export type ProgressFn = (p: Progress) => void;

// ---------------------------------------------------------------------------------------------------
// The worker's host part: backend, model files and their estimate.

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
  /** Whether some weight precision fits (model/admission.ts). */
  fits: boolean;
  /** Per precision, most precise first: predicted peak, whether it fits, and why not (issue 13 admission). */
  precisions?: { precision: WeightPrecision; peakBytes: number; weightBytes: number; fits: boolean; over: string[] }[];
  /** The most precise precision that fits (null: none). */
  best?: WeightPrecision | null;
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

// ---------------------------------------------------------------------------------------------------
// Export, generation and speed.

/** ONNX weight formats of the export (src/engine/export/graph.ts maps them to files). */
export type ExportFormat = 'fp32' | 'fp16' | 'q8' | 'q4';

export interface ExportResult {
  drop: DropConfig;
  formats: ExportFormat[];
  files: { path: string; size: number }[];
  totalBytes: number;
  /** External data files per ONNX format (0 = weights inside the .onnx file). */
  externalData: Partial<Record<ExportFormat, number>>;
  /** Whether LLM-Drop's modeling files can load the folder (llama, mistral). */
  llmDropLoadable: boolean;
  /** Messages for the person exporting (no LLM-Drop modeling file for the family, ...). */
  warnings: string[];
}

/** 4-bit quantizers of the q4 export (src/engine/export/calibrated.ts, docs/EXPORT.md). */
export type QuantMethod = 'rtn' | 'gptq' | 'awq';

/**
 * How the q4 file is made (used when formats include q4): the quantizer, the MatMulNBits block size, and
 * the windows of the engine's current text (setText: its documents and window length) it calibrates on
 * (the first calibWindows) and is measured on after the export (the heldoutWindows after those).
 * Without it q4 is round-to-nearest, block 32 (today's file, byte for byte) and no perplexity is measured.
 */
export interface Q4Request {
  method: QuantMethod;
  /** 32, 64 or 128, dividing every linear's input width. */
  block: number;
  /** Calibration windows (default 8; RTN calibrates on nothing but keeps them out of the held-out ones). */
  calibWindows?: number;
  /** Held-out windows the q4 and fp32 perplexities are measured on (default 8; 0: not measured). */
  heldoutWindows?: number;
  /** GPTQ act-order. */
  actOrder?: boolean;
  /** AWQ clipping search (default on for AWQ). */
  clip?: boolean;
}

/** What to export: the drop configuration and the ONNX weight formats (src/engine/export). */
export interface ExportRequest {
  drop: DropConfig;
  formats: ExportFormat[];
  /** Write the pruned safetensors checkpoint (default true). */
  checkpoint?: boolean;
  /** How q4 is made (ignored without q4 in formats). */
  q4?: Q4Request;
}

/** A calibrated q4 export before it starts: the windows it will use and its estimated time. */
export interface Q4Preview {
  method: QuantMethod;
  block: number;
  calibWindows: number;
  heldoutWindows: number;
  seqLen: number;
  /** Windows the current text holds at seqLen (an estimate when the text was only partly tokenized). */
  availableWindows: number;
  /** Estimated milliseconds of calibration and quantization, and of the held-out scoring. */
  estimateMs: { quantize: number; score: number };
  /** Where the estimate comes from (measured times scaled to this model; the basis in words). */
  estimateBasis: string;
  /** RTN only: why no held-out perplexity will be measured (no text, or too short); the export goes on. */
  unmeasured?: string;
}

/** A calibrated q4 export after it finished: what it did and the held-out perplexities. */
export interface Q4Report {
  method: QuantMethod;
  block: number;
  calibWindows: number;
  /** Tokens the calibration statistics were taken over (0 for RTN). */
  calibTokens: number;
  seqLen: number;
  /**
   * The written q4 file and the fp32 graph on the held-out windows (not the calibration ones); null when
   * the graphs pass protobuf's 2 GB (external data: not scored in the engine), with the reason in `note`.
   */
  heldout: { windows: number; tokens: number; fp32Perplexity: number; q4Perplexity: number } | null;
  note?: string;
  /** Milliseconds of calibration + quantization, and of the held-out scoring. */
  ms: { quantize: number; score: number };
  /** AWQ: the alpha chosen per shared input. */
  alphas?: Record<string, number>;
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
  /** Present when the request asks for q4 with a Q4Request. */
  q4?: Q4Preview;
}

/** The export finished; the last chunk has been delivered. */
export interface ExportSummary extends ExportResult {
  zipBytes: number;
  ms: number;
  /** Present when the request asks for q4 with a Q4Request. */
  q4?: Q4Report;
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

// ---------------------------------------------------------------------------------------------------
// The interface.

/**
 * What cancel() stops. 'analysis': the engine's queue (loadModel, setText, evaluate, analyze, dropOne,
 * plan, tokenDelta; in the worker, downloads too); 'export', 'generate', 'speed': the panels' calls,
 * which run beside that queue.
 */
export type EngineTask = 'analysis' | 'export' | 'generate' | 'speed';

/** The engine's work on a loaded model. Engine and the worker's proxy both implement it. */
export interface EngineApi {
  /** `text` is a string split into documents at form feeds (splitDocuments), or the documents. */
  setText(text: string | string[], settings: DataSettings): Promise<DataInfo>;
  evaluate(drop: DropConfig, onProgress?: ProgressFn): Promise<EvalResult>;
  analyze(drop: DropConfig, onProgress?: ProgressFn): Promise<AnalysisResult>;
  dropOne(base: DropConfig, onProgress?: ProgressFn): Promise<DropOneResult>;
  plan(req: PlanRequest, onProgress?: ProgressFn): Promise<PlanResult>;
  tokenDelta(kind: 'attn' | 'mlp', layer: number, drop: DropConfig): Promise<TokenDelta>;
  /**
   * Multiple-choice accuracy with `drop` applied, scored as lm-eval does (docs/TASKS.md): a task's items
   * (TaskItems: a parsed JSONL file, the offline task) or a built-in/URL task the engine reads; `opts`
   * picks the items (first N or a seeded subsample). Cached per task, items and drop configuration; the
   * analysis queue runs it (cancel() stops it). TaskError for a bad task, DatasetError for one not reached.
   */
  scoreTask(
    task: TaskSpec | TaskItems,
    drop: DropConfig,
    opts?: TaskOptions,
    onProgress?: ProgressFn,
  ): Promise<TaskResult>;

  /** Files, sizes and warnings of an export, before it starts (ExportError for bad input). */
  previewExport(req: ExportRequest): Promise<ExportPreview>;
  /**
   * The export as a stored zip, streamed: `onChunks` gets the archive's bytes in order (batches, each a
   * fresh buffer; a promise it returns is await-ed, so the engine never runs far ahead). Rejects with CancelledError after
   * cancel('export'), ExportError for bad input or a zip past 4 GiB; nothing more is sent after a failure.
   * With req.q4: progress stage 'quantize' (unit 'sublayers', calibration and quantization, before any
   * byte), then 'export' (bytes), then 'perplexity' (unit 'windows', held-out scoring after the last byte;
   * the summary, and so the download, waits for it). TextTooShortError when the text lacks the windows.
   */
  exportZip(
    req: ExportRequest,
    onChunks: (chunks: Uint8Array[], final: boolean) => void,
    onProgress?: ProgressFn,
  ): Promise<ExportSummary>;
  /** The full and the pruned model generating from the same prompt, streamed token by token, interleaved. */
  generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateSummary>;
  /** Prefill and decode speed of the full and the pruned model's KV-cache graph at each context. */
  measureSpeed(req: SpeedRequest, onProgress?: ProgressFn): Promise<SpeedReport>;

  /**
   * Stop a task (default 'analysis': the queued call in flight and every call queued behind it). Each
   * task keeps its own behaviour: 'analysis', 'export' and 'speed' calls reject with CancelledError;
   * 'generate' stops and resolves with what was generated so far, stop = 'cancelled'. Cancelling a task
   * that is not running does nothing.
   */
  cancel(task?: EngineTask): void;
}

/** How one EngineApi call crosses the worker (ENGINE_CALLS). */
export interface EngineCall {
  /**
   * 'queue': the engine's analysis queue (the page's worker watchdog tracks the call); 'beside': export,
   * generation and speed, which run beside it (untracked: their long steps answer no heartbeat).
   */
  lane: 'queue' | 'beside';
  /** Index of the progress callback among the arguments: its reports stop once the call settled. */
  progress?: number;
}

/**
 * Every EngineApi call but cancel, and how it crosses the worker. The worker (workers/engine.worker.ts)
 * passes each through to the Engine and the page's proxy (src/app/worker-client.ts) forwards each, both
 * from this table, so a new engine method is its signature above, one line here (the compiler refuses a
 * method missing from it) and its implementation in Engine.
 */
export const ENGINE_CALLS = {
  setText: { lane: 'queue' },
  evaluate: { lane: 'queue', progress: 1 },
  analyze: { lane: 'queue', progress: 1 },
  dropOne: { lane: 'queue', progress: 1 },
  plan: { lane: 'queue', progress: 1 },
  tokenDelta: { lane: 'queue' },
  scoreTask: { lane: 'queue', progress: 3 },
  previewExport: { lane: 'beside' },
  exportZip: { lane: 'beside', progress: 2 },
  generate: { lane: 'beside' },
  measureSpeed: { lane: 'beside', progress: 1 },
} as const satisfies Record<Exclude<keyof EngineApi, 'cancel'>, EngineCall>;

/**
 * The engine worker's host part: what only the worker can do (start the runtime on this device's
 * backend, fetch and cache a model's files, read a local folder's File objects).
 */
export interface EngineHostApi {
  /**
   * Pick the backend (WebGPU adapter, else wasm with the reason) and start the runtime. Call once.
   * `onDeviceLost` is called (once) if the WebGPU device is lost; every call then fails with DeviceLostError.
   * The page's watchdog (src/app/worker-client.ts) calls the same callback with cause 'engine' when the
   * worker itself dies; the worker always passes one argument (cause 'device').
   */
  init(opts: WorkerInit, onDeviceLost?: (message: string, cause?: 'device' | 'engine') => void): Promise<BackendReport>;
  /** Read config.json (and the shard index): the spec and the size estimate, no weights downloaded. */
  inspect(source: ModelSource): Promise<InspectResult>;
  /** Fetch (bundled, Hub: through the Cache API) or read (local: `source.files`) the files, then load them. */
  loadModel(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<LoadResult>;
  /** Remove this model's files from the Cache API. */
  clearCache(source: ModelSource): Promise<void>;
  /**
   * The Hugging Face access token for gated and private models (null: none). The worker keeps it in
   * memory and sends it only to the Hub endpoint's origin (never to the hosts the Hub redirects downloads
   * to, never in a URL); nothing else stores or reports it.
   */
  setHubToken(token: string | null): Promise<void>;
  /** The weight precision of the next model load (null: the most precise that fits this device). */
  setWeightPrecision(precision: WeightPrecision | null): Promise<void>;
}

/**
 * The engine as the workbench holds it: the worker's proxy (src/app/worker-client.ts), or a test double.
 * Every method rejects with a named DropLabError (src/engine/errors.ts), rebuilt after the crossing.
 */
export type EngineClient = EngineHostApi & EngineApi;

// Pure helpers the workbench uses on a ModelSpec (no runtime, no weights).
/** Parameters of one attention sublayer, one MLP sublayer and the whole model, from the family's weight plan. */
export { parameterCounts } from './model/families';

// Results computed elsewhere ("Import results"; src/engine/results): pure readers, no runtime.
export type { ImportBundle, ImportedConfig, ImportFile } from './results/import';
export type { ImportedResults, ImportedScores } from './results/results-file';
export { readImportFiles } from './results/import';
export { RESULTS_FORMAT, RESULTS_VERSION } from './results/results-file';
/** config.json (parsed) -> ModelSpec (UnsupportedArchitectureError / ConfigError for what DropLab cannot read). */
export { specFromConfig } from './model/families';
/** Every config.json model_type DropLab reads (the family registry's, in registry order). */
export { SUPPORTED_MODEL_TYPES } from './model/families';

// Weight precisions (issue 13): the measured deviation from fp32 the page shows beside the precision in use.
export type { MeasuredDeviation, PrecisionDeviation } from './precision-compare';
export { MEASURED_DEVIATION, PRECISION_TARGETS } from './precision-compare';
export { isWeightPrecision, WEIGHT_PRECISIONS } from './weight-precisions';

// Task accuracy (issue 14; docs/TASKS.md): pure helpers the workbench uses to pick and read a task.
export { BUILTIN_TASKS, OFFLINE_TASK } from './tasks/types';
/** A JSONL task's text -> TaskItems (TaskError naming the line of a bad item). */
export { parseTaskJsonl } from './tasks/jsonl';
/** Items right in one result and wrong in another (the item view's flips). */
export { taskFlips, type TaskFlips } from './tasks/flips';

// Drop configurations: one name each across the engine and the workbench.
export type { SublayerKind } from './drops';
export { NO_DROPS } from './drops';

/** IEEE binary16 bits <-> number (round to nearest even; NaN stays NaN): share links pack scores as half floats. */
export { f16BitsToFloat, floatToF16Bits } from './model/safetensors';
