/**
 * Token ids against the vocabulary at load (issue 9, items 4 and 11): a tokenizer with ids at or past
 * config.json's vocab_size, and eos/bos ids past it, are refused by name before any text is encoded.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/engine/errors';
import { specFromConfig } from '../../../src/engine/model/families';
import { makeEngine } from '../setup';
import { tinyModel } from '../../fixtures/tiny-models';
import { mutatedModel } from '../../support/mutate-model';

describe('token ids vs vocab_size', () => {
  it('a tokenizer with ids past vocab_size: ConfigError at load', async () => {
    const base = tinyModel('llama-gqa');
    const V = base.config.vocab_size as number;
    const tj = structuredClone(base.tokenizer.tokenizerJson) as { added_tokens: unknown[] };
    tj.added_tokens = [
      ...(tj.added_tokens ?? []),
      {
        id: V + 2,
        content: '<|extra|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ];
    const { files } = mutatedModel('llama-gqa', { files: { 'tokenizer.json': tj } });
    const e = makeEngine('onnxruntime-node');
    const err = await e.loadModel({ kind: 'local', name: 'x' }, files).catch((x) => x);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(
      `tokenizer.json has token ids up to ${V + 2}, but config.json's vocab_size is ${V}: ids ${V} and up would index past the embedding. Do the tokenizer files belong to this model?`,
    );
    await e.dispose();
  });

  it('eos_token_id / bos_token_id past the vocabulary (also in a list, or from generation_config): ConfigError', () => {
    const c = tinyModel('llama-gqa').config;
    const V = c.vocab_size as number;
    for (const [patch, msg] of [
      [
        { eos_token_id: V },
        `config.json: eos_token_id ${V} is past the vocabulary (vocab_size ${V}; ids run from 0 to ${V - 1}).`,
      ],
      [{ eos_token_id: [V + 10, 1] }, `config.json: eos_token_id ${V + 10} is past the vocabulary`],
      [{ bos_token_id: 10 ** 9 }, 'config.json: bos_token_id 1000000000 is past the vocabulary'],
    ] as const) {
      expect(() => specFromConfig({ ...c, ...patch }), JSON.stringify(patch)).toThrow(ConfigError);
      expect(() => specFromConfig({ ...c, ...patch })).toThrow(msg);
    }
    expect(() => specFromConfig({ ...c, eos_token_id: undefined }, { eosTokenId: V + 1 })).toThrow(
      /eos_token_id \d+ is past the vocabulary/,
    );
    expect(specFromConfig({ ...c, eos_token_id: V - 1 }).eosTokenId).toBe(V - 1);
  });
});
