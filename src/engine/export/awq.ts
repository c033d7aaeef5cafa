/**
 * AWQ-style activation-aware scaling (Lin et al., "AWQ: Activation-aware Weight Quantization for LLM
 * Compression and Acceleration", 2023) for the symmetric block-wise MatMulNBits layout of quant.ts.
 *
 * For linears that share one input x [T, K] (q/k/v after the attention norm, gate/up after the MLP
 * norm, or one linear alone), with the calibration statistics of that input (calibrate.ts):
 *   mean|x|  [K]   and   H = sum_t x_t x_t^T  [K, K]
 * the search tries s = mean|x|^alpha for alpha on AWQ's grid of 20, 0, 0.05, ..., 0.95 (s floored at 1e-4
 * after the power, then s / sqrt(max s * min s), AWQ's normalization; stored as float32), and keeps the
 * alpha whose quantized
 * stand-in W' = RTN(W diag(s)) diag(s)^-1 has the least output error summed over the linears:
 *   err = sum_t |x_t W^T - x_t W'^T|^2 = sum_n (W_n - W'_n)^T H (W_n - W'_n)
 * (exact on the calibration inputs, without holding them). alpha = 0 is s = 1, plain RTN, so the
 * search never does worse than RTN on the calibration set. The caller folds diag(s)^-1 into what
 * produces x (awq-fold in calibrated.ts) and stores RTN(W diag(s)).
 *
 * Optional clipping (AWQ's auto_clip): per row and block, the block's largest magnitude is shrunk by
 * r = 1, 0.95, ..., 0.55 (AWQ's max_shrink 0.5 on a grid of 20: ten ratios) and the r with the least
 * error on that block's inputs, d^T H[g,g] d, is kept. The caller leaves q_proj and k_proj unclipped,
 * as AWQ does (their error reaches the output through the softmax of q.k, which this error ignores).
 */
import { type BlockQuantized, type NBits, packBlockwise, quantCode } from './quant';

/** AWQ's grid (n_grid 20): alpha = i / 20 for i = 0 .. 19, so 1 (s = mean|x| itself) is not tried. */
export const AWQ_ALPHAS: readonly number[] = Array.from({ length: 20 }, (_, i) => i / 20);
/** AWQ's auto_clip grid: max_shrink 0.5, n_grid 20, i = 0 .. 9 -> r = 1 - i / 20 (1 .. 0.55). */
export const AWQ_CLIP_RATIOS: readonly number[] = Array.from({ length: 10 }, (_, i) => 1 - i / 20);

export interface AwqLinear {
  /** W [N, K] row-major (nn.Linear [out, in]). */
  W: Float32Array;
  N: number;
}

export interface AwqSearchResult {
  alpha: number;
  /** s [K] float32 (all 1 for alpha 0). */
  scales: Float32Array;
  /** Output error of each alpha tried (AWQ_ALPHAS order), summed over the linears. */
  errors: number[];
}

/**
 * AWQ's s for one alpha, as float32: max(mean|x|^alpha, 1e-4) / sqrt(max * min), or with wMean ("duo"
 * scaling, awqWeightMean) max(mean|x|^alpha / (mean|w|^(1 - alpha) + 1e-4), 1e-4) normalized the same way.
 */
export function awqScales(meanAbs: Float64Array, alpha: number, wMean: Float64Array | null = null): Float32Array {
  const s = wMean
    ? Float64Array.from(meanAbs, (v, k) => Math.max(v ** alpha / (wMean[k] ** (1 - alpha) + 1e-4), 1e-4))
    : Float64Array.from(meanAbs, (v) => Math.max(v ** alpha, 1e-4));
  let mx = 0;
  let mn = Number.POSITIVE_INFINITY;
  for (const v of s) {
    if (v > mx) mx = v;
    if (v < mn) mn = v;
  }
  const norm = Math.sqrt(mx * mn);
  return Float32Array.from(s, (v) => v / norm);
}

/**
 * mean|w| per input channel for duo scaling: every row of every linear sharing the input, each block of
 * `block` weights divided by its largest magnitude (+ 1e-6), then the mean over all those rows [K].
 */
export function awqWeightMean(linears: readonly AwqLinear[], K: number, block: number): Float64Array {
  const sum = new Float64Array(K);
  let rows = 0;
  for (const { W, N } of linears) {
    for (let n = 0; n < N; n++)
      for (let k0 = 0; k0 < K; k0 += block) {
        let mx = 0;
        for (let k = k0; k < k0 + block; k++) mx = Math.max(mx, Math.abs(W[n * K + k]));
        for (let k = k0; k < k0 + block; k++) sum[k] += Math.abs(W[n * K + k]) / (mx + 1e-6);
      }
    rows += N;
  }
  return sum.map((v) => v / Math.max(1, rows));
}

