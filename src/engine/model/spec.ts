/**
 * ModelSpec: everything the engine needs to know about an architecture, normalized once from a
 * Hugging Face config.json by a family module (src/engine/model/families/*). Family differences are
 * flags here, never class hierarchies.
 */
export type FamilyName =
  | 'llama'
  | 'mistral'
  | 'qwen2'
  | 'qwen3'
  | 'gemma2'
  | 'gemma3'
  | 'olmo2'
  | 'phi3'
  | 'granite'
  | 'smollm3'
  | 'baichuan'
  | 'gpt2';

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number }
  /**
   * LongRoPE (Phi-3.5, Phi-4-mini, Phi-3-*-128k: rope_scaling type "longrope", formerly "su"): inv_freq[i]
   * divided by shortFactor[i] while the sequence (largest position + 1) is at most originalMaxPositions,
   * by longFactor[i] past it; cos and sin times attentionFactor at every length.
   */
  | {
      type: 'longrope';
      shortFactor: readonly number[];
      longFactor: readonly number[];
      originalMaxPositions: number;
      attentionFactor: number;
    };

export interface ModelSpec {
  family: FamilyName;
  vocabSize: number;
  hiddenSize: number; // d
  numLayers: number; // L
  numHeads: number; // query heads H
  numKvHeads: number; // key/value heads (GQA when < numHeads)
  headDim: number; // given by config.head_dim or d / H
  intermediateSize: number; // MLP hidden width
  maxPositions: number;
  norm: 'rms' | 'layer'; // RMSNorm (weight only) or LayerNorm (weight + bias)
  normEps: number;
  mlp: 'gated' | 'plain'; // gated: down(act(gate(x)) * up(x)); plain: down(act(up(x)))
  activation: 'silu' | 'gelu_tanh' | 'gelu'; // gelu_tanh = HF gelu_new / gelu_pytorch_tanh
  position: 'rope' | 'learned';
  ropeTheta: number; // ignored for learned positions
  ropeScaling: RopeScaling | null;
  /** Partial rotary: RoPE turns only the first rotaryDim values of each head (phi3 partial_rotary_factor). Absent: all hd. */
  rotaryDim?: number;
  qkvBias: boolean;
  oBias: boolean;
  /**
   * q/k norms before RoPE: 'head', an RMSNorm of every query and key head over its hd values (qwen3);
   * 'full', an RMSNorm over the whole projection, H*hd and Hkv*hd values (olmo2). Absent: none.
   */
  qkNorm?: 'head' | 'full';
  /**
   * Where the norms sit. Absent: pre-norm, m = x + Attn(N(x)) (llama). 'sandwich' (gemma2): the
   * sublayer's output is normed too, m = x + postN(Attn(N(x))). 'post' (olmo2): only the output,
   * m = x + postN(Attn(x)). The post-norms are their own weight roles.
   */
  normPlacement?: 'sandwich' | 'post';
  /** x_0 = embed(ids) * embedScale (gemma: sqrt(d), as float32). Absent: 1. */
  embedScale?: number;
  /** Attention scores q.k * attnScale (gemma2: query_pre_attn_scalar^-0.5). Absent: 1/sqrt(hd). */
  attnScale?: number;
  /** Scores soft-capped as cap * tanh(s / cap) before the mask (gemma2 attn_logit_softcapping). */
  attnSoftcap?: number;
  /** Logits soft-capped as cap * tanh(z / cap) (gemma2 final_logit_softcapping). */
  finalSoftcap?: number;
  /** Each branch's output times this before it joins the stream, x + r * F (granite residual_multiplier). Absent: 1. */
  residualScale?: number;
  /** Logits divided by this (granite logits_scaling). Absent: 1. */
  logitDivisor?: number;
  /** Per layer: whether attention uses RoPE (smollm3 no_rope_layers: 0 = no position encoding). Absent: all do. */
  ropeLayers?: readonly boolean[];
  /** Per layer: the sliding-window size of a local attention layer, null for global (gemma2: even layers local). */
  layerWindows?: readonly (number | null)[];
  /** RoPE of the local (sliding-window) layers when it differs from the global one (gemma3: rope_local_base_freq). */
  localRope?: { theta: number; scaling: RopeScaling | null };
  mlpBias: boolean;
  /**
   * NormHead (Baichuan2): every row of the lm_head weight L2-normalized, w / max(||w||, 1e-12), where it
   * loads (the forward pass is a plain matmul). Absent: the lm_head as stored.
   */
  normHead?: boolean;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number; // first EOS id when the config lists several
}

