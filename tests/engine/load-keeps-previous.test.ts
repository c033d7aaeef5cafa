/**
 * A model that fails to load leaves the previous one usable (issue 13, bad input: "each of these gets a clear
 * message and keeps the previous model and experiment"). Refusals from the config (here a quantized checkpoint)
 * come before the current model is released; failures while the sessions are built (a NaN weight, running out
 * of memory) load the previous model and its text again, and say so in details.previousModel. The page then
 * keeps working on the model it shows as "still loaded".
 */
import { describe, expect, it } from 'vitest';
import { nodeEngine, ortNode, threads } from '../../src/cli/ort-node';
import type { OrtLike } from '../../src/engine/runtime/ort';
import { ModelTooLargeError, NonFiniteError, SafetensorsDtypeError } from '../../src/engine/errors';
import { TINY_DOCUMENTS, tinyModel } from '../fixtures/tiny-models';
import { mutatedModel } from '../support/mutate-model';

const SETTINGS = { seqLen: 12, windows: 3 };

/** onnxruntime-node whose `failAt`-th session creation fails like an exhausted allocator. */
function failingOrt(state: { calls: number; failAt: number }): OrtLike {
  const real = ortNode;
  return {
    ...real,
    InferenceSession: {
      create: async (...args: Parameters<OrtLike['InferenceSession']['create']>) => {
        if (++state.calls === state.failAt)
          throw new Error('Failed to allocate memory for requested buffer of size 4194304');
        return real.InferenceSession.create(...args);
      },
    },
  } as OrtLike;
}

async function loaded(state = { calls: 0, failAt: Number.POSITIVE_INFINITY }) {
  const e = nodeEngine({ ...threads(1), ort: failingOrt(state) });
  await e.loadModel({ kind: 'local', name: 'tiny-llama' }, tinyModel('llama-gqa').files);
  await e.setText([...TINY_DOCUMENTS], SETTINGS);
  const before = await e.evaluate({ attn: [1], mlp: [] });
  return { e, before, state };
}

describe('a failed load keeps the previous model and its text', () => {
  it('a refusal from config.json (quantized checkpoint): nothing released, evaluations go on', async () => {
    const { e, before } = await loaded();
    const { files } = mutatedModel('llama-gqa', { config: { quantization_config: { quant_method: 'gptq', bits: 4 } } });
    const err = await e.loadModel({ kind: 'local', name: 'gptq' }, files).catch((x) => x);
    expect(err).toBeInstanceOf(SafetensorsDtypeError);
    expect(err.details.previousModel).toBeUndefined(); // never released
    expect((await e.evaluate({ attn: [1], mlp: [] })).perplexity).toBe(before.perplexity);
    await e.dispose();
  });

  it('a NaN weight found while building: the previous model and text are loaded again', async () => {
    const { e, before } = await loaded();
    const { files } = mutatedModel('llama-gqa', {
      tensors: { 'model.layers.1.mlp.down_proj.weight': (w) => (w[3] = Number.NaN) },
    });
    const err = await e.loadModel({ kind: 'local', name: 'nan-model' }, files).catch((x) => x);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err.details.previousModel).toBe('tiny-llama');
    expect(e.model?.spec.numLayers).toBe(tinyModel('llama-gqa').config.num_hidden_layers);
    const again = await e.evaluate({ attn: [1], mlp: [] });
    expect(again.perplexity).toBe(before.perplexity);
    expect(again.tokens).toBe(before.tokens);
    await e.dispose();
  });

  it('running out of memory while building: ModelTooLargeError naming it and what to do; previous model back', async () => {
    const { e, before, state } = await loaded();
    state.failAt = state.calls + 3; // the third session of the next load
    const err = await e
      .loadModel({ kind: 'local', name: 'big' }, tinyModel('llama-gqa', { seed: 7 }).files)
      .catch((x) => x);
    expect(err).toBeInstanceOf(ModelTooLargeError);
    expect(err.message).toBe(
      "Ran out of memory while building the model's graphs at fp32 (Failed to allocate memory for requested buffer of size 4194304). Choose a lower weight precision (fp16, q8 or q4), a smaller model, or fewer windows; or analyse it with the CLI on a larger machine and import the results.",
    );
    expect(err.details.previousModel).toBe('tiny-llama');
    state.failAt = Number.POSITIVE_INFINITY;
    expect((await e.evaluate({ attn: [1], mlp: [] })).perplexity).toBe(before.perplexity);
    await e.dispose();
  });
});
