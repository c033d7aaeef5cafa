/**
 * Graphs the benchmark times next to the engine's own, to size the fixes it proposes (the engine is
 * not changed here):
 *   gramCosine   all (L+1)^2 boundary-pair cosines of one chunk in ONE run, instead of one cosine
 *                session run per pair (pipeline.cosinePairs);
 *   leanHead     the head without ArgMax (ORT computes every output of a graph, fetched or not),
 *                optionally with one ReduceLogSumExp instead of ReduceMax/Sub/Exp/ReduceSum/Log/Add;
 *   leanSublayer a sublayer graph with only hidden_out (no cos / cos_nonorm outputs).
 */
import * as blocks from '../src/engine/graphs/blocks';
import { DIM, IO } from '../src/engine/graphs/sublayers';
import type { ModelSpec, ModelWeights } from '../src/engine/model/spec';
import { GraphBuilder, type Value } from '../src/engine/onnx/builder';

/**
 * x_0..x_{n-1} [B,T,d] -> sum [n,n] (sum over B,T of cos(x_i, x_j)) and last [B,n,n] (at position T-1).
 * cos = a.b / max(|a||b|, 1e-12), as blocks.cosine, from the Gram matrix of the n states per token.
 */
export function gramCosine(n: number, d: number): Uint8Array {
  const b = new GraphBuilder('gram_cosine');
  const xs: Value[] = [];
  for (let i = 0; i < n; i++) xs.push(b.input(`x${i}`, 'float32', [DIM.batch, DIM.seq, d]));
  const X = b.concat(
    xs.map((x) => b.unsqueeze(x, [2])),
    2,
  ); // [B,T,n,d]
  const G = b.matmul(X, b.transpose(X, [0, 1, 3, 2])); // [B,T,n,n]
  const norms = b.sqrt(b.reduceSum(b.mul(X, X), [-1], false)); // [B,T,n]
  const denom = b.max(b.mul(b.unsqueeze(norms, [-1]), b.unsqueeze(norms, [-2])), blocks.COSINE_EPS);
  const cos = b.div(G, denom); // [B,T,n,n]
  b.output(b.reduceSum(cos, [0, 1], false), 'sum', [n, n]);
  b.output(b.squeeze(b.slice(cos, [-1], [Number.MAX_SAFE_INTEGER], [1]), [1]), 'last', [DIM.batch, n, n]);
  return b.build();
}

/** hidden, input_ids -> nll [B,T-1] without ArgMax; log-sum-exp as blocks.nllAndArgmax or one ReduceLogSumExp. */
export function leanHead(spec: ModelSpec, weights: ModelWeights, lseKind: 'blocks' | 'ReduceLogSumExp'): Uint8Array {
  const b = new GraphBuilder('lean_head');
  const ctx = blocks.blockContext(b, spec);
  const h = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, spec.hiddenSize]);
  const ids = b.input(IO.inputIds, 'int64', [DIM.batch, DIM.seq]);
  const logits = blocks.lmHead(ctx, weights, h); // [B,T,V]
  let lse: Value;
  if (lseKind === 'ReduceLogSumExp')
    lse = b.reduceLogSumExp(logits, [-1], true); // [B,T,1]
  else {
    const mx = b.reduceMax(logits, [-1], true);
    lse = b.add(b.log(b.reduceSum(b.exp(b.sub(logits, mx)), [-1], true)), mx);
  }
  const next = b.concat(
    [b.slice(ids, [1], [Number.MAX_SAFE_INTEGER], [1]), b.slice(ids, [-1], [Number.MAX_SAFE_INTEGER], [1])],
    1,
  );
  const picked = b.gatherElements(logits, b.unsqueeze(next, [-1]), -1);
  const nll = b.slice(b.squeeze(b.sub(lse, picked), [-1]), [0], [-1], [1]);
  b.output(nll, IO.nll, [DIM.batch, DIM.seqMinus1]);
  return b.build();
}

/** Attention (s even) or MLP (s odd) sublayer of layer s>>1 with only hidden_out. */
export function leanSublayer(spec: ModelSpec, weights: ModelWeights, s: number): Uint8Array {
  const l = s >> 1;
  const b = new GraphBuilder(`lean_${s % 2 ? 'mlp' : 'attn'}_${l}`);
  const ctx = blocks.blockContext(b, spec);
  const x = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, spec.hiddenSize]);
  const out =
    s % 2 === 0
      ? blocks.attentionSublayer(ctx, x, weights.layers[l], l, { positions: blocks.sequencePositions(b, x) }).out
      : blocks.mlpSublayer(ctx, x, weights.layers[l], l).out;
  b.output(out, IO.hiddenOut, [DIM.batch, DIM.seq, spec.hiddenSize]);
  return b.build();
}
