/**
 * The calibrated 4-bit export (issue 16): which quantizer makes each linear's MatMulNBits weights.
 *
 *   rtn   round-to-nearest, symmetric, per block (quant.ts): today's q4, no calibration.
 *   gptq  gptq.ts on each linear with the Hessian of its input; as GPTQ, sublayer by sublayer on the
 *         outputs of the sublayers before it already quantized (gptqSequential, default on).
 *   awq   awq.ts: per shared input a scale search; diag(s)^-1 folded into what produces the input:
 *           q/k/v     -> the attention norm's weight (and bias)     else an explicit Mul
 *           o_proj    -> v_proj's rows (and bias) when H == Hkv      else an explicit Mul (GQA: one v
 *                        row feeds several o columns, so their s would have to be equal)
 *           gate/up   -> the MLP norm's weight (and bias)           else an explicit Mul
 *           down_proj -> up_proj's rows (and bias), gated MLPs      else an explicit Mul (act(up) is
 *                        not linear)
 *         optional clipping search per block (AWQ's auto_clip; not on q_proj and k_proj, as AWQ).
 *
 * The statistics come from calibrate.ts, one sublayer at a time, and are dropped as soon as that
 * sublayer's linears are quantized. The result (Q4Plan) is what graph.ts builds the q4 graph from: the
 * weights with the folds applied, and the ready MatMulNBits tensors of every linear by weight Param.
 */
import type { DropConfig, ProgressFn } from '../api';
import { normalizeDrop } from '../drops';
import { ExportError, TextTooShortError } from '../errors';
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../model/spec';
import type { OrtLike } from '../runtime/ort';
import { type AwqErrorEval, awqQuantize, awqSearch, awqWeightMean } from './awq';
import { OrtQuadForms } from './awq-ort';
import { awqSublayerSearch } from './awq-sublayer';
import { type InputStats, type LinearRole, type SublayerStats, calibrate } from './calibrate';
import { gptqQuantize } from './gptq';
import { type BlockQuantized, dequantizeBlockwise, quantizeBlockwise } from './quant';

export type QuantMethod = 'rtn' | 'gptq' | 'awq';
export const QUANT_METHODS: readonly QuantMethod[] = ['rtn', 'gptq', 'awq'];
/** MatMulNBits block sizes offered for q4 (32 is the default and the fast WebGPU kernel's). */
export const QUANT_BLOCKS: readonly number[] = [32, 64, 128];

export interface Q4Linear {
  q: BlockQuantized;
  /** AWQ without a place to fold: the linear's input is multiplied by this [K] first (an explicit Mul). */
  inputScale?: Float32Array;
}

export interface QuantTimings {
  /** Session runs of the calibration graphs (forward + X^T X + sum|x| on the runtime). */
  calibrationMs: number;
  /** Building and compiling the calibration graphs. */
  graphMs: number;
  /** GPTQ: damping, permutation, Cholesky factors. */
  hessianMs: number;
  /** GPTQ: the column loop with its lazy block updates. */
  columnLoopMs: number;
  /** AWQ: the alpha search (and clipping search, in quantizeMs when asked). */
  awqSearchMs: number;
  /** AWQ: the final scaled (clipped) RTN of every linear. */
  quantizeMs: number;
}

export interface Q4Plan {
  method: QuantMethod;
  block: number;
  /** The weights the q4 graph is built from (AWQ: norms and v/up rows with the folds applied). */
  weights: ModelWeights;
  /** MatMulNBits weights of every linear, by its weight Param in the SOURCE weights. */
  linears: Map<Param, Q4Linear>;
  timings: QuantTimings;
  /** AWQ: the alpha chosen for each shared input, `layers.{l}.{roles}` -> alpha. */
  alphas: Record<string, number>;
  /** Tokens the statistics were taken over. */
  tokens: number;
}

