/**
 * model_type "qwen2": Qwen1.5, Qwen2, Qwen2.5. Llama's layout with a bias on q, k and v (not on o);
 * defaults from transformers' Qwen2Config (which sets no bos/eos: config.json gives them).
 */
import { llamaLikePlan, llamaLikeSpec } from './llama-like';
import type { Family, FamilyDefaults } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: null,
  eosTokenId: null,
};

export const qwen2: Family = {
  name: 'qwen2',
  modelTypes: ['qwen2'],
  architectures: ['Qwen2ForCausalLM'],
  prefixes: ['model.', ''],
  spec: (c, fallback) => llamaLikeSpec('qwen2', c, defaults, { qkvBias: true, oBias: false, mlpBias: false }, fallback),
  plan: llamaLikePlan,
};
