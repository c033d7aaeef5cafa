/**
 * The engine's public API: the only engine module the UI imports (types only, plus the pure helpers
 * re-exported at the bottom). The worker exposes an object implementing EngineApi through comlink;
 * the Node CLI and the tests use the same Engine class directly.
 */
import type { ModelSpec } from './model/spec';
import type { BackendChoice } from './runtime/ort';
import type { SerializedError } from './errors';

export type { ModelSpec } from './model/spec';
export type { BackendChoice } from './runtime/ort';
export type { SerializedError, ErrorCode } from './errors';

/** 0-based layer indices, sorted, unique. A dropped block is the same index in both lists. */
export interface DropConfig {
  attn: number[];
  mlp: number[];
}

export type ModelSource =
  | { kind: 'bundled'; name: string } // served from public/models/<name>/
  | { kind: 'hub'; id: string; revision?: string } // Hugging Face Hub model id
  | { kind: 'local'; name: string }; // a folder the user picked or dropped

/** Bytes of a model folder, by file name relative to the folder (config.json, model.safetensors, ...). */
export interface ModelFiles {
  names(): string[];
  read(name: string): Promise<Uint8Array>;
}

export interface ModelInfo {
  source: ModelSource;
  name: string;
  spec: ModelSpec;
  parameters: number;
  weightBytes: number; // as stored (f32/f16/bf16)
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
}
export type ProgressFn = (p: Progress) => void;

export interface EngineApi {
  loadModel(source: ModelSource, files: ModelFiles, onProgress?: ProgressFn): Promise<ModelInfo>;
  setText(text: string | string[], settings: DataSettings): Promise<DataInfo>;
  evaluate(drop: DropConfig, onProgress?: ProgressFn): Promise<EvalResult>;
  analyze(drop: DropConfig, onProgress?: ProgressFn): Promise<AnalysisResult>;
  dropOne(base: DropConfig, onProgress?: ProgressFn): Promise<DropOneResult>;
  plan(req: PlanRequest, onProgress?: ProgressFn): Promise<PlanResult>;
  tokenDelta(kind: 'attn' | 'mlp', layer: number, drop: DropConfig): Promise<TokenDelta>;
  /** Cancel the call in flight; it rejects with CancelledError. */
  cancel(): void;
  dispose(): Promise<void>;
}

/** Errors cross the worker boundary as this shape. */
export type WireError = SerializedError;

// Export types the workbench's export, generation and speed panels show (types only; the export itself
// runs in the worker).
export type { ExportFormat, ExportResult } from './export';

// Pure helpers the workbench uses on a ModelSpec (no runtime, no weights).
/** Parameters of one attention sublayer, one MLP sublayer and the whole model, from the family's weight plan. */
export { parameterCounts } from './model/families';
