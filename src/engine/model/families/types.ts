/**
 * What a model family module declares: which config.json model_type values it reads, how its config
 * becomes a ModelSpec, and where each weight role lives in the checkpoint (a WeightPlan). The generic
 * code in ./index.ts checks the plan against the checkpoint and builds the lazy Params.
 */
import type { FamilyName, LayerWeights, ModelSpec, Weighted } from '../spec';

export type RawConfig = Record<string, unknown>;

/**
 * One checkpoint tensor feeding one weight role. `shape` is the shape the tensor must have AS STORED.
 * `slice` takes `size` entries from `start` along stored axis `axis` (fused weights: GPT-2's c_attn,
 * Phi-3's qkv_proj and gate_up_proj);
 * `transpose` then swaps a 2-D tensor's axes (GPT-2's Conv1D [in, out] -> nn.Linear [out, in]).
 */
export interface TensorRef {
  name: string;
  shape: readonly number[];
  slice?: { axis: number; start: number; size: number };
  transpose?: boolean;
  /** Added to every value after loading, in float32 (Gemma's RMSNorm weights are stored as w for 1 + w). */
  offset?: number;
  /**
   * Each row of the 2-D tensor divided by its L2 norm, max(||row||, 1e-12) as torch's F.normalize, in
   * float64 and rounded to float32 (Baichuan2's NormHead).
   */
  normalizeRows?: boolean;
}

export type LinearRef = Weighted<TensorRef>;
export type NormRef = Weighted<TensorRef>;

/** Where each role of LayerWeights lives in the checkpoint (the same fields, one table: LAYER_ROLES). */
export type LayerRefs = { [K in keyof LayerWeights]: null extends LayerWeights[K] ? LinearRef | null : LinearRef };

export interface WeightPlan {
  embed: TensorRef;
  posEmbed: TensorRef | null;
  layers: LayerRefs[];
  finalNorm: NormRef;
  /** 'tied': the lm_head is the embedding matrix. */
  lmHead: TensorRef | 'tied';
}

/** Defaults of the family's transformers config class, used where config.json omits a key. */
export interface FamilyDefaults {
  tieWordEmbeddings: boolean;
  normEps: number;
  ropeTheta: number;
  hiddenAct: string;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** rope_scaling type "longrope" (or its old name "su") is read, not refused (phi3). */
  longrope?: boolean;
}

export interface Family {
  name: FamilyName;
  /** config.json model_type values this module reads. */
  modelTypes: readonly string[];
  /** config.json architectures values (used when model_type is absent). */
  architectures: readonly string[];
  /** config.json -> ModelSpec; throws ConfigError / UnsupportedArchitectureError. */
  spec(config: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec;
  /** Tensor-name prefixes of the transformer body that real checkpoints use, most common first. */
  prefixes: readonly string[];
  plan(spec: ModelSpec, prefix: string): WeightPlan;
}