export interface QuantOptions {
  method: QuantMethod;
  block: number;
  /** GPTQ act-order (static groups; gptq.ts). */
  actOrder?: boolean;
  /** AWQ clipping search (default on). */
  clip?: boolean;
  /**
   * GPTQ: calibrate each sublayer on the outputs of the already-quantized sublayers before it (GPTQ's
   * sequential quantization; default true), or on the float32 model's (false).
   */
  gptqSequential?: boolean;
  /** GPTQ damping (default 0.01). */
  percdamp?: number;
  /**
   * AWQ: how each alpha's linear output error is evaluated: 'ort' (default: every alpha at once as one
   * float32 graph on the calibration runtime, awq-ort.ts), 'blocked' (float64 TypeScript, awq.ts) or
   * 'loop' (the first row-by-row TypeScript loop, for the benchmark).
   */
  awqErrorEval?: AwqErrorEval;
  /**
   * AWQ: what the scales of q/k/v and gate/up are judged on: 'sublayer' (the attention or MLP output,
   * awq-sublayer.ts, as AWQ does) or 'linear' (each linear's own output error from H, awq.ts). o_proj
   * and down_proj are always judged on their own output. Default 'sublayer'.
   */
  awqObjective?: 'linear' | 'sublayer';
  /**
   * AWQ: how s is made from alpha (awq.ts awqScales): 'act' (mean|x|^alpha, AWQ's paper; default),
   * 'duo' (mean|x|^alpha / mean|w|^(1 - alpha), mean|w| of the block-normalized weights) or 'both' (both
   * grids searched, the lower calibration error kept; a duo alpha is recorded negative). alpha 0 is RTN.
   * Measured in docs/EXPORT.md (issue 16): neither alternative is better on every cell, so 'act' stays.
   */
  awqScaling?: 'act' | 'duo' | 'both';
  /** AWQ: leave o_proj unscaled where its 1/s cannot be folded into v_proj (GQA), as AWQ does. */
  awqSkipUnfoldable?: boolean;
}

export interface CalibrationInput {
  ort: OrtLike;
  executionProviders?: readonly string[];
  /** Token ids [windows * seqLen] of the calibration windows. */
  windows: Int32Array;
  seqLen: number;
  batch?: number;
}

/** Throws ExportError unless `block` is offered and divides every linear's input width. */
export function checkQuantOptions(spec: ModelSpec, q: QuantOptions): void {
  if (!(QUANT_METHODS as readonly string[]).includes(q.method))
    throw new ExportError(`Unknown quantization "${String(q.method)}". Choose from ${QUANT_METHODS.join(', ')}.`, {
      reason: 'unknown-quant',
    });
  if (!QUANT_BLOCKS.includes(q.block))
    throw new ExportError(`Block size ${q.block} is not offered. Choose from ${QUANT_BLOCKS.join(', ')}.`, {
      reason: 'block-size',
      block: q.block,
    });
  const widths = [
    ['hidden size', spec.hiddenSize],
    ['attention width (heads x head dim)', spec.numHeads * spec.headDim],
    ['MLP width', spec.intermediateSize],
  ] as const;
  for (const [what, k] of widths)
    if (k % q.block !== 0)
      throw new ExportError(
        `Block size ${q.block} does not divide the ${what} ${k}: every 4-bit block must lie inside one row. Choose a block size that divides ${k}.`,
        { reason: 'block-size', block: q.block, width: k },
      );
}

/**
 * Calibration windows and held-out windows from one tokenized text: the first `calib` windows calibrate,
 * the next `heldout` measure. TextTooShortError when the text has fewer than calib + heldout windows.
 */
export function splitCalibration(
  ids: Int32Array,
  seqLen: number,
  availableWindows: number,
  calib: number,
  heldout: number,
): { calibration: Int32Array; heldout: Int32Array } {
  if (availableWindows < calib + heldout)
    throw new TextTooShortError(
      `The calibration text has ${availableWindows} windows of ${seqLen} tokens, but ${calib} calibration and ${heldout} held-out windows were asked for. Use a longer text, fewer windows or shorter windows.`,
      { availableWindows, calib, heldout, seqLen },
    );
  return {
    calibration: ids.slice(0, calib * seqLen),
    heldout: ids.slice(calib * seqLen, (calib + heldout) * seqLen),
  };
}

const constParam = (v: Float32Array, shape: readonly number[]): Param => ({ shape, load: () => v });
const divided = (p: Param, s: Float32Array): Param => {
  const v = p.load();
  return constParam(
    Float32Array.from(v, (x, i) => x / s[i]),
    p.shape,
  );
};
const inv = (s: Float32Array) => Float32Array.from(s, (v) => 1 / v);

/** The linear of `role` in a layer (gate may be null). */
const lin = (w: LayerWeights, r: LinearRole): Linear => w[r] as Linear;

/**
 * Quantize every kept linear of the pruned model with `q.method`. RTN needs no calibration; GPTQ and
 * AWQ run calibrate.ts on `calib`. Progress: one step per kept sublayer.
 */
