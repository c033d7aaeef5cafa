/**
 * Float64 building blocks of the reference forward pass (tests/reference/forward64.ts).
 *
 * Written from the Hugging Face modeling code's definitions (LlamaRMSNorm, nn.LayerNorm, ACT2FN,
 * rotate_half / apply_rotary_pos_emb, _compute_llama3_parameters), independently of the ONNX graph
 * builder. Plain loops over Float64Array; row-major; shapes in comments.
 */
import type { RopeScaling } from '../../src/engine/model/spec';

// ---------------------------------------------------------------------------------------------
// erf / activations

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/sqrt(pi)

/**
 * erf in float64, accurate to about 1e-15 absolute on the whole real line (checked against tabulated
 * values in ops64.test.ts).
 * - |x| < 2.5: the everywhere-convergent series with only positive terms (Abramowitz & Stegun 7.1.6)
 *     erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} 2^n x^(2n+1) / (1*3*5*...*(2n+1)),
 *   which has no cancellation (all terms share the sign of x).
 * - |x| >= 2.5: erf = 1 - erfc, erfc from its continued fraction (A&S 7.1.14), evaluated with the
 *   modified Lentz method: erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 *   erfc < 4.1e-4 there, so its own relative error barely touches the result.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a === 0) return x; // keeps -0
  if (a >= 2.5) {
    const r = 1 - erfcLarge(a);
    return x > 0 ? r : -r;
  }
  const x2 = a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 1000; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x > 0 ? r : -r;
}

/** erfc(a) for a >= 2.5 by the continued fraction f = a + (1/2)/(a + (2/2)/(a + (3/2)/(a + ...))). */
function erfcLarge(a: number): number {
  if (a > 27) return 0; // exp(-a^2) underflows
  const tiny = 1e-300;
  let f = a;
  let C = f;
  let D = 0;
  for (let n = 1; n < 5000; n++) {
    const an = n / 2;
    D = a + an * D;
    D = D === 0 ? 1 / tiny : 1 / D;
    C = a + an / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** HF gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** Exact GELU (HF "gelu", torch.nn.functional.gelu default): 0.5 x (1 + erf(x / sqrt(2))). */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function activation(kind: 'silu' | 'gelu_tanh' | 'gelu'): (x: number) => number {
  switch (kind) {
    case 'silu':
      return silu;
    case 'gelu_tanh':
      return geluTanh;
    case 'gelu':
      return geluErf;
  }
}

// ---------------------------------------------------------------------------------------------
// Linear and norms

/**
 * y = x @ W^T + b. x: [T, inDim], W: [outDim, inDim] (nn.Linear layout), b: [outDim] | null.
 * Returns [T, outDim].
 */
export function linear(
  x: Float64Array,
  T: number,
  inDim: number,
  W: Float64Array,
  b: Float64Array | null,
  outDim: number,
): Float64Array {
  if (x.length !== T * inDim) throw new Error(`linear: x has ${x.length} values, expected ${T}x${inDim}`);
  if (W.length !== outDim * inDim) throw new Error(`linear: W has ${W.length} values, expected ${outDim}x${inDim}`);
  const y = new Float64Array(T * outDim);
  for (let t = 0; t < T; t++) {
    const xo = t * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += W[wo + i] * x[xo + i];
      y[t * outDim + o] = s;
    }
  }
  return y;
}

/** RMSNorm per row (LlamaRMSNorm): y = x / sqrt(mean(x^2) + eps) * w. x: [T, d], w: [d]. */
export function rmsNorm(x: Float64Array, T: number, d: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[o + i] = x[o + i] * inv * w[i];
  }
  return y;
}

/** LayerNorm per row, biased variance (nn.LayerNorm): y = (x - mu) / sqrt(var + eps) * w + b. */
export function layerNorm(
  x: Float64Array,
  T: number,
  d: number,
  w: Float64Array,
  b: Float64Array | null,
  eps: number,
): Float64Array {
  const y = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let mu = 0;
    for (let i = 0; i < d; i++) mu += x[o + i];
    mu /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[o + i] - mu) * (x[o + i] - mu);
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[o + i] = (x[o + i] - mu) * inv * w[i] + (b ? b[i] : 0);
  }
  return y;
}

