/**
 * The analysis head without [tokens x vocab] logits (issue 13 item 3): the LM head runs over vocabulary
 * chunks of `chunk` rows, and each chunk's logits are reduced at once to a running log-sum-exp, the
 * target's logit and a running argmax, so the largest tensor is [B,T,chunk] whatever the vocabulary.
 * Chunk c covers rows [c0, c1) of W [V, d], read alone from the checkpoint (paramRows).
 *
 *   l_c  = head(N(h), W[c0:c1])               [B,T,Vc]  (divisor, soft-cap as in blocks.lmHead)
 *   m_c  = max l_c,  s_c = sum exp(l_c - m_c)  [B,T,1]
 *   M    = max(M, m_c);  S = S exp(M_old - M) + s_c exp(m_c - M)
 *   pick += l_c[target - c0] where c0 <= target < c1
 *   am   = argmax l_c + c0 where m_c > M_old (ties keep the earlier, lower index: ArgMax's first index)
 *   nll  = log S + M - pick                    [B,T-1]
 *
 * Equal to blocks.nllAndArgmax over the full logits up to float32 rounding of the sums
 * (tests/engine/graphs/chunked-head.test.ts, against the float64 reference).
 */
import type { ModelSpec, ModelWeights, Param } from '../model/spec';
import { paramRows } from '../model/spec';
import type { Value } from '../onnx/builder';
import * as blocks from './blocks';
import type { BlockContext } from './blocks';

/** Rows per vocabulary chunk by default: [8 windows x 1024 tokens x 8192] float32 logits = 256 MiB at most. */
export const DEFAULT_VOCAB_CHUNK = 8192;

/** A param standing for rows [r0, r1) of `p` (loaded alone when the checkpoint streams). */
function rowsParam(p: Param, r0: number, r1: number): Param {
  return { shape: [r1 - r0, ...p.shape.slice(1)], load: () => paramRows(p, r0, r1) };
}

export function chunkedNllAndArgmax(
  ctx: BlockContext,
  weights: ModelWeights,
  h: Value,
  ids: Value,
  chunk = DEFAULT_VOCAB_CHUNK,
): { nll: Value; argmax: Value } {
  const { b, spec } = ctx;
  const V = spec.vocabSize;
  // each chunk's argmax travels as float32 beside its reductions (below): exact only for indices below 2^24
  if (V > 2 ** 24) throw new RangeError(`chunkedNllAndArgmax: a vocabulary of ${V} is over 2^24 rows`);
  const hn = blocks.norm(ctx, h, weights.finalNorm, 'final_norm'); // [B,T,d]
  const name = weights.lmHead === weights.embed ? 'embed_tokens.weight' : 'lm_head.weight';
  return b.scope('nll', () => {
    // targets: ids shifted left by one; the last position gets a placeholder (its own id) and is cut off
    const next = b.concat(
      [b.slice(ids, [1], [Number.MAX_SAFE_INTEGER], [1]), b.slice(ids, [-1], [Number.MAX_SAFE_INTEGER], [1])],
      1,
    ); // [B,T]
    const target = b.unsqueeze(next, [-1]); // [B,T,1] int64
    let M: Value | null = null; // running max [B,T,1]
    let S: Value | null = null; // running sum of exp(l - M) [B,T,1]
    let pick: Value | null = null; // target logit [B,T,1]
    let am: Value | null = null; // running argmax [B,T,1] int64
    for (let c0 = 0; c0 < V; c0 += chunk) {
      const c1 = Math.min(V, c0 + chunk);
      const logits = b.scope(`chunk${c0}`, () =>
        headLogits(ctx, spec, hn, rowsParam(weights.lmHead, c0, c1), name, c0),
      ); // [B,T,Vc]
      const m0 = b.reduceMax(logits, [-1], true); // [B,T,1]
      const s0 = b.reduceSum(b.exp(b.sub(logits, m0)), [-1], true); // [B,T,1]
      const a0 = b.add(b.unsqueeze(b.argMax(logits, -1, false), [-1]), b.i64([c0])); // [B,T,1]
      const local = b.sub(target, b.i64([c0])); // [B,T,1]
      const inChunk = b.and(b.greater(local, -1), b.less(local, c1 - c0)); // [B,T,1] bool
      const safe = b.where(inChunk, local, b.i64(0)); // an index inside the chunk either way
      const pickedRaw = b.where(inChunk, b.gatherElements(logits, safe, -1), 0); // [B,T,1]
      // Every use of the chunk's logits ends in one node, so the runtime finishes the chunk before it starts
      // another: its execution order (a depth-first walk back from the outputs) otherwise ran the s chain
      // through every chunk first and held all [B,T,Vc] logits, [B,T,V] in all, for the argmax and pick
      // chains. The copies are exact (a < V <= 2^24 is exact in float32).
      const part = b.concat([m0, s0, pickedRaw, b.cast(a0, 'float32')], -1); // [B,T,4]
      const m = b.slice(part, [0], [1], [-1]);
      const s = b.slice(part, [1], [2], [-1]);
      const picked = b.slice(part, [2], [3], [-1]);
      const a = b.cast(b.slice(part, [3], [4], [-1]), 'int64');
      if (!M || !S || !pick || !am) {
        M = m;
        S = s;
        pick = picked;
        am = a;
        continue;
      }
      const M2 = b.max(M, m);
      S = b.add(b.mul(S, b.exp(b.sub(M, M2))), b.mul(s, b.exp(b.sub(m, M2))));
      am = b.where(b.greater(m, M), a, am);
      pick = b.add(pick, picked);
      M = M2;
    }
    if (!M || !S || !pick || !am) throw new Error('chunkedNllAndArgmax: empty vocabulary');
    const lse = b.add(b.log(S), M); // [B,T,1]
    const nllAll = b.squeeze(b.sub(lse, pick), [-1]); // [B,T]
    return { nll: b.slice(nllAll, [0], [-1], [1]), argmax: b.squeeze(am, [-1]) }; // [B,T-1], [B,T]
  });
}

/** One chunk's logits as blocks.lmHead makes them: head, then the divisor and the soft-cap. [B,T,d] -> [B,T,Vc]. */
function headLogits(ctx: BlockContext, spec: ModelSpec, hn: Value, w: Param, name: string, c0: number): Value {
  let logits = ctx.format.head(ctx, hn, w, `${name}.rows${c0}`);
  if (spec.logitDivisor !== undefined) logits = ctx.b.div(logits, spec.logitDivisor);
  return spec.finalSoftcap ? blocks.softcap(ctx.b, logits, spec.finalSoftcap) : logits;
}
