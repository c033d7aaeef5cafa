/**
 * Building blocks of a weight plan for the families whose body is named like Llama's
 * (`<prefix>embed_tokens`, `<prefix>layers.{i}.…`, `<prefix>norm`, and `lm_head` outside the body).
 */
import type { ModelSpec } from '../spec';
import type { LayerRefs, LinearRef, NormRef, TensorRef, WeightPlan } from './types';

export function refMakers(s: ModelSpec, prefix: string) {
  const t = (name: string, shape: number[], extra: Partial<TensorRef> = {}): TensorRef => ({
    name: prefix + name,
    shape,
    ...extra,
  });
  return {
    t,
    /** nn.Linear `name` [out, in], with a bias [out] when asked. */
    linear: (name: string, out: number, inp: number, bias = false): LinearRef => ({
      weight: t(`${name}.weight`, [out, inp]),
      bias: bias ? t(`${name}.bias`, [out]) : null,
    }),
    /** An RMSNorm weight of n values (default hidden size); `extra` for load-time quirks (Gemma's offset). */
    norm: (name: string, n = s.hiddenSize, extra: Partial<TensorRef> = {}): NormRef => ({
      weight: t(`${name}.weight`, [n], extra),
      bias: null,
    }),
    /** The plan around the layers: embed_tokens, the final norm, and lm_head (never prefixed) unless tied. */
    body: (layers: LayerRefs[], finalNorm: NormRef): WeightPlan => ({
      embed: t('embed_tokens.weight', [s.vocabSize, s.hiddenSize]),
      posEmbed: null,
      layers,
      finalNorm,
      lmHead: s.tiedEmbeddings ? 'tied' : { name: 'lm_head.weight', shape: [s.vocabSize, s.hiddenSize] },
    }),
  };
}
