/**
 * x_0 for a batch of windows computed in TypeScript from the embedding table's rows (issue 13): the
 * table is never a session's initializer, so it is held by no session (a tied table lives only in the
 * head, chunked) and costs no graph build. A streamed checkpoint reads just the rows the windows use.
 *
 *   x_0[b,t] = fround(fround(E[ids[b,t]] + P[t]) * fround(embedScale))   float32 [B,T,d]
 *
 * with P (learned positions, gpt2) and the scale (gemma) only where the family has them: the same
 * float32 operations, in the same order, as blocks.embedding's Gather, Add and Mul, so the values are
 * identical to the embedding graph's (tests/engine/reference.test.ts holds them to the float64 reference).
 */
import type { ModelSpec, ModelWeights, Param } from './model/spec';

/** Rows of a [rows, d] param by index, reading each distinct row once (all at once when it cannot read rows). */
function rowReader(p: Param): (r: number) => Float32Array {
  const d = p.shape[1];
  if (!p.loadRows) {
    const all = p.load();
    return (r) => all.subarray(r * d, (r + 1) * d);
  }
  const seen = new Map<number, Float32Array>();
  return (r) => {
    let v = seen.get(r);
    if (!v) {
      v = (p.loadRows as (a: number, b: number) => Float32Array)(r, r + 1);
      seen.set(r, v);
    }
    return v;
  };
}

/** ids [B*T] (window-major) -> x_0 [B*T*d] float32. */
export function embedRows(
  spec: ModelSpec,
  weights: ModelWeights,
  ids: ArrayLike<number | bigint>,
  T: number,
): Float32Array {
  const d = spec.hiddenSize;
  const n = ids.length;
  const out = new Float32Array(n * d);
  const tok = rowReader(weights.embed);
  const pos = spec.position === 'learned' && weights.posEmbed ? rowReader(weights.posEmbed) : null;
  const scale = spec.embedScale !== undefined ? Math.fround(spec.embedScale) : null;
  for (let i = 0; i < n; i++) {
    const id = Number(ids[i]);
    if (!Number.isInteger(id) || id < 0 || id >= spec.vocabSize)
      throw new RangeError(`token id ${id} is outside the vocabulary (0..${spec.vocabSize - 1})`);
    const row = tok(id);
    const o = i * d;
    out.set(row, o);
    if (pos) {
      const p = pos(i % T);
      for (let j = 0; j < d; j++) out[o + j] += p[j]; // float32 store rounds, as Add does
    }
    if (scale !== null) for (let j = 0; j < d; j++) out[o + j] *= scale;
  }
  return out;
}
