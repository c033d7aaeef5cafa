/**
 * ModelSpec: everything the engine needs to know about an architecture, normalized once from a
 * Hugging Face config.json by a family module (src/engine/model/families/*). Family differences are
 * flags here, never class hierarchies.
 */
export type FamilyName = 'llama' | 'mistral' | 'qwen2' | 'gpt2';

export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number };

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
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
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
}

export interface Linear {
  weight: Param; // [out, in]
  bias: Param | null; // [out]
}

export interface Norm {
  weight: Param; // [d]
  bias: Param | null; // [d], LayerNorm only
}

export interface LayerWeights {
  attnNorm: Norm; // N1
  q: Linear; // [H*hd, d]
  k: Linear; // [Hkv*hd, d]
  v: Linear; // [Hkv*hd, d]
  o: Linear; // [d, H*hd]
  mlpNorm: Norm; // N2
  gate: Linear | null; // [I, d], gated MLP only
  up: Linear; // [I, d]
  down: Linear; // [d, I]
}

export interface ModelWeights {
  embed: Param; // [V, d]
  posEmbed: Param | null; // [P, d], learned positions only
  layers: LayerWeights[];
  finalNorm: Norm;
  lmHead: Param; // [V, d]; the same Param as embed when tied
}
