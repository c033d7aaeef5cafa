/**
 * Config sizes against sane bounds and against the weights present (issue 9, item 3): a config.json
 * claiming a billion layers is refused at once (it used to plan every layer of every name prefix
 * first: 1.4 GB and 35 s before any tensor was checked), and one claiming more layers than the
 * checkpoint holds is told so before the weight plan is built.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/engine/errors';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { specFromConfig } from '../../../src/engine/model/families';
import { tinyModel } from '../../fixtures/tiny-models';
import { mutatedModel } from '../../support/mutate-model';

describe('config sizes', () => {
  it('sizes past the bounds: ConfigError naming the key and value', () => {
    const base = tinyModel('llama-gqa').config;
    for (const [key, value] of [
      ['num_hidden_layers', 1_000_000_000],
      ['hidden_size', 2 ** 30],
      ['vocab_size', 2 ** 31],
      ['intermediate_size', 2 ** 40],
      ['num_attention_heads', 1_000_000],
    ] as const) {
      const err = (() => {
        try {
          specFromConfig({ ...base, [key]: value });
        } catch (e) {
          return e;
        }
      })() as ConfigError;
      expect(err, key).toBeInstanceOf(ConfigError);
      expect(err.message, key).toContain(`config.json: ${key} is ${value}, more than DropLab accepts`);
    }
  });

  it('more layers than the checkpoint holds: ConfigError before the plan is built (llama, gpt2 without prefix)', async () => {
    for (const [variant, key, head] of [
      ['llama-gqa', 'num_hidden_layers', 'model.layers.'],
      ['gpt2', 'n_layer', 'h.'],
    ] as const) {
      const { files, tiny } = mutatedModel(variant, { config: { [key]: 4000 } });
      const L = tiny.config[key] as number;
      const err = await loadModelFromFiles(files).catch((e) => e);
      expect(err, variant).toBeInstanceOf(ConfigError);
      expect(err.message, variant).toBe(
        `config.json says the model has 4000 layers, but the checkpoint has tensors for ${L} (${head}0 to ${head}${L - 1}). Does config.json belong to these weights?`,
      );
    }
  });
});
