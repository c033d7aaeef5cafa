/**
 * The graphs the live pipeline runs (DESIGN.md §2): one small ONNX model per sublayer, each over a
 * whole window, batch and length dynamic. Hidden states stay on the device between them; only the
 * per-token numbers below are ever read back.
 *
 *   embedding  input_ids int64 [B,T]                      -> hidden float32 [B,T,d]
 *   attention  hidden [B,T,d]                              -> hidden_out = x + o(Attn(N1(x))) [B,T,d],
 *                                                             cos [B,T] = cos(x, hidden_out),
 *                                                             cos_nonorm [B,T] = cos(N1(x), Attn(N1(x)))
 *   mlp        hidden [B,T,d]                              -> hidden_out = m + MLP(N2(m)), cos, cos_nonorm
 *   head       hidden [B,T,d], input_ids [B,T]            -> nll [B,T-1] float32, argmax [B,T] int64
 *                                                             (vocabulary in chunks: chunked-head.ts)
 *   cosine     a [B,T,d], b [B,T,d]                       -> cos [B,T]
 *   gram       x_0..x_K-1 [B,T,d]                          -> gram_sum [K,K] = sum_t cos(x_i, x_j), gram_last [B,K,K] at t = T-1
 *
 * ORT computes every output of a graph whether or not it is fetched, so the pipeline fetches the
 * sublayer cosines on every run and keeps their sums (they cost little next to the sublayer).
 * Positions are 0..T-1 in every window. Cosines follow blocks.cosine: a.b / max(|a||b|, 1e-12).
 */
import { type GraphBytes, GraphBuilder, type Value } from '../onnx/builder';
import type { ModelSpec, ModelWeights } from '../model/spec';
import * as blocks from './blocks';
import type { RopeMode, WeightFormat } from './blocks';
import { chunkedNllAndArgmax } from './chunked-head';

/** Graph input/output names, shared with the pipeline. */
export const IO = {
  inputIds: 'input_ids',
  hidden: 'hidden',
  hiddenOut: 'hidden_out',
  cos: 'cos',
  cosNoNorm: 'cos_nonorm',
  nll: 'nll',
  argmax: 'argmax',
  a: 'a',
  b: 'b',
  gramSum: 'gram_sum',
  gramLast: 'gram_last',
} as const;

/** Symbolic dims (the names transformers.js exports use). */
export const DIM = {
  batch: 'batch_size',
  seq: 'sequence_length',
  seqMinus1: 'sequence_length_minus_1',
  hidden: 'hidden_size',
} as const;

export interface GraphOptions {
  /**
   * Longest window the graph will see: RoPE then uses a table of that many positions. Default: a table
   * of every position when maxPositions <= 4096, else cos/sin computed in the graph (blocks.defaultRope).
   */
  maxLength?: number;
  /** RoPE cos/sin as a precomputed table or computed in the graph (overrides maxLength). */
  rope?: RopeMode;
  /** Weight format (default blocks.FP32; the live precisions are in precision.ts). */
  format?: WeightFormat;
  /** Vocabulary rows per LM-head chunk (chunked-head.ts; default DEFAULT_VOCAB_CHUNK). */
  vocabChunk?: number;
}

function layer(spec: ModelSpec, weights: ModelWeights, l: number) {
  if (!Number.isInteger(l) || l < 0 || l >= spec.numLayers)
    throw new RangeError(`layer ${l} is not in 0..${spec.numLayers - 1}`);
  return weights.layers[l];
}

/** input_ids [B,T] -> hidden [B,T,d]. */
export function embedding(spec: ModelSpec, weights: ModelWeights, opts: GraphOptions = {}): Uint8Array {
  const b = new GraphBuilder('droplab_embedding');
  const ctx = blocks.blockContext(b, spec, opts);
  const ids = b.input(IO.inputIds, 'int64', [DIM.batch, DIM.seq]);
  b.output(blocks.embedding(ctx, weights, ids, null), IO.hidden, [DIM.batch, DIM.seq, spec.hiddenSize]);
  return b.build();
}

/**
 * A graph as the engine opens it: weights inside the protobuf, or apart (GraphBuilder.buildWeightsApart), from
 * attentionBuilder, mlpBuilder or headBuilder.
 */
export function graphBytes(b: GraphBuilder, weightsApart: boolean): GraphBytes {
  return weightsApart ? b.buildWeightsApart() : { model: b.build() };
}

/** Attention sublayer l: hidden -> hidden_out, cos, cos_nonorm. */
export function attention(spec: ModelSpec, weights: ModelWeights, l: number, opts: GraphOptions = {}): Uint8Array {
  return attentionBuilder(spec, weights, l, opts).build();
}