/**
 * RTN of W diag(colScale) (each block's scale from its largest magnitude times the row's clip ratio),
 * codes and float32 scales. colScale null = 1. clipH: search a ratio per (row, block) on H (in the
 * ORIGINAL input space, i.e. the error of the stand-in W' = deq / colScale).
 */
export function rtnScaled(
  W: Float32Array,
  N: number,
  K: number,
  block: number,
  bits: NBits,
  colScale: Float32Array | null,
  clipH: Float64Array | null = null,
): { codes: Uint8Array; scales: Float32Array } {
  const zp = 1 << (bits - 1);
  const blocks = K / block;
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * blocks);
  const ws = new Float64Array(block);
  const d = new Float64Array(block);
  const c = new Uint8Array(block);
  const ratios = clipH ? AWQ_CLIP_RATIOS : [1];
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < blocks; g++) {
      const k0 = g * block;
      let vmax = 0;
      for (let i = 0; i < block; i++) {
        const v = Math.fround(W[n * K + k0 + i] * (colScale ? colScale[k0 + i] : 1));
        ws[i] = v;
        if (Math.abs(v) > Math.abs(vmax)) vmax = v;
      }
      let best = Number.POSITIVE_INFINITY;
      for (const r of ratios) {
        const s = Math.fround((r * vmax) / -zp);
        const inv = s === 0 ? 0 : 1 / s;
        for (let i = 0; i < block; i++) c[i] = quantCode(ws[i], inv, bits);
        let e = 0;
        if (clipH) {
          for (let i = 0; i < block; i++)
            d[i] = W[n * K + k0 + i] - ((c[i] - zp) * s) / (colScale ? colScale[k0 + i] : 1);
          for (let i = 0; i < block; i++) {
            const row = (k0 + i) * K + k0;
            let t = 0;
            for (let j = 0; j < block; j++) t += clipH[row + j] * d[j];
            e += d[i] * t;
          }
        }
        if (e < best) {
          best = e;
          scales[n * blocks + g] = s;
          for (let i = 0; i < block; i++) codes[n * K + k0 + i] = c[i];
        }
      }
    }
  }
  return { codes, scales };
}

/** sum_n d_n^T H d_n for d = W - W' (W' = dequant(codes, scales) / colScale). */
export function outputError(
  W: Float32Array,
  N: number,
  K: number,
  block: number,
  bits: NBits,
  q: { codes: Uint8Array; scales: Float32Array },
  colScale: Float32Array | null,
  H: Float64Array,
): number {
  const zp = 1 << (bits - 1);
  const blocks = K / block;
  const d = new Float64Array(K);
  let err = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const s = q.scales[n * blocks + Math.floor(k / block)];
      d[k] = W[n * K + k] - ((q.codes[n * K + k] - zp) * s) / (colScale ? colScale[k] : 1);
    }
    for (let i = 0; i < K; i++) {
      const di = d[i];
      if (di === 0) continue;
      const row = i * K;
      let t = 0.5 * H[row + i] * di; // symmetric H: the diagonal once, each pair twice
      for (let j = i + 1; j < K; j++) t += H[row + j] * d[j];
      err += 2 * di * t;
    }
  }
  return err;
}

/**
 * sum_r d_r^T H d_r over the rows of D [M, K] (float64, row-major), H [K, K] symmetric (its upper half
 * read): the output error of M weight-row differences at once. Four rows share each pass over a row of
 * H (register blocking: H is read M/4 times instead of M), each pair (i, j > i) counted twice.
 */
export function quadFormSum(D: Float64Array, M: number, K: number, H: Float64Array): number {
  let err = 0;
  let r = 0;
  for (; r + 4 <= M; r += 4) {
    const o0 = r * K;
    const o1 = o0 + K;
    const o2 = o1 + K;
    const o3 = o2 + K;
    let e0 = 0;
    let e1 = 0;
    let e2 = 0;
    let e3 = 0;
    for (let i = 0; i < K; i++) {
      const row = i * K;
      const hii = 0.5 * H[row + i];
      let t0 = hii * D[o0 + i];
      let t1 = hii * D[o1 + i];
      let t2 = hii * D[o2 + i];
      let t3 = hii * D[o3 + i];
      for (let j = i + 1; j < K; j++) {
        const h = H[row + j];
        t0 += h * D[o0 + j];
        t1 += h * D[o1 + j];
        t2 += h * D[o2 + j];
        t3 += h * D[o3 + j];
      }
      e0 += D[o0 + i] * t0;
      e1 += D[o1 + i] * t1;
      e2 += D[o2 + i] * t2;
      e3 += D[o3 + i] * t3;
    }
    err += 2 * (e0 + e1 + e2 + e3);
  }
  for (; r < M; r++) {
    const o = r * K;
    let e = 0;
    for (let i = 0; i < K; i++) {
      const row = i * K;
      let t = 0.5 * H[row + i] * D[o + i];
      for (let j = i + 1; j < K; j++) t += H[row + j] * D[o + j];
      e += D[o + i] * t;
    }
    err += 2 * e;
  }
  return err;
}

