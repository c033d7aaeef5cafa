/**
 * NaN and infinity (issue 9, item 2): a weight that is not finite is refused at load, naming the tensor;
 * finite weights whose activations overflow float32 give NonFiniteError from evaluate/analyze/plan/
 * dropOne naming the first sublayer whose output is not finite, never "perplexity NaN".
 */
import { describe, expect, it } from 'vitest';
import { NonFiniteError } from '../../src/engine/errors';
import { TINY_DOCUMENTS } from '../fixtures/tiny-models';
import { mutatedModel } from '../support/mutate-model';
import { makeEngine } from './setup';

const NAN_AT = 5;
const F32_MAX = 3.4028234663852886e38;

describe('non-finite weights and results', () => {
  it('NaN or infinity in a weight: NonFiniteError at load naming the file and tensor (f32, f16)', async () => {
    for (const [dtype, value, what] of [
      ['f32', Number.NaN, /1 NaN value/],
      ['f16', Number.POSITIVE_INFINITY, /1 infinite value/],
    ] as const) {
      const { files } = mutatedModel(
        'llama-gqa',
        { tensors: { 'model.layers.1.mlp.down_proj.weight': (d) => d.fill(value, NAN_AT, NAN_AT + 1) } },
        { dtype },
      );
      const e = makeEngine('onnxruntime-node');
      const err = await e.loadModel({ kind: 'local', name: 'nan' }, files).catch((x) => x);
      expect(err, dtype).toBeInstanceOf(NonFiniteError);
      expect(err.code).toBe('NOT_FINITE');
      expect(err.message).toMatch(/model\.safetensors: tensor "model\.layers\.1\.mlp\.down_proj\.weight"/);
      expect(err.message).toMatch(what);
      expect(err.message).toMatch(new RegExp(`first at element ${NAN_AT} of`));
      expect(err.details).toMatchObject({ tensor: 'model.layers.1.mlp.down_proj.weight', index: NAN_AT });
      await e.dispose();
    }
  });

  it('finite weights that overflow: NonFiniteError naming the sublayer; with that sublayer dropped it evaluates', async () => {
    // RMSNorm gain at float32's maximum: every normalized entry above 1 in magnitude becomes infinite in MLP 1's input.
    const { files } = mutatedModel('llama-gqa', {
      tensors: { 'model.layers.1.post_attention_layernorm.weight': (d) => d.fill(F32_MAX) },
    });
    const e = makeEngine('onnxruntime-node');
    await e.loadModel({ kind: 'local', name: 'overflow' }, files);
    await e.setText([...TINY_DOCUMENTS], { seqLen: 12, windows: 3 });
    const none = { attn: [], mlp: [] };
    for (const call of [
      () => e.evaluate(none),
      () => e.analyze(none),
      () => e.plan({ target: 'attn', n: 1, iterative: false }),
      () => e.dropOne(none),
    ]) {
      const err = await call().catch((x) => x);
      expect(err).toBeInstanceOf(NonFiniteError);
      expect(err.message).toMatch(/loss is (NaN|infinite)/);
      expect(err.message).toMatch(/first becomes NaN or infinite after MLP 1 \(layer 1\)/);
      expect(err.details.sublayer).toEqual({ kind: 'mlp', layer: 1 });
    }
    const ok = await e.evaluate({ attn: [], mlp: [1] });
    expect(Number.isFinite(ok.perplexity)).toBe(true);
    expect(ok.perplexity).toBeGreaterThan(1);
    await e.dispose();
  });
});