export async function planQ4(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  q: QuantOptions,
  calib: CalibrationInput | null,
  opts: { onProgress?: ProgressFn; signal?: { readonly aborted: boolean } } = {},
): Promise<Q4Plan> {
  checkQuantOptions(spec, q);
  const d = normalizeDrop(drop, spec.numLayers);
  const timings: QuantTimings = {
    calibrationMs: 0,
    graphMs: 0,
    hessianMs: 0,
    columnLoopMs: 0,
    awqSearchMs: 0,
    quantizeMs: 0,
  };
  const plan: Q4Plan = {
    method: q.method,
    block: q.block,
    weights: { ...weights, layers: weights.layers.map((w) => ({ ...w })) },
    linears: new Map(),
    timings,
    alphas: {},
    tokens: 0,
  };
  const total = spec.numLayers * 2 - d.attn.length - d.mlp.length;
  let done = 0;
  if (q.method === 'rtn') {
    for (let l = 0; l < spec.numLayers; l++) {
      const roles: LinearRole[] = [];
      if (!d.attn.includes(l)) roles.push('q', 'k', 'v', 'o');
      if (!d.mlp.includes(l))
        roles.push(...((weights.layers[l].gate ? ['gate', 'up', 'down'] : ['up', 'down']) as LinearRole[]));
      for (const r of roles) {
        const w = lin(weights.layers[l], r).weight;
        const [N, K] = w.shape;
        plan.linears.set(w, { q: quantizeBlockwise(w.load(), N, K, 4, q.block) });
      }
    }
    return plan;
  }
  if (!calib)
    throw new ExportError(`${q.method.toUpperCase()} needs calibration text: give calibration windows.`, {
      reason: 'no-calibration',
    });
  const cal = { runMs: 0, buildMs: 0 };
  const gtiming = { hessianMs: 0, loopMs: 0 };
  const keepStates = q.method === 'awq' && (q.awqObjective ?? 'sublayer') === 'sublayer';
  const quad =
    q.method === 'awq' && (q.awqErrorEval ?? 'ort') === 'ort'
      ? new OrtQuadForms(calib.ort, calib.executionProviders)
      : null;
  // GPTQ sequential: the sublayer just quantized, its linears dequantized, carries the states on
  let quantized: LayerWeights | null = null;
  const propagate =
    q.method === 'gptq' && (q.gptqSequential ?? true)
      ? () => {
          const w = quantized;
          quantized = null;
          return w;
        }
      : undefined;
  try {
    for await (const st of calibrate(spec, weights, d, {
      ...calib,
      signal: opts.signal,
      timing: cal,
      keepStates,
      propagate,
    })) {
      const src = weights.layers[st.layer];
      const out = plan.weights.layers[st.layer];
      plan.tokens = st.inputs[0]?.tokens ?? 0;
      if (q.method === 'gptq') {
        const wq: LayerWeights = { ...src };
        for (const s of st.inputs) {
          for (const r of s.roles) {
            const L = lin(src, r);
            const [N, K] = L.weight.shape;
            const bq = gptqQuantize(L.weight.load(), N, K, s.xtx, {
              block: q.block,
              actOrder: q.actOrder,
              percdamp: q.percdamp,
              name: `layers.${st.layer}.${r}`,
              timing: gtiming,
            });
            plan.linears.set(L.weight, { q: bq });
            wq[r] = { weight: constParam(dequantizeBlockwise(bq), L.weight.shape), bias: L.bias };
          }
        }
        if (propagate) quantized = wq;
      } else {
        await awqSublayer(spec, src, out, st, q, plan, keepStates ? { calib, signal: opts.signal } : null, quad);
      }
      opts.onProgress?.({ stage: 'quantize', done: ++done, total, unit: 'sublayers' });
    }
  } finally {
    await quad?.release();
  }
  timings.calibrationMs = cal.runMs;
  timings.graphMs = cal.buildMs;
  timings.hessianMs = gtiming.hessianMs;
  timings.columnLoopMs = gtiming.loopMs;
  return plan;
}

