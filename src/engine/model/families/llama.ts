/**
 * model_type "llama": Llama 1/2/3.x (rope_scaling "llama3"), SmolLM/SmolLM2, TinyLlama, Yi, ...
 * Defaults from transformers' LlamaConfig. attention_bias puts a bias on q, k, v and o; mlp_bias on
 * gate, up and down.
 */
import { bool } from './config';
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

export const llama: Family = {
  name: 'llama',
  modelTypes: ['llama'],
  architectures: ['LlamaForCausalLM'],
  prefixes: ['model.', ''],
  spec: (c, fallback) => {
    const attnBias = bool(c, 'attention_bias', false);
    return llamaLikeSpec(
      'llama',
      c,
      defaults,
      { qkvBias: attnBias, oBias: attnBias, mlpBias: bool(c, 'mlp_bias', false) },
      fallback,
    );
  },
  plan: llamaLikePlan,
};
