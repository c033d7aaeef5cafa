/**
 * Float64 references of the calibrated 4-bit quantizers, written from the papers and nothing else of
 * the engine's: plain loops, no lazy blocks, no tricks.
 *
 *   rtn64     symmetric per-block RTN: scale = fround(vmax / -8), code = clamp(round(v / scale)) + 8
 *   gptq64    GPTQ (Frantar et al. 2022) one column at a time, every later column updated at once
 *             (no lazy batching), H^-1 by Gauss-Jordan, its upper Cholesky factor by the textbook
 *             recurrence; act-order with static groups (scales from the original weights)
 *   awq64     AWQ's alpha search with the calibration inputs X themselves: error = sum (X W^T - X W'^T)^2;
 *             s = mean|x|^alpha, or with duo scaling s = mean|x|^alpha / (mean|w|^(1 - alpha) + 1e-4), mean|w|
 *             per input channel of all the linears' rows, each block of a row divided by its largest |w|
 *             (+ 1e-6); s floored at 1e-4, then divided by sqrt(max s * min s); alpha 0 is s = 1 (RTN)
 */

export interface Quant64 {
  codes: Uint8Array; // [N, K] level + 8
  scales: Float32Array; // [N, K / block]
}

const code = (v: number, s: number) => {
  const inv = s === 0 ? 0 : 1 / s;
  return Math.min(7, Math.max(-8, Math.round(v * inv))) + 8;
};

/** RTN of w [N, K] (already float32 values) per block, optionally with per-(row, block) clip ratios. */
export function rtn64(w: ArrayLike<number>, N: number, K: number, block: number): Quant64 {
  const G = K / block;
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * G);
  for (let n = 0; n < N; n++)
    for (let g = 0; g < G; g++) {
      let vmax = 0;
      for (let k = g * block; k < (g + 1) * block; k++)
        if (Math.abs(w[n * K + k]) > Math.abs(vmax)) vmax = w[n * K + k];
      const s = Math.fround(vmax / -8);
      scales[n * G + g] = s;
      for (let k = g * block; k < (g + 1) * block; k++) codes[n * K + k] = code(w[n * K + k], s);
    }
  return { codes, scales };
}

export function dequant64(q: Quant64, N: number, K: number, block: number): Float64Array {
  const out = new Float64Array(N * K);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      out[n * K + k] = (q.codes[n * K + k] - 8) * q.scales[n * (K / block) + Math.floor(k / block)];
  return out;
}

/** A^-1 by Gauss-Jordan with partial pivoting. */
export function inverse64(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let k = 0; k < n; k++) {
      [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const d = m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= d;
      inv[c * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/** Upper U with A = U^T U (U[i][j] for j >= i). */
export function choleskyUpper64(a: Float64Array, n: number): Float64Array {
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let s = a[i * n + i];
    for (let k = 0; k < i; k++) s -= U[k * n + i] ** 2;
    U[i * n + i] = Math.sqrt(s);
    for (let j = i + 1; j < n; j++) {
      let t = a[i * n + j];
      for (let k = 0; k < i; k++) t -= U[k * n + i] * U[k * n + j];
      U[i * n + j] = t / U[i * n + i];
    }
  }
  return U;
}

/** GPTQ in float64 (see the file comment). */
export function gptq64(
  W: ArrayLike<number>,
  N: number,
  K: number,
  H: Float64Array,
  block: number,
  actOrder = false,
  percdamp = 0.01,
): Quant64 {
  const G = K / block;
  const perm = Array.from({ length: K }, (_, k) => k);
  if (actOrder) perm.sort((a, b) => H[b * K + b] - H[a * K + a] || a - b);
  const w = new Float64Array(N * K);
  const h = new Float64Array(K * K);
  for (let n = 0; n < N; n++) for (let i = 0; i < K; i++) w[n * K + i] = W[n * K + perm[i]];
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) h[i * K + j] = H[perm[i] * K + perm[j]];
  for (let i = 0; i < K; i++)
    if (h[i * K + i] === 0) {
      h[i * K + i] = 1;
      for (let n = 0; n < N; n++) w[n * K + i] = 0;
    }
  let mean = 0;
  for (let i = 0; i < K; i++) mean += h[i * K + i] / K;
  for (let i = 0; i < K; i++) h[i * K + i] += percdamp * mean;
  const U = choleskyUpper64(inverse64(h, K), K);
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * G);
  if (actOrder) {
    const orig = new Float64Array(N * K);
    for (let n = 0; n < N; n++) for (let i = 0; i < K; i++) orig[n * K + perm[i]] = w[n * K + i];
    const q = rtn64(orig, N, K, block);
    scales.set(q.scales);
  }
  for (let i = 0; i < K; i++) {
    const col = perm[i];
    const g = Math.floor(col / block);
    for (let n = 0; n < N; n++) {
      if (!actOrder && i % block === 0) {
        let vmax = 0;
        for (let k = i; k < i + block; k++) if (Math.abs(w[n * K + k]) > Math.abs(vmax)) vmax = w[n * K + k];
        scales[n * G + g] = Math.fround(vmax / -8);
      }
      const s = scales[n * G + g];
      const c = code(w[n * K + i], s);
      codes[n * K + col] = c;
      const e = (w[n * K + i] - (c - 8) * s) / U[i * K + i];
      for (let j = i + 1; j < K; j++) w[n * K + j] -= e * U[i * K + j];
    }
  }
  return { codes, scales };
}