/**
 * A parameter, loaded lazily as row-major float32. Linear weights always come in PyTorch nn.Linear
 * layout [out, in]; checkpoint quirks (GPT-2's transposed Conv1D, its fused c_attn, f16/bf16) are
 * resolved inside load(), never in the forward pass.
 */
export interface Param {
  readonly shape: readonly number[];
  load(): Float32Array;
  /** Rows [r0, r1) of a 2-D param, read alone (a streamed checkpoint); absent: slice load(). */
  loadRows?(r0: number, r1: number): Float32Array;
}

/** Rows [r0, r1) of a [rows, cols] param as float32, reading only those rows when the param can. */
export function paramRows(p: Param, r0: number, r1: number): Float32Array {
  if (p.loadRows) return p.loadRows(r0, r1);
  const cols = p.shape[1] ?? 1;
  return p.load().slice(r0 * cols, r1 * cols);
}

/** weight [out, in], bias [out]. */
export type Linear = Weighted<Param>;

/** weight [d], bias [d] (LayerNorm only). */
export type Norm = Weighted<Param>;

/**
 * The weight roles of one layer, as data: the sublayer each belongs to (what dropping that sublayer
 * removes) and whether a family may lack it. Weight planning and mapping, parameter counts, the pruned
 * checkpoint and the attention names all iterate this one table; a new role (a q/k norm, a post-norm) is
 * one row here and one field in LayerWeights.
 */
export const LAYER_ROLES = [
  { role: 'attnNorm', sublayer: 'attn', optional: true },
  { role: 'q', sublayer: 'attn', optional: false },
  { role: 'k', sublayer: 'attn', optional: false },
  { role: 'v', sublayer: 'attn', optional: false },
  { role: 'o', sublayer: 'attn', optional: false },
  { role: 'qNorm', sublayer: 'attn', optional: true },
  { role: 'kNorm', sublayer: 'attn', optional: true },
  { role: 'attnPostNorm', sublayer: 'attn', optional: true },
  { role: 'mlpNorm', sublayer: 'mlp', optional: true },
  { role: 'gate', sublayer: 'mlp', optional: true },
  { role: 'up', sublayer: 'mlp', optional: false },
  { role: 'down', sublayer: 'mlp', optional: false },
  { role: 'mlpPostNorm', sublayer: 'mlp', optional: true },
] as const satisfies readonly { role: keyof LayerWeights; sublayer: 'attn' | 'mlp'; optional: boolean }[];

export type LayerRole = (typeof LAYER_ROLES)[number]['role'];

/** A weight with its optional bias: every norm and linear role has this shape. */
export interface Weighted<P> {
  weight: P;
  bias: P | null;
}

export interface LayerWeights {
  attnNorm: Norm | null; // N1 [d]; null with post-norms only (olmo2)
  q: Linear; // [H*hd, d]
  k: Linear; // [Hkv*hd, d]
  v: Linear; // [Hkv*hd, d]
  o: Linear; // [d, H*hd]
  qNorm?: Norm | null; // [hd] ('head') or [H*hd] ('full'), spec.qkNorm only
  kNorm?: Norm | null; // [hd] or [Hkv*hd]
  attnPostNorm?: Norm | null; // [d], spec.normPlacement only
  mlpNorm: Norm | null; // N2 [d]; null with post-norms only
  gate: Linear | null; // [I, d], gated MLP only
  up: Linear; // [I, d]
  down: Linear; // [d, I]
  mlpPostNorm?: Norm | null; // [d], spec.normPlacement only
}

export interface ModelWeights {
  embed: Param; // [V, d]
  posEmbed: Param | null; // [P, d], learned positions only
  layers: LayerWeights[];
  finalNorm: Norm;
  lmHead: Param; // [V, d]; the same Param as embed when tied
}

// Every LayerWeights field is a row of LAYER_ROLES (a compile error here names a field without one).
const _everyFieldHasARole: [Exclude<keyof LayerWeights, LayerRole>] extends [never] ? true : false = true;
void _everyFieldHasARole;

/** The present roles of a layer, of one sublayer or all, in LAYER_ROLES order. */
export function layerRoles<T>(
  layer: { [R in LayerRole]?: Weighted<T> | null },
  sublayer?: 'attn' | 'mlp',
): Weighted<T>[] {
  const out: Weighted<T>[] = [];
  for (const r of LAYER_ROLES) {
    const w = layer[r.role];
    if (w && (!sublayer || r.sublayer === sublayer)) out.push(w);
  }
  return out;
}

/** Each role's weight, then its bias if any. */
export function roleTensors<T>(roles: readonly Weighted<T>[]): T[] {
  return roles.flatMap((w) => (w.bias ? [w.weight, w.bias] : [w.weight]));
}
