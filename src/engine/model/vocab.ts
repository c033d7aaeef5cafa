/**
 * The tokenizer against the model's vocabulary, checked at load: an id at or past config.json's
 * vocab_size indexes past the embedding (onnxruntime's Gather fails with its own log, or, on WebGPU,
 * may read garbage silently). Qwen2-style padding (vocab_size larger than the tokenizer) is fine.
 */
import { ConfigError } from '../errors';
import type { ModelSpec } from './spec';

export function checkTokenizerVocab(tok: { vocabSize: number; eosTokenId: number | null }, spec: ModelSpec): void {
  const V = spec.vocabSize;
  if (tok.vocabSize > V)
    throw new ConfigError(
      `tokenizer.json has token ids up to ${tok.vocabSize - 1}, but config.json's vocab_size is ${V}: ids ${V} and up would index past the embedding. Do the tokenizer files belong to this model?`,
      { key: 'vocab_size', vocabSize: V, tokenizerVocabSize: tok.vocabSize },
    );
  if (tok.eosTokenId !== null && tok.eosTokenId >= V)
    throw new ConfigError(`The end-of-text token id ${tok.eosTokenId} is past the vocabulary (vocab_size ${V}).`, {
      key: 'eos_token',
      eosTokenId: tok.eosTokenId,
      vocabSize: V,
    });
}
