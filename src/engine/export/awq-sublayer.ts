/**
 * AWQ's scale search judged on the whole sublayer's output, as AWQ does for the linears that share a
 * pre-norm input (Lin et al. 2023; its auto_scale inspects the attention module for q/k/v and the MLP
 * for gate/up): for each alpha on the grid, q/k/v (or gate/up) are replaced by their quantized
 * stand-ins W' = RTN(W diag(s)) diag(s)^-1, everything else of the sublayer stays float32, and the
 * error is the squared distance of the sublayer's output to the float32 output over every calibration
 * token:
 *   err(alpha) = sum_t |y'_t - y_t|^2,   y = x + Attn(N1(x))  (or m + MLP(N2(m)))
 * so the softmax, RoPE and the gate's nonlinearity weigh the errors as the model does, instead of each
 * linear's own output error (awq.ts awqSearch, which is exact for o_proj and down_proj, whose output is
 * the sublayer's output up to a linear map, and is kept for them).
 *
 * One session per sublayer: the searched linears' weights are graph inputs `wt.<role>` [K, N]
 * (transposed, as blocks.fp32Linear stores them), and the graph reduces the error itself
 * (ReduceSumSquare of y' - y against the float32 output given as `ref`), so only a scalar per run
 * comes back. Runs: alphas x (windows / batch).
 */
import type { OrtLike } from '../runtime/ort';
import { CancelledError } from '../errors';
import * as blocks from '../graphs/blocks';
import type { LinearImpl } from '../graphs/blocks';
import * as sublayers from '../graphs/sublayers';
import type { LayerWeights, Linear, ModelSpec } from '../model/spec';
import { GraphBuilder } from '../onnx/builder';
import { AWQ_ALPHAS, type AwqSearchResult, awqScales, rtnScaled } from './awq';
import type { LinearRole } from './calibrate';

const ROLES: readonly LinearRole[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** hidden [B,T,d], ref [B,T,d], wt.<role> [K,N] -> sse [] = sum (sublayer(hidden) - ref)^2. */
export function sublayerErrorGraph(
  spec: ModelSpec,
  w: LayerWeights,
  l: number,
  kind: 'attn' | 'mlp',
  searched: readonly LinearRole[],
): Uint8Array {
  const b = new GraphBuilder(`droplab_awq_${kind}_${l}`);
  const linear: LinearImpl = (g, x, lin: Linear, name) => {
    const role = ROLES.find((r) => w[r] === lin);
    if (!role || !searched.includes(role)) return blocks.fp32Linear(g, x, lin, name);
    const [N, K] = lin.weight.shape;
    let y = g.matmul(x, g.input(`wt.${role}`, 'float32', [K, N])); // [..., K] @ [K, N]
    if (lin.bias) y = g.add(y, g.initializer(`${name}.bias`, lin.bias.load(), [N]));
    return y;
  };
  const ctx = blocks.blockContext(b, spec, { format: { ...blocks.FP32, linear } });
  const x = b.input(sublayers.IO.hidden, 'float32', ['batch', 'seq', spec.hiddenSize]); // [B,T,d]
  const ref = b.input('ref', 'float32', ['batch', 'seq', spec.hiddenSize]); // [B,T,d]
  const out =
    kind === 'attn'
      ? blocks.attentionSublayer(ctx, x, w, l, { positions: blocks.sequencePositions(b, x) }).out
      : blocks.mlpSublayer(ctx, x, w, l).out;
  b.output(b.reduceSumSquare(b.sub(out, ref), [0, 1, 2], false), 'sse', []);
  return b.build();
}

export interface SublayerSearchInput {
  ort: OrtLike;
  executionProviders?: readonly string[];
  spec: ModelSpec;
  weights: LayerWeights;
  layer: number;
  kind: 'attn' | 'mlp';
  /** The linears sharing the searched input (q/k/v or gate/up, or up alone), with their weights [N, K]. */
  linears: { role: LinearRole; W: Float32Array; N: number }[];
  K: number;
  meanAbs: Float64Array;
  /** Duo scaling (awq.ts awqScales): the linears' awqWeightMean; null/absent = s from mean|x| alone. */
  wMean?: Float64Array | null;
  /** The sublayer's float32 input and output over the calibration windows, [n * T * d] each. */
  input: Float32Array<ArrayBuffer>;
  output: Float32Array<ArrayBuffer>;
  seqLen: number;
  block: number;
  batch?: number;
  alphas?: readonly number[];
  signal?: { readonly aborted: boolean };
}

/** W' = dequant(RTN(W diag s)) / s, transposed to [K, N] (float32). */
function standInT(W: Float32Array, N: number, K: number, block: number, s: Float32Array): Float32Array {
  const q = rtnScaled(W, N, K, block, 4, s);
  const blocks_ = K / block;
  const t = new Float32Array(K * N);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      t[k * N + n] = ((q.codes[n * K + k] - 8) * q.scales[n * blocks_ + Math.floor(k / block)]) / s[k];
  return t;
}

/** The alpha search on the sublayer's output (see the file comment). alpha 0 = plain RTN. */
export async function awqSublayerSearch(o: SublayerSearchInput): Promise<AwqSearchResult> {
  const { ort, spec, seqLen } = o;
  const dim = spec.hiddenSize;
  const n = Math.floor(o.input.length / (seqLen * dim));
  const batch = Math.max(1, o.batch ?? 8);
  const session = await ort.InferenceSession.create(
    sublayerErrorGraph(
      spec,
      o.weights,
      o.layer,
      o.kind,
      o.linears.map((x) => x.role),
    ),
    {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(o.executionProviders ? { executionProviders: o.executionProviders } : {}),
    },
  );
  const errors: number[] = [];
  let best: { alpha: number; scales: Float32Array; err: number } = {
    alpha: 0,
    scales: new Float32Array(o.K).fill(1),
    err: Number.POSITIVE_INFINITY,
  };
  try {
    for (const alpha of o.alphas ?? AWQ_ALPHAS) {
      const s = alpha === 0 ? new Float32Array(o.K).fill(1) : awqScales(o.meanAbs, alpha, o.wMean ?? null);
      const feeds: Record<string, unknown> = {};
      for (const { role, W, N } of o.linears)
        feeds[`wt.${role}`] = new ort.Tensor('float32', standInT(W, N, o.K, o.block, s), [o.K, N]);
      let err = 0;
      for (let w0 = 0; w0 < n; w0 += batch) {
        if (o.signal?.aborted) throw new CancelledError('Export cancelled during calibration: nothing was written.');
        const bs = Math.min(batch, n - w0);
        const span = [w0 * seqLen * dim, (w0 + bs) * seqLen * dim] as const;
        const r = await session.run({
          ...feeds,
          [sublayers.IO.hidden]: new ort.Tensor('float32', o.input.subarray(...span), [bs, seqLen, dim]),
          ref: new ort.Tensor('float32', o.output.subarray(...span), [bs, seqLen, dim]),
        } as never);
        err += (r.sse.data as Float32Array)[0];
        for (const t of Object.values(r)) t.dispose();
      }
      errors.push(err);
      if (err < best.err) best = { alpha, scales: s, err };
    }
  } finally {
    await session.release();
  }
  return { alpha: best.alpha, scales: best.scales, errors };
}
