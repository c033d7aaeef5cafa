/**
 * model_type "mistral": Mistral 7B v0.1-v0.3 and relatives. Llama's layout without biases; defaults
 * from transformers' MistralConfig. sliding_window only matters for windows longer than it (4096 in
 * v0.1); ModelSpec does not carry it.
 */
import { llamaLikePlan, llamaLikeSpec } from './llama-like';
import type { Family, FamilyDefaults } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: 1,
  eosTokenId: 2,
};

export const mistral: Family = {
  name: 'mistral',
  modelTypes: ['mistral'],
  architectures: ['MistralForCausalLM'],
  prefixes: ['model.', ''],
  spec: (c, fallback) =>
    llamaLikeSpec('mistral', c, defaults, { qkvBias: false, oBias: false, mlpBias: false }, fallback),
  plan: llamaLikePlan,
};
