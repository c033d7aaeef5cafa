/**
 * GPTQ (Frantar, Ashkboos, Hoefler, Alistarh, "GPTQ: Accurate Post-Training Quantization for
 * Generative Pre-trained Transformers", 2022) for one linear W [N, K] (nn.Linear [out, in]) given the
 * Hessian of its input, H = sum_t x_t x_t^T [K, K] (calibrate.ts), into the symmetric block-wise
 * MatMulNBits layout of quant.ts (so every consumer of the q4 export keeps working).
 *
 *   dead inputs (H[k,k] = 0): H[k,k] = 1, W[:,k] = 0
 *   H += percdamp * mean(diag H) * I                         (percdamp 0.01)
 *   U = upper Cholesky factor of H^-1                        (linalg64.inverseCholeskyUpper)
 *   for each column i (in act-order when asked):
 *     q_i  = quantize(w_i) with its group's scale
 *     e_i  = (w_i - q_i) / U[i,i]
 *     w_j -= e_i U[i,j]  for j > i                           (inside a lazy block of 128 columns;
 *                                                             the rest once per block, as one product)
 *
 * Groups are the export's blocks (block = group size) of contiguous ORIGINAL columns, because
 * MatMulNBits has no g_idx. Without act-order a group's scale is taken from its current (already
 * error-compensated) weights when the loop reaches its first column, as in the reference code. With
 * act-order (columns visited by decreasing H[k,k]) a group's columns are visited out of order, so its
 * scale cannot wait for its first column: every group's scale is fixed beforehand from the original
 * weights (the reference code's --static-groups), and the codes are written back in the original
 * column order. Arithmetic in float64; the stored scales are float32, and the error is measured against
 * the value MatMulNBits will multiply by (code - zp) * scale.
 */
import { type BlockQuantized, type NBits, packBlockwise, quantCode, symmetricScale } from './quant';
import { inverseCholeskyUpper } from './linalg64';

export interface GptqOptions {
  /** Group size = the export's MatMulNBits block (32, 64, 128). */
  block: number;
  bits?: NBits;
  /** Fraction of the mean diagonal added to H's diagonal (default 0.01). */
  percdamp?: number;
  /** Lazy-update block of columns (default 128; raised to a multiple of `block`). */
  blocksize?: number;
  /** Visit columns by decreasing H[k,k] (static groups, see above). Default false. */
  actOrder?: boolean;
  /** Name for error messages. */
  name?: string;
  /** Milliseconds added up: Hessian preparation + Cholesky (hessianMs) and the column loop (loopMs). */
  timing?: { hessianMs: number; loopMs: number };
}

/** The largest-magnitude value (signed) of w[row, k0..k1). */
function vmaxOf(w: Float64Array, row: number, k0: number, k1: number): number {
  let v = 0;
  for (let k = k0; k < k1; k++) if (Math.abs(w[row + k]) > Math.abs(v)) v = w[row + k];
  return v;
}

/** GPTQ of W [N, K] (float32, row-major) with input Hessian H [K, K] (float64, row-major; not modified). */
export function gptqQuantize(
  W: Float32Array,
  N: number,
  K: number,
  H: Float64Array,
  opts: GptqOptions,
): BlockQuantized {
  const bits = opts.bits ?? 4;
  const group = opts.block;
  if (W.length !== N * K || H.length !== K * K)
    throw new Error(`gptqQuantize: W is not [${N}, ${K}] or H not [${K}, ${K}]`);
  if (K % group !== 0) throw new Error(`gptqQuantize: block ${group} does not divide ${K}`);
  const percdamp = opts.percdamp ?? 0.01;
  const bs = Math.max(group, Math.ceil((opts.blocksize ?? 128) / group) * group);
  const groups = K / group;

  const t0 = performance.now();
  // Column order: perm[i] = the original column visited i-th.
  const diag = Float64Array.from({ length: K }, (_, k) => H[k * K + k]);
  const perm = Array.from({ length: K }, (_, k) => k);
  if (opts.actOrder) perm.sort((a, b) => diag[b] - diag[a] || a - b);

  // Permuted copies: w [N, K] float64, h [K, K].
  const w = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let i = 0; i < K; i++) w[n * K + i] = W[n * K + perm[i]];
  const h = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) h[i * K + j] = H[perm[i] * K + perm[j]];
  for (let i = 0; i < K; i++) {
    if (h[i * K + i] === 0) {
      h[i * K + i] = 1;
      for (let n = 0; n < N; n++) w[n * K + i] = 0;
    }
  }
  let mean = 0;
  for (let i = 0; i < K; i++) mean += h[i * K + i];
  const damp = (percdamp * mean) / K;
  for (let i = 0; i < K; i++) h[i * K + i] += damp;
  const U = inverseCholeskyUpper(h, K, opts.name ?? `a [${N}, ${K}] linear`);

  const t1 = performance.now();
  const scales = new Float32Array(N * groups);
  const inv = new Float64Array(N * groups);
  const setScale = (n: number, g: number, vmax: number) => {
    const s = symmetricScale(vmax, bits);
    scales[n * groups + g] = s;
    inv[n * groups + g] = s === 0 ? 0 : 1 / s;
  };
  if (opts.actOrder) {
    // static groups: scales from the original weights (dead columns zeroed), original column order
    const orig = new Float64Array(N * K);
    for (let n = 0; n < N; n++) for (let i = 0; i < K; i++) orig[n * K + perm[i]] = w[n * K + i];
    for (let n = 0; n < N; n++)
      for (let g = 0; g < groups; g++) setScale(n, g, vmaxOf(orig, n * K, g * group, (g + 1) * group));
  }

  const zp = 1 << (bits - 1);
  const codes = new Uint8Array(N * K);
  const err = new Float64Array(N * bs); // Err1 [N, bs]
  for (let i1 = 0; i1 < K; i1 += bs) {
    const i2 = Math.min(K, i1 + bs);
    for (let i = i1; i < i2; i++) {
      const col = perm[i];
      const g = Math.floor(col / group);
      if (!opts.actOrder && i % group === 0) for (let n = 0; n < N; n++) setScale(n, g, vmaxOf(w, n * K, i, i + group)); // current weights
      const d = U[i * K + i];
      const urow = i * K;
      for (let n = 0; n < N; n++) {
        const r = n * K;
        const x = w[r + i];
        const s = scales[n * groups + g];
        const c = quantCode(x, inv[n * groups + g], bits);
        codes[n * K + col] = c;
        const e = (x - (c - zp) * s) / d;
        err[n * bs + (i - i1)] = e;
        for (let j = i + 1; j < i2; j++) w[r + j] -= e * U[urow + j];
      }
    }
    if (i2 < K) {
      // lazy update of the columns after the block: W[:, i2:] -= Err1 @ U[i1:i2, i2:]
      for (let n = 0; n < N; n++) {
        const r = n * K;
        for (let c = 0; c < i2 - i1; c++) {
          const e = err[n * bs + c];
          if (e === 0) continue;
          const urow = (i1 + c) * K;
          for (let j = i2; j < K; j++) w[r + j] -= e * U[urow + j];
        }
      }
    }
  }
  if (opts.timing) {
    opts.timing.hessianMs += t1 - t0;
    opts.timing.loopMs += performance.now() - t1;
  }
  return packBlockwise(codes, scales, N, K, bits, group);
}