/** sum over t, n of (x_t . (W_n - W'_n))^2, X [T, K]. */
export function outputError64(
  X: Float64Array,
  T: number,
  K: number,
  W: ArrayLike<number>,
  Wq: Float64Array,
  N: number,
): number {
  let e = 0;
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let y = 0;
      for (let k = 0; k < K; k++) y += X[t * K + k] * (W[n * K + k] - Wq[n * K + k]);
      e += y * y;
    }
  return e;
}

/** AWQ's alpha search on explicit inputs X [T, K] for linears sharing them. Returns the best alpha and its s. */
export function awq64(
  X: Float64Array,
  T: number,
  K: number,
  linears: { W: Float32Array; N: number }[],
  block: number,
  duo = false,
): { alpha: number; s: Float32Array; errors: number[] } {
  const meanAbs = new Float64Array(K);
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) meanAbs[k] += Math.abs(X[t * K + k]) / T;
  // duo: the mean over every row of every linear of |w| / (max |w| of its block + 1e-6), per column
  const wMean = new Float64Array(K);
  let rows = 0;
  for (const { W, N } of linears) {
    rows += N;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const g = Math.floor(k / block) * block;
        const blockMax = Math.max(...Array.from({ length: block }, (_, i) => Math.abs(W[n * K + g + i])));
        wMean[k] += Math.abs(W[n * K + k]) / (blockMax + 1e-6);
      }
  }
  for (let k = 0; k < K; k++) wMean[k] /= rows;
  let best = { alpha: 0, s: new Float32Array(K).fill(1), err: Infinity };
  const errors: number[] = [];
  for (let a = 0; a < 20; a++) {
    const alpha = a / 20;
    let s = new Float32Array(K).fill(1);
    if (a > 0) {
      const raw = Array.from(meanAbs, (v, k) =>
        Math.max(duo ? v ** alpha / (wMean[k] ** (1 - alpha) + 1e-4) : v ** alpha, 1e-4),
      );
      const norm = Math.sqrt(Math.max(...raw) * Math.min(...raw));
      s = Float32Array.from(raw, (v) => v / norm);
    }
    let err = 0;
    for (const { W, N } of linears) {
      const ws = Float32Array.from(W, (v, i) => v * s[i % K]);
      const deq = dequant64(rtn64(ws, N, K, block), N, K, block);
      err += outputError64(
        X,
        T,
        K,
        W,
        Float64Array.from(deq, (v, i) => v / s[i % K]),
        N,
      );
    }
    errors.push(err);
    if (err < best.err) best = { alpha, s, err };
  }
  return { alpha: best.alpha, s: best.s, errors };
}
