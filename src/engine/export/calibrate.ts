/**
 * Calibration for the activation-aware 4-bit quantizers (gptq.ts, awq.ts): the statistics of every
 * linear's input, taken from the PRUNED model itself (dropped sublayers removed first, as LLM-Drop
 * pairs dropping with AWQ/GPTQ), layer by layer.
 *
 * For each kept sublayer, in order, one small ONNX graph (the live engine's own block, graphs/blocks.ts,
 * so what is calibrated is what is exported) runs every calibration window:
 *   hidden [B,T,d] -> hidden_out [B,T,d]                  the next sublayer's input (fp32 model)
 *                     xtx.{i}    [K_i, K_i] = X_i^T X_i   X_i = input i flattened to [B*T, K_i]
 *                     abssum.{i} [K_i]      = sum_t |X_i|
 * where input i is each DISTINCT linear input of the sublayer (q/k/v share N1(x): one Hessian; o_proj
 * has its own; gate/up share N2(m); down_proj has its own). The products run on the runtime (WebGPU
 * where the engine has it); sums over chunks of windows are kept in float64. Only one sublayer's
 * statistics and the [windows, T, d] states are held at a time: the caller consumes each sublayer's
 * statistics before the next is computed (an async generator).
 *
 * By default the states propagate through the float32 model: every linear of a layer sees the inputs
 * the unquantized pruned model gives it (AWQ's recipe). With `propagate` (GPTQ's sequential recipe:
 * each block is quantized on the outputs of the blocks before it, already quantized), once a
 * sublayer's statistics have been consumed its output is recomputed with the weights `propagate`
 * returns (its linears dequantized from q4), and the next sublayers are calibrated on that.
 */
import type { DropConfig } from '../api';
import { normalizeDrop } from '../drops';
import { CancelledError } from '../errors';
import * as blocks from '../graphs/blocks';
import type { LinearImpl } from '../graphs/blocks';
import * as sublayers from '../graphs/sublayers';
import type { LayerWeights, Linear, ModelSpec, ModelWeights } from '../model/spec';
import { GraphBuilder } from '../onnx/builder';
import type { OrtLike, OrtSession, OrtTensor } from '../runtime/ort';

/** The linear roles of a layer that calibration covers. */
export type LinearRole = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** Statistics of one distinct linear input (float64 sums over every calibration token). */
export interface InputStats {
  /** The linears reading this input, in the order the block calls them. */
  roles: LinearRole[];
  K: number;
  /** sum_t x_t x_t^T, [K, K] row-major. */
  xtx: Float64Array;
  /** sum_t |x_t|, [K]. */
  absSum: Float64Array;
  tokens: number;
}

export interface SublayerStats {
  layer: number;
  kind: 'attn' | 'mlp';
  inputs: InputStats[];
  /** With keepStates: the sublayer's float32 input and output over every window, [n * T * d] each. */
  states?: { input: Float32Array<ArrayBuffer>; output: Float32Array<ArrayBuffer> };
}

export interface CalibrationOptions {
  ort: OrtLike;
  /** Execution providers for the sessions (default the runtime's own default). */
  executionProviders?: readonly string[];
  /** Token ids [windows * seqLen]. */
  windows: Int32Array;
  seqLen: number;
  /** Windows per session run (default 8). */
  batch?: number;
  signal?: { readonly aborted: boolean };
  /** Also yield each sublayer's input and output states (held anyway; AWQ's sublayer search reads them). */
  keepStates?: boolean;
  /**
   * Called after each sublayer's statistics were consumed: the layer's weights to carry the states on
   * with (that sublayer's linears replaced by their quantized values), or null for the float32 ones.
   */
  propagate?: (layer: number, kind: 'attn' | 'mlp') => LayerWeights | null;
  /** Milliseconds spent in session runs (embedding and sublayers), added up here. */
  timing?: { runMs: number; buildMs: number };
}