export function attentionBuilder(spec: ModelSpec, weights: ModelWeights, l: number, opts: GraphOptions): GraphBuilder {
  const w = layer(spec, weights, l);
  const b = new GraphBuilder(`droplab_attn_${l}`);
  const ctx = blocks.blockContext(b, spec, opts);
  const x = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, spec.hiddenSize]);
  const s = blocks.attentionSublayer(ctx, x, w, l, { positions: blocks.sequencePositions(b, x) });
  outputs(b, spec, x, s);
  return b;
}

/** MLP sublayer l: hidden -> hidden_out, cos, cos_nonorm. */
export function mlp(spec: ModelSpec, weights: ModelWeights, l: number, opts: GraphOptions = {}): Uint8Array {
  return mlpBuilder(spec, weights, l, opts).build();
}

export function mlpBuilder(spec: ModelSpec, weights: ModelWeights, l: number, opts: GraphOptions): GraphBuilder {
  const w = layer(spec, weights, l);
  const b = new GraphBuilder(`droplab_mlp_${l}`);
  const ctx = blocks.blockContext(b, spec, opts);
  const m = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, spec.hiddenSize]);
  outputs(b, spec, m, blocks.mlpSublayer(ctx, m, w, l));
  return b;
}

function outputs(b: GraphBuilder, spec: ModelSpec, x: Value, s: blocks.SublayerOut): void {
  b.output(s.out, IO.hiddenOut, [DIM.batch, DIM.seq, spec.hiddenSize]);
  b.output(blocks.cosine(b, x, s.out), IO.cos, [DIM.batch, DIM.seq]);
  b.output(blocks.cosine(b, s.normed, s.delta), IO.cosNoNorm, [DIM.batch, DIM.seq]);
}

/** Final norm, LM head, per-token NLL of the next token and argmax: hidden, input_ids -> nll, argmax. */
export function head(spec: ModelSpec, weights: ModelWeights, opts: GraphOptions = {}): Uint8Array {
  return headBuilder(spec, weights, opts).build();
}

export function headBuilder(spec: ModelSpec, weights: ModelWeights, opts: GraphOptions): GraphBuilder {
  const b = new GraphBuilder('droplab_head');
  const ctx = blocks.blockContext(b, spec, opts);
  const h = b.input(IO.hidden, 'float32', [DIM.batch, DIM.seq, spec.hiddenSize]);
  const ids = b.input(IO.inputIds, 'int64', [DIM.batch, DIM.seq]);
  const { nll, argmax } = chunkedNllAndArgmax(ctx, weights, h, ids, opts.vocabChunk); // no [B,T,V] tensor
  b.output(nll, IO.nll, [DIM.batch, DIM.seqMinus1]);
  b.output(argmax, IO.argmax, [DIM.batch, DIM.seq]);
  return b;
}

/** a, b [B,T,d] -> cos [B,T] (any d). */
export function cosine(): Uint8Array {
  const g = new GraphBuilder('droplab_cosine');
  const a = g.input(IO.a, 'float32', [DIM.batch, DIM.seq, DIM.hidden]);
  const c = g.input(IO.b, 'float32', [DIM.batch, DIM.seq, DIM.hidden]);
  g.output(blocks.cosine(g, a, c), IO.cos, [DIM.batch, DIM.seq]);
  return g.build();
}

/**
 * All pairwise cosines of K states in one graph: gram_sum [K,K] = sum over every token of cos(x_i, x_j),
 * gram_last [B,K,K] = cos at the last position (Gromov et al.'s angular distance). Vectors are scaled
 * to unit length first (|x| floored at 1e-6, which for any real hidden state equals the project-wide
 * a.b / max(|a||b|, 1e-12)). Inputs are named x0..x{K-1}.
 */
export function gram(K: number): Uint8Array {
  const g = new GraphBuilder(`droplab_gram_${K}`);
  const xs: Value[] = [];
  for (let i = 0; i < K; i++) {
    const x = g.input(`x${i}`, 'float32', [DIM.batch, DIM.seq, DIM.hidden]); // [B,T,d]
    const norm = g.sqrt(g.reduceSum(g.mul(x, x), [-1], true)); // [B,T,1]
    xs.push(g.unsqueeze(g.div(x, g.max(norm, 1e-6)), [2])); // [B,T,1,d]
  }
  const n = g.concat(xs, 2); // [B,T,K,d]
  const cos = g.matmul(n, g.transpose(n, [0, 1, 3, 2])); // [B,T,K,K]
  g.output(g.reduceSum(cos, [0, 1], false), IO.gramSum, [K, K]);
  const last = g.squeeze(g.slice(cos, [-1], [2 ** 31 - 1], [1]), [1]); // [B,K,K]
  g.output(last, IO.gramLast, [DIM.batch, K, K]);
  return g.build();
}
