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
  /** `?backend=wasm`: skip WebGPU even when an adapter exists. */
  forceWasm: boolean;
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
  /** Pick the backend (WebGPU adapter, else wasm with the reason) and start the runtime. Call once. */
  init(opts: WorkerInit): Promise<BackendReport>;
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