// ---------------------------------------------------------------------------------------------
// Rotary position embedding (Su et al., RoFormer), Hugging Face convention

/**
 * inv_freq[i] = theta^(-2i/hd), i = 0..hd/2-1 (HF: 1 / base^(arange(0, dim, 2) / dim)),
 * then llama3 scaling when asked (HF _compute_llama3_parameters):
 *   wavelen = 2pi / inv_freq; lowWl = oldCtx / lowFreqFactor; highWl = oldCtx / highFreqFactor;
 *   wavelen > lowWl  -> inv_freq / factor            (low frequencies: fully interpolated)
 *   wavelen < highWl -> inv_freq                     (high frequencies: unchanged)
 *   otherwise        -> (1 - s) inv_freq / factor + s inv_freq, s = (oldCtx / wavelen - low) / (high - low).
 * Linear scaling does not change inv_freq here; it divides the positions (see ropeAngle).
 * Returns [hd/2].
 */
export function ropeInvFreq(headDim: number, theta: number, scaling: RopeScaling | null, long = false): Float64Array {
  if (headDim % 2 !== 0) throw new Error(`rope needs an even head dim, got ${headDim}`);
  const half = headDim / 2;
  const f = new Float64Array(half);
  for (let i = 0; i < half; i++) f[i] = theta ** (-(2 * i) / headDim);
  if (scaling?.type === 'longrope') {
    // transformers' _compute_longrope_parameters: inv_freq = 1 / (ext_factors * base^(2i/dim)), ext_factors
    // the long ones for sequences past original_max_position_embeddings, else the short ones
    const ext = long ? scaling.longFactor : scaling.shortFactor;
    if (ext.length !== half) throw new Error(`longrope: ${ext.length} factors for ${half} frequencies`);
    for (let i = 0; i < half; i++) f[i] = 1 / (ext[i] * theta ** ((2 * i) / headDim));
  }
  if (scaling?.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions: oldCtx } = scaling;
    const lowWl = oldCtx / lowFreqFactor;
    const highWl = oldCtx / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wl = (2 * Math.PI) / f[i];
      if (wl > lowWl) f[i] = f[i] / factor;
      else if (wl >= highWl) {
        // medium band (wl < highWl keeps f[i] unchanged)
        const s = (oldCtx / wl - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        f[i] = ((1 - s) * f[i]) / factor + s * f[i];
      }
    }
  }
  return f;
}

/** Effective position used for the angles: position / factor under linear scaling, else position. */
export function ropePosition(pos: number, scaling: RopeScaling | null): number {
  return scaling?.type === 'linear' ? pos / scaling.factor : pos;
}

/**
 * Rotate one head vector in place at (effective) position p, HF rotate_half convention:
 *   out = v * cos + rotate_half(v) * sin, rotate_half([x1, x2]) = [-x2, x1] (halves of the head dim),
 *   cos/sin[j] = cos/sin(p * invFreq[j mod hd/2]), both times `scale` (LongRoPE's attention factor).
 * v: [hd] slice of `buf` starting at `off`.
 */
export function applyRope(
  buf: Float64Array,
  off: number,
  headDim: number,
  invFreq: Float64Array,
  p: number,
  scale = 1,
): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const a = p * invFreq[i];
    const c = Math.cos(a) * scale;
    const s = Math.sin(a) * scale;
    const x1 = buf[off + i];
    const x2 = buf[off + i + half];
    buf[off + i] = x1 * c - x2 * s;
    buf[off + i + half] = x2 * c + x1 * s;
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions

/** log(sum(exp(row))) of row [off, off+n), max-shifted. */
export function logSumExp(x: Float64Array, off: number, n: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (x[off + i] > m) m = x[off + i];
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[off + i] - m);
  return m + Math.log(s);
}

/** Index of the largest value of row [off, off+n); the first one on ties (as torch.argmax). */
export function argmaxRow(x: Float64Array, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
  return best;
}