/** Rows of W - W' (W' = dequant(codes, scales) / colScale) into D [N, K] (float64 or float32) from `at`. */
export function diffRows(
  W: Float32Array,
  N: number,
  K: number,
  block: number,
  bits: NBits,
  q: { codes: Uint8Array; scales: Float32Array },
  colScale: Float32Array,
  D: Float64Array | Float32Array,
  at = 0,
): void {
  const zp = 1 << (bits - 1);
  const blocks = K / block;
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      D[at + n * K + k] =
        W[n * K + k] - ((q.codes[n * K + k] - zp) * q.scales[n * blocks + Math.floor(k / block)]) / colScale[k];
}

/**
 * How the search evaluates each alpha's error: 'blocked' (quadFormSum over all rows of all the
 * linears, the default) or 'loop' (outputError per linear, row by row: the first implementation, kept
 * for the benchmark's side-by-side timing), both the same float64 sum up to rounding order; or 'ort'
 * (awq-ort.ts: every alpha at once as one float32 graph on the runtime; planQ4 routes it there).
 */
export type AwqErrorEval = 'blocked' | 'loop' | 'ort';

/** The alpha search for linears sharing one input (see the file comment). */
export function awqSearch(
  linears: readonly AwqLinear[],
  K: number,
  H: Float64Array,
  meanAbs: Float64Array,
  opts: {
    block: number;
    bits?: NBits;
    alphas?: readonly number[];
    errorEval?: AwqErrorEval;
    /** Duo scaling (awqScales): the linears' awqWeightMean; null/absent = s from mean|x| alone. */
    wMean?: Float64Array | null;
  },
): AwqSearchResult {
  const bits = opts.bits ?? 4;
  const errors: number[] = [];
  let best: { alpha: number; scales: Float32Array; err: number } = {
    alpha: 0,
    scales: new Float32Array(K).fill(1),
    err: Number.POSITIVE_INFINITY,
  };
  const blocked = (opts.errorEval ?? 'blocked') === 'blocked';
  const D = blocked ? new Float64Array(Math.max(...linears.map((l) => l.N)) * K) : null;
  for (const alpha of opts.alphas ?? AWQ_ALPHAS) {
    const s = alpha === 0 ? new Float32Array(K).fill(1) : awqScales(meanAbs, alpha, opts.wMean ?? null);
    let err = 0;
    for (const { W, N } of linears) {
      const q = rtnScaled(W, N, K, opts.block, bits, s);
      if (D) {
        diffRows(W, N, K, opts.block, bits, q, s, D);
        err += quadFormSum(D, N, K, H);
      } else err += outputError(W, N, K, opts.block, bits, q, s, H);
    }
    errors.push(err);
    if (err < best.err) best = { alpha, scales: s, err };
  }
  return { alpha: best.alpha, scales: best.scales, errors };
}

/**
 * The stored weight of an AWQ-scaled linear: RTN (optionally clipped) of diag(rowScale) W diag(colScale)
 * in the MatMulNBits layout. rowScale: a fold of the NEXT linear's 1/s into this one's output rows
 * (v_proj for o_proj, up_proj for down_proj); row scaling commutes with per-row block quantization.
 */
export function awqQuantize(
  W: Float32Array,
  N: number,
  K: number,
  opts: {
    block: number;
    bits?: NBits;
    colScale?: Float32Array | null;
    rowScale?: Float32Array | null;
    clipH?: Float64Array | null;
  },
): BlockQuantized {
  const bits = opts.bits ?? 4;
  let w = W;
  if (opts.rowScale) {
    const r = opts.rowScale;
    w = Float32Array.from(W, (v, i) => v * r[Math.floor(i / K)]);
  }
  const q = rtnScaled(w, N, K, opts.block, bits, opts.colScale ?? null, opts.clipH ?? null);
  return packBlockwise(q.codes, q.scales, N, K, bits, opts.block);
}