const ROLES: readonly LinearRole[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/**
 * A sublayer graph that also outputs the statistics of every distinct linear input (unless `withStats` is
 * false: the plain float32 sublayer). Returns the graph and, per output index i, the roles reading input i.
 */
export function statsGraph(
  spec: ModelSpec,
  w: LayerWeights,
  l: number,
  kind: 'attn' | 'mlp',
  withStats = true,
): { onnx: Uint8Array; inputs: { roles: LinearRole[]; K: number }[] } {
  const b = new GraphBuilder(`droplab_calib_${kind}_${l}`);
  const inputs: { roles: LinearRole[]; K: number }[] = [];
  const byValue = new Map<string, number>();
  const roleOf = (lin: Linear): LinearRole => {
    const r = ROLES.find((r) => w[r] === lin);
    if (!r) throw new Error(`calibration: a linear of layer ${l} is not one of ${ROLES.join(', ')}`);
    return r;
  };
  const linear: LinearImpl = (g, x, lin, name) => {
    const K = lin.weight.shape[1];
    let i = byValue.get(x.name);
    if (i === undefined) {
      i = inputs.length;
      byValue.set(x.name, i);
      inputs.push({ roles: [], K });
      const x2 = g.reshape(x, [-1, K]); // [B*T, K]
      g.output(g.matmul(g.transpose(x2, [1, 0]), x2), `xtx.${i}`, [K, K]); // [K, K]
      g.output(g.reduceSum(g.abs(x2), [0], false), `abssum.${i}`, [K]); // [K]
    }
    inputs[i].roles.push(roleOf(lin));
    return blocks.fp32Linear(g, x, lin, name);
  };
  const ctx = blocks.blockContext(b, spec, { format: withStats ? { ...blocks.FP32, linear } : blocks.FP32 });
  const x = b.input(sublayers.IO.hidden, 'float32', ['batch', 'seq', spec.hiddenSize]); // [B,T,d]
  const out =
    kind === 'attn'
      ? blocks.attentionSublayer(ctx, x, w, l, { positions: blocks.sequencePositions(b, x) }).out
      : blocks.mlpSublayer(ctx, x, w, l).out;
  b.output(out, sublayers.IO.hiddenOut, ['batch', 'seq', spec.hiddenSize]);
  return { onnx: b.build(), inputs };
}

async function floats(t: OrtTensor): Promise<Float32Array> {
  if (t.location && t.location !== 'cpu' && t.getData) return (await t.getData()) as Float32Array;
  return t.data as Float32Array;
}

/**
 * Statistics of every kept sublayer of the pruned model, one sublayer at a time, in model order.
 * Throws CancelledError when the signal turns aborted (checked between session runs).
 */
export async function* calibrate(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  opts: CalibrationOptions,
): AsyncGenerator<SublayerStats> {
  const d = normalizeDrop(drop, spec.numLayers);
  const { ort, seqLen } = opts;
  const n = Math.floor(opts.windows.length / seqLen);
  const batch = Math.max(1, opts.batch ?? 8);
  const dim = spec.hiddenSize;
  const timing = opts.timing ?? { runMs: 0, buildMs: 0 };
  const check = () => {
    if (opts.signal?.aborted) throw new CancelledError('Export cancelled during calibration: nothing was written.');
  };
  const sessionOf = async (onnx: Uint8Array): Promise<OrtSession> =>
    ort.InferenceSession.create(onnx, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(opts.executionProviders ? { executionProviders: opts.executionProviders } : {}),
    });

  // x_0 of every window, [n, T, d]
  let t0 = performance.now();
  const emb = await sessionOf(sublayers.embedding(spec, weights, { rope: { kind: 'compute' } }));
  timing.buildMs += performance.now() - t0;
  let states = new Float32Array(n * seqLen * dim);
  for (let w0 = 0; w0 < n; w0 += batch) {
    check();
    const bs = Math.min(batch, n - w0);
    const ids = BigInt64Array.from(opts.windows.subarray(w0 * seqLen, (w0 + bs) * seqLen), (v) => BigInt(v));
    t0 = performance.now();
    const r = await emb.run({ [sublayers.IO.inputIds]: new ort.Tensor('int64', ids, [bs, seqLen]) });
    timing.runMs += performance.now() - t0;
    states.set(await floats(r[sublayers.IO.hidden]), w0 * seqLen * dim);
    for (const t of Object.values(r)) t.dispose();
  }
  await emb.release();

  const droppedAttn = new Set(d.attn);
  const droppedMlp = new Set(d.mlp);
  for (let l = 0; l < spec.numLayers; l++) {
    for (const kind of ['attn', 'mlp'] as const) {
      if ((kind === 'attn' ? droppedAttn : droppedMlp).has(l)) continue;
      check();
      t0 = performance.now();
      const g = statsGraph(spec, weights.layers[l], l, kind);
      const session = await sessionOf(g.onnx);
      timing.buildMs += performance.now() - t0;
      const stats: InputStats[] = g.inputs.map(({ roles, K }) => ({
        roles,
        K,
        xtx: new Float64Array(K * K),
        absSum: new Float64Array(K),
        tokens: 0,
      }));
      const next = await runOver(session, states, async (r, bs) => {
        for (let i = 0; i < stats.length; i++) {
          const xtx = await floats(r[`xtx.${i}`]);
          const abs = await floats(r[`abssum.${i}`]);
          const s = stats[i];
          for (let k = 0; k < xtx.length; k++) s.xtx[k] += xtx[k];
          for (let k = 0; k < abs.length; k++) s.absSum[k] += abs[k];
          s.tokens += bs * seqLen;
        }
      });
      await session.release();
      const input = states;
      states = next;
      yield { layer: l, kind, inputs: stats, ...(opts.keepStates ? { states: { input, output: next } } : {}) };
      const wq = opts.propagate?.(l, kind) ?? null;
      if (wq) states = await forwardSublayer(wq, l, kind, input);
    }
  }

  /**
   * Runs a sublayer session over every window of x [n, T, d], `batch` windows at a time: its hidden_out
   * [n, T, d], each batch's results handed to `each` before they are disposed.
   */
  async function runOver(
    session: OrtSession,
    x: Float32Array,
    each?: (r: Record<string, OrtTensor>, bs: number) => Promise<void>,
  ): Promise<Float32Array<ArrayBuffer>> {
    const out = new Float32Array(x.length);
    for (let w0 = 0; w0 < n; w0 += batch) {
      check();
      const bs = Math.min(batch, n - w0);
      const xb = x.subarray(w0 * seqLen * dim, (w0 + bs) * seqLen * dim);
      const t1 = performance.now();
      const r = await session.run({ [sublayers.IO.hidden]: new ort.Tensor('float32', xb, [bs, seqLen, dim]) });
      timing.runMs += performance.now() - t1;
      out.set(await floats(r[sublayers.IO.hiddenOut]), w0 * seqLen * dim);
      await each?.(r, bs);
      for (const t of Object.values(r)) t.dispose();
    }
    return out;
  }

  /** The sublayer's output over every window with weights w (plain float32 graph). */
  async function forwardSublayer(w: LayerWeights, l: number, kind: 'attn' | 'mlp', x: Float32Array) {
    const t1 = performance.now();
    const session = await sessionOf(statsGraph(spec, w, l, kind, false).onnx);
    timing.buildMs += performance.now() - t1;
    const out = await runOver(session, x);
    await session.release();
    return out;
  }
}