/** AWQ of one sublayer's linears (see the file comment for the folds). */
async function awqSublayer(
  spec: ModelSpec,
  src: LayerWeights,
  out: LayerWeights,
  st: SublayerStats,
  q: QuantOptions,
  plan: Q4Plan,
  onSublayer: { calib: CalibrationInput; signal?: { readonly aborted: boolean } } | null,
  quad: OrtQuadForms | null,
): Promise<void> {
  const l = st.layer;
  const inputs = st.inputs;
  const searched: { stats: InputStats; scales: Float32Array; skip: boolean }[] = [];
  for (const s of inputs) {
    const t0 = performance.now();
    const meanAbs = Float64Array.from(s.absSum, (v) => v / Math.max(1, s.tokens));
    const linears = s.roles.map((r) => ({ role: r, W: lin(src, r).weight.load(), N: lin(src, r).weight.shape[0] }));
    const preNorm = s.roles[0] === 'q' || s.roles[0] === 'gate' || (s.roles[0] === 'up' && s.roles.length === 1);
    const search = async (wMean: Float64Array | null) =>
      onSublayer && st.states && preNorm
        ? await awqSublayerSearch({
            ort: onSublayer.calib.ort,
            executionProviders: onSublayer.calib.executionProviders,
            spec,
            weights: src,
            layer: l,
            kind: st.kind,
            linears,
            K: s.K,
            meanAbs,
            wMean,
            input: st.states.input,
            output: st.states.output,
            seqLen: onSublayer.calib.seqLen,
            block: q.block,
            batch: onSublayer.calib.batch,
            signal: onSublayer.signal,
          })
        : quad
          ? await quad.search(linears, s.K, s.xtx, meanAbs, { block: q.block, wMean })
          : awqSearch(linears, s.K, s.xtx, meanAbs, { block: q.block, errorEval: q.awqErrorEval, wMean });
    const scaling = q.awqScaling ?? 'act';
    const wm = scaling === 'act' ? null : awqWeightMean(linears, s.K, q.block);
    const skip = q.awqSkipUnfoldable === true && s.roles[0] === 'o' && spec.numHeads !== spec.numKvHeads;
    let res = skip
      ? { alpha: 0, scales: new Float32Array(s.K).fill(1), errors: [] }
      : await search(scaling === 'both' ? null : wm);
    if (scaling === 'both' && !skip) {
      const duo = await search(wm);
      // the lower calibration error of the two grids; a duo alpha is recorded negative
      if (Math.min(...duo.errors) < Math.min(...res.errors)) res = { ...duo, alpha: duo.alpha === 0 ? 0 : -duo.alpha };
    }
    plan.timings.awqSearchMs += performance.now() - t0;
    plan.alphas[`layers.${l}.${s.roles.join('/')}`] = res.alpha;
    searched.push({ stats: s, scales: res.scales, skip });
  }
  // Where each input's 1/s goes: a norm, the rows of the linear before, or an explicit Mul.
  const rowScale = new Map<LinearRole, Float32Array>(); // role -> 1/s of its rows (v, up)
  const explicit = new Set<LinearRole>();
  for (const { stats, scales, skip } of searched) {
    const first = stats.roles[0];
    if (skip) continue; // unscaled: nothing to fold
    if (first === 'q' || first === 'gate' || first === 'up') {
      // pre-norm input: fold into the norm (q/k/v after N1; gate/up, or up alone, after N2)
      const key = first === 'q' ? 'attnNorm' : 'mlpNorm';
      const n = src[key] as Norm | null;
      if (n) {
        out[key] = { weight: divided(n.weight, scales), bias: n.bias ? divided(n.bias, scales) : null };
      } else for (const r of stats.roles) explicit.add(r);
    } else if (first === 'o') {
      if (spec.numHeads === spec.numKvHeads) rowScale.set('v', inv(scales));
      else explicit.add('o');
    } else if (first === 'down') {
      if (src.gate) rowScale.set('up', inv(scales));
      else explicit.add('down');
    } else for (const r of stats.roles) explicit.add(r);
  }
  const t0 = performance.now();
  for (const { stats, scales } of searched) {
    for (const r of stats.roles) {
      const L = lin(src, r);
      const [N, K] = L.weight.shape;
      const rs = rowScale.get(r) ?? null;
      plan.linears.set(L.weight, {
        q: awqQuantize(L.weight.load(), N, K, {
          block: q.block,
          colScale: scales,
          rowScale: rs,
          // AWQ's auto_clip skips q_proj and k_proj (calibrated.ts file comment)
          clipH: (q.clip ?? true) && r !== 'q' && r !== 'k' ? stats.xtx : null,
        }),
        ...(explicit.has(r) ? { inputScale: inv(scales) } : {}),
      });
      if (rs && L.bias)
        out[r] = {
          weight: L.weight,
          bias: constParam(
            Float32Array.from(L.bias.load(), (v, i) => v * rs[i]),
            L.bias.shape,
          ),
        };
    }
  }
  plan.timings.quantizeMs += performance.now() - t0;
}
