/**
 * Transformer building blocks on the GraphBuilder, all in fp32. The same functions build the live
 * sublayer graphs (sublayers.ts), the whole-model graph (monolithic.ts) and the export, so what DropLab
 * measures is what it exports.
 *
 * Shapes in comments: B batch, T new tokens, P past tokens, S = P + T keys, d hidden size, H query
 * heads, Hkv key/value heads, hd head dim, I MLP width, V vocabulary.
 *
 * The residual stream of block l follows LLM-Drop (He et al., "What Matters in Transformers? Not All
 * Attention is Needed", 2024) and DESIGN.md §2:
 *     m_l     = x_l + Attn_l(N1_l(x_l))
 *     x_{l+1} = m_l + MLP_l(N2_l(m_l))
 *
 * Weights: every Param is load()ed here, at build time, only when the block that uses it is built.
 */
import { attr, type GraphBuilder, MS_DOMAIN, type Value } from '../onnx/builder';
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../model/spec';

/** How a Linear becomes nodes: y = x W^T + b for nn.Linear W [out, in]; x [..., in] -> [..., out]. */
export type LinearImpl = (b: GraphBuilder, x: Value, lin: Linear, name: string) => Value;

/**
 * How a model's matrices become nodes: the one seam for weight formats. Every matrix goes through it,
 * the linears, the embedding tables and the LM head; fp32 is FP32 below, the export's fp16 / q8 / q4 are
 * in export/formats.ts. Norm weights and biases are always float32 (paramValue).
 */
export interface WeightFormat {
  linear: LinearImpl;
  /** An embedding table [rows, d] to Gather rows from: float32, or float16 (its rows are Cast after the Gather). */
  table(ctx: BlockContext, p: Param, name: string): Value;
  /** logits = h W^T for the head W [V, d]: h [B,T,d] -> [B,T,V]. */
  head(ctx: BlockContext, h: Value, w: Param, name: string): Value;
}

/** How RoPE cos/sin are produced: a table precomputed in TypeScript (gathered by position), or computed in the graph. */
export type RopeMode = { kind: 'table'; length: number } | { kind: 'compute' };

export interface BlockContext {
  b: GraphBuilder;
  spec: ModelSpec;
  format: WeightFormat;
  rope: RopeMode;
  /** Initializers already made from a Param in this graph (a tied embedding is stored once). */
  params: Map<Param, Value>;
  /** RoPE cos/sin already built for a positions value (one table per graph, shared by every layer). */
  ropeCache: Map<string, { cos: Value; sin: Value }>;
}

/** Longest RoPE table stored by default (4096 x hd x 2 floats per graph). */
export const DEFAULT_ROPE_TABLE = 4096;

/**
 * RoPE mode when none is given: a table of every position when the model has at most
 * DEFAULT_ROPE_TABLE of them (or of `maxLength` positions when the caller bounds the window), else
 * cos/sin computed in the graph, so no window length can run past a table.
 */
export function defaultRope(spec: ModelSpec, maxLength?: number): RopeMode {
  if (maxLength !== undefined) return { kind: 'table', length: Math.min(spec.maxPositions, maxLength) };
  return spec.maxPositions <= DEFAULT_ROPE_TABLE ? { kind: 'table', length: spec.maxPositions } : { kind: 'compute' };
}

export function blockContext(
  b: GraphBuilder,
  spec: ModelSpec,
  opts: { format?: WeightFormat; rope?: RopeMode; maxLength?: number } = {},
): BlockContext {
  return {
    b,
    spec,
    format: opts.format ?? FP32,
    rope: opts.rope ?? defaultRope(spec, opts.maxLength),
    params: new Map(),
    ropeCache: new Map(),
  };
}

/** A Param as an fp32 initializer in its stored layout (loaded once per graph). */
export function paramValue(ctx: BlockContext, p: Param, name: string): Value {
  const hit = ctx.params.get(p);
  if (hit) return hit;
  const v = ctx.b.initializer(name, p.load(), p.shape);
  ctx.params.set(p, v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Linear
// ---------------------------------------------------------------------------------------------

/** [rows, cols] row-major -> [cols, rows] row-major (in 32 x 32 tiles, about a third faster than the plain loop). */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let c = c0; c < c1; c++) {
        const o = c * rows;
        for (let r = r0; r < r1; r++) t[o + r] = w[r * cols + c];
      }
    }
  }
  return t;
}

/** y = x @ W^T + b for nn.Linear weight W [out, in], stored transposed as [in, out] so the graph does x @ W_t. */
export const fp32Linear: LinearImpl = (b, x, lin, name) => {
  const [out, inp] = lin.weight.shape;
  const w = b.initializer(`${name}.weight_t`, transpose2d(lin.weight.load(), out, inp), [inp, out]); // [in, out]
  let y = b.matmul(x, w); // [..., in] @ [in, out] -> [..., out]
  if (lin.bias) y = b.add(y, b.initializer(`${name}.bias`, lin.bias.load(), [out]));
  return y;
};

/**
 * y = x @ W^T + b with W in its stored [out, in] layout: com.microsoft FusedMatMul with transB, so no transpose in
 * JavaScript (about 30 ms of a cold start's CPU on the bundled model, bench:cold-start). The same numbers as
 * fp32Linear on onnxruntime's CPU kernels (pre-packing reads B transposed); liveFormat uses it on the CPU and
 * wasm backends only (WebGPU keeps MatMul).
 */
export const transBLinear: LinearImpl = (b, x, lin, name) => {
  const [out, inp] = lin.weight.shape;
  const w = b.initializer(`${name}.weight`, lin.weight.load(), [out, inp]);
  let y = b.node('FusedMatMul', [x, w], [x.type], { transB: attr.int(1) }, { domain: MS_DOMAIN })[0]; // [..., out]
  if (lin.bias) y = b.add(y, b.initializer(`${name}.bias`, lin.bias.load(), [out]));
  return y;
};

/**
 * logits = h @ W^T with W in its [V,d] layout: Gemm(transB) on the flattened states, so the largest
 * matrix is never transposed and a tied head shares the embedding's initializer. [B,T,d] -> [B,T,V].
 */
export function headGemm(ctx: BlockContext, h: Value, W: Value, vocab: number): Value {
  const { b, spec } = ctx;
  const flat = b.reshape(h, [-1, spec.hiddenSize]); // [B*T,d]
  const logits = b.gemm(flat, W, null, { transB: true }); // [B*T,V]
  return b.reshape(logits, b.concat([b.shape(h, 0, 2), b.i64([vocab])], 0)); // [B,T,V]
}

/** Everything float32: the live engine's format and the export's fp32. */
export const FP32: WeightFormat = {
  linear: fp32Linear,
  table: (ctx, p, name) => paramValue(ctx, p, name),
  head: (ctx, h, w, name) => headGemm(ctx, h, paramValue(ctx, w, name), w.shape[0]),
};

/** FP32 with the linear layers as FusedMatMul(transB) (transBLinear): onnxruntime's CPU and wasm backends. */
export const FP32_TRANS_B: WeightFormat = { ...FP32, linear: transBLinear };

// ---------------------------------------------------------------------------------------------
// Norms
// ---------------------------------------------------------------------------------------------

/**
 * RMSNorm (LlamaRMSNorm): x / sqrt(mean(x^2, -1) + eps) * w, in the Pow/ReduceMean/Add/Sqrt/Div/Mul
 * form that onnxruntime fuses into SimplifiedLayerNormalization.
 */
export function rmsNorm(b: GraphBuilder, x: Value, weight: Param, eps: number, name: string): Value {
  const w = b.initializer(`${name}.weight`, weight.load(), weight.shape); // [d]
  const ms = b.reduceMean(b.pow(x, 2), [-1]); // [B,T,1] mean of squares
  const rms = b.sqrt(b.add(ms, eps)); // [B,T,1]
  return b.mul(b.div(x, rms), w); // [B,T,d]
}

/** LayerNorm with weight and optional bias: (x - mean) / sqrt(var + eps) * w + b (opset-17 LayerNormalization). */
export function layerNorm(
  b: GraphBuilder,
  x: Value,
  weight: Param,
  bias: Param | null,
  eps: number,
  name: string,
): Value {
  const w = b.initializer(`${name}.weight`, weight.load(), weight.shape);
  const bb = bias ? b.initializer(`${name}.bias`, bias.load(), bias.shape) : null;
  return b.layerNormalization(x, w, bb, eps, -1); // [B,T,d]
}

/** The family's norm (spec.norm). */
export function norm(ctx: BlockContext, x: Value, n: Norm, name: string): Value {
  return ctx.b.scope(name, () =>
    ctx.spec.norm === 'rms'
      ? rmsNorm(ctx.b, x, n.weight, ctx.spec.normEps, name)
      : layerNorm(ctx.b, x, n.weight, n.bias, ctx.spec.normEps, name),
  );
}

// ---------------------------------------------------------------------------------------------
// Rotary position embedding (Hugging Face rotate_half convention)
// ---------------------------------------------------------------------------------------------

/**
 * inv_freq[i] = 1 / theta^(2i / hd), i < hd/2, with the model's rope scaling applied as in Hugging
 * Face transformers' modeling_rope_utils:
 *   linear: inv_freq / factor;
 *   llama3 (_compute_llama3_parameters): with wavelen = 2 pi / inv_freq, low = orig / low_freq_factor,
 *     high = orig / high_freq_factor: wavelen < high keeps inv_freq; wavelen > low divides it by factor;
 *     in between it is interpolated, smooth = (orig / wavelen - low_freq_factor) /
 *     (high_freq_factor - low_freq_factor), inv = (1 - smooth) * inv / factor + smooth * inv;
 *   longrope (_compute_longrope_parameters): inv_freq[i] / short_factor[i], or / long_factor[i] when
 *     `long` (the sequence is longer than original_max_position_embeddings; see ropeCosSin).
 * Float64 here; tables round to float32 like HF's float32 buffer.
 */
export function ropeInvFreq(spec: ModelSpec, local = false, long = false): Float64Array {
  const hd = spec.rotaryDim ?? spec.headDim; // the rotated part of a head
  const half = hd / 2;
  const rope = ropeOf(spec, local);
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / rope.theta ** ((2 * i) / hd);
  const s = rope.scaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  if (s.type === 'longrope') {
    const ext = long ? s.longFactor : s.shortFactor;
    return inv.map((f, i) => f / ext[i]);
  }
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** The RoPE parameters of the global layers, or of the local ones when the model has its own for them. */
function ropeOf(spec: ModelSpec, local: boolean): { theta: number; scaling: ModelSpec['ropeScaling'] } {
  return local && spec.localRope ? spec.localRope : { theta: spec.ropeTheta, scaling: spec.ropeScaling };
}

/**
 * cos/sin tables [length, hd] for positions 0..length-1, emb = cat(freqs, freqs) as in HF. The angle
 * is pos * inv_freq rounded to float32 (what HF's float32 matmul of positions and inv_freq gives),
 * cos/sin taken in float64 and rounded; under LongRoPE both times its attention factor (HF scales cos
 * and sin by attention_scaling), with the short or the `long` factors.
 */
export function ropeTables(
  spec: ModelSpec,
  length: number,
  local = false,
  long = false,
): { cos: Float32Array; sin: Float32Array } {
  const hd = spec.rotaryDim ?? spec.headDim;
  const half = hd / 2;
  const inv = Float32Array.from(ropeInvFreq(spec, local, long));
  const scaling = ropeOf(spec, local).scaling;
  const att = scaling?.type === 'longrope' ? Math.fround(scaling.attentionFactor) : 1;
  const cos = new Float32Array(length * hd);
  const sin = new Float32Array(length * hd);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround(p * inv[i]);
      const c = Math.fround(Math.cos(a)) * att;
      const s = Math.fround(Math.sin(a)) * att;
      cos[p * hd + i] = c;
      cos[p * hd + half + i] = c;
      sin[p * hd + i] = s;
      sin[p * hd + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * cos, sin for the given positions (int64 [T] or [B,T]), shaped to broadcast against [B,H,T,hd]:
 * [1,T,hd] or [B,1,T,hd]. `local`: the local layers' RoPE (spec.localRope), when the model has one.
 * LongRoPE picks its factors as HF's longrope_frequency_update does: the long ones when the sequence,
 * max(positions) + 1, is longer than original_max_position_embeddings, else the short ones (in a KV-cache
 * graph the keys already cached keep the rotation they were cached with, as in HF).
 */
export function ropeCosSin(ctx: BlockContext, positions: Value, local = false): { cos: Value; sin: Value } {
  const useLocal = local && ctx.spec.localRope !== undefined;
  const key = `${positions.name}${useLocal ? '|local' : ''}`;
  const hit = ctx.ropeCache.get(key);
  if (hit) return hit;
  const { b, spec } = ctx;
  const hd = spec.rotaryDim ?? spec.headDim; // cos/sin cover the rotated part only
  const scaling = ropeOf(spec, useLocal).scaling;
  const cosSin = (long: boolean) => {
    if (ctx.rope.kind === 'table') {
      const t = ropeTables(spec, ctx.rope.length, useLocal, long);
      const cosT = b.initializer(b.fresh('rope.cos', false), t.cos, [ctx.rope.length, hd]); // [P,hd]
      const sinT = b.initializer(b.fresh('rope.sin', false), t.sin, [ctx.rope.length, hd]);
      return { cos: b.gather(cosT, positions, 0), sin: b.gather(sinT, positions, 0) }; // [T,hd] or [B,T,hd]
    }
    // HF's own float32 path: freqs = pos * inv_freq; emb = cat(freqs, freqs)
    const inv = b.initializer(b.fresh('rope.inv_freq', false), Float32Array.from(ropeInvFreq(spec, useLocal, long)), [
      hd / 2,
    ]); // [hd/2]
    const freqs = b.mul(b.unsqueeze(b.cast(positions, 'float32'), [-1]), inv); // [..,T,hd/2]
    const emb = b.concat([freqs, freqs], -1); // [..,T,hd]
    if (scaling?.type !== 'longrope') return { cos: b.cos(emb), sin: b.sin(emb) };
    const att = scaling.attentionFactor;
    return { cos: b.mul(b.cos(emb), att), sin: b.mul(b.sin(emb), att) };
  };
  let { cos, sin } = cosSin(false);
  if (scaling?.type === 'longrope') {
    const long = cosSin(true);
    // max(positions) + 1 > original_max_position_embeddings, as a bool scalar
    const last = b.reduceMax(b.reshape(b.cast(positions, 'float32'), [-1]), [0], false); // []
    const useLong = b.greater(last, scaling.originalMaxPositions - 0.5);
    cos = b.where(useLong, long.cos, cos);
    sin = b.where(useLong, long.sin, sin);
  }
  const cs = { cos: b.unsqueeze(cos, [-3]), sin: b.unsqueeze(sin, [-3]) }; // [1,T,hd] or [B,1,T,hd]
  ctx.ropeCache.set(key, cs);
  return cs;
}

/** rotate_half(x) = cat(-x2, x1) with x1, x2 the two halves of the last dim. */
export function rotateHalf(b: GraphBuilder, x: Value, hd: number): Value {
  const [x1, x2] = b.split(x, [hd / 2, hd / 2], -1);
  return b.concat([b.neg(x2), x1], -1);
}

/**
 * x * cos + rotate_half(x) * sin, x [B,H,T,hd]. With partial rotary (rotaryDim < hd) only the first
 * rotaryDim values of each head turn; the rest pass through (HF's q_rot / q_pass).
 */
export function applyRope(
  b: GraphBuilder,
  x: Value,
  cs: { cos: Value; sin: Value },
  hd: number,
  rotaryDim = hd,
): Value {
  if (rotaryDim === hd) return b.add(b.mul(x, cs.cos), b.mul(rotateHalf(b, x, hd), cs.sin));
  const [rot, pass] = b.split(x, [rotaryDim, hd - rotaryDim], -1); // [..,rd], [..,hd-rd]
  const turned = b.add(b.mul(rot, cs.cos), b.mul(rotateHalf(b, rot, rotaryDim), cs.sin));
  return b.concat([turned, pass], -1);
}

/** Positions 0..T-1 of a [B,T,...] tensor, int64 [T]. */
export function sequencePositions(b: GraphBuilder, x: Value): Value {
  return b.range(0, b.dim(x, 1), 1);
}

// ---------------------------------------------------------------------------------------------
// Attention
// ---------------------------------------------------------------------------------------------

/** Keys and values of one attention layer: [B,Hkv,S,hd] each, after RoPE, before the GQA broadcast. */
export interface KV {
  key: Value;
  value: Value;
}

export interface AttentionIO {
  /** int64 [T] or [B,T]: positions of the new tokens (RoPE only). */
  positions: Value;
  /** Keys/values of earlier tokens, [B,Hkv,P,hd] (KV-cache graphs); absent: P = 0. */
  past?: KV | null;
  /** int64 [B,S], 1 = attend, 0 = padding (KV-cache export); absent: every key is real. */
  attentionMask?: Value | null;
  /** Sliding-window size of a local attention layer (gemma2); absent or null: global. */
  window?: number | null;
  /** false: this layer has no position encoding (smollm3's NoPE layers). Absent: RoPE when the model has it. */
  rope?: boolean;
}

/** cap * tanh(x / cap): gemma2's soft-capping of attention scores and final logits. */
export function softcap(b: GraphBuilder, x: Value, cap: number): Value {
  return b.mul(b.tanh(b.div(x, cap)), cap);
}

/** float32 lowest, what HF fills masked scores with. */
export const MASK_VALUE = -3.4028234663852886e38;

/**
 * Causal grouped-query self-attention, o(Attn(x)), for an already normed x [B,T,d]. Returns the
 * output [B,T,d] and the present keys/values [B,Hkv,S,hd] (past concatenated with the new ones).
 *
 * Query head h uses kv head floor(h / n_rep), n_rep = H / Hkv (HF repeat_kv order). Instead of copying
 * k/v n_rep times, the queries are grouped by their kv head ([B,Hkv,n_rep,T,hd]) and the kv heads
 * broadcast over the group ([B,Hkv,1,S,hd]): same result, no copy.
 */
export function attention(
  ctx: BlockContext,
  x: Value,
  w: LayerWeights,
  name: string,
  io: AttentionIO,
): { out: Value; present: KV } {
  const { b, spec } = ctx;
  const H = spec.numHeads;
  const Hkv = spec.numKvHeads;
  const hd = spec.headDim;
  const nRep = H / Hkv;
  if (!Number.isInteger(nRep)) throw new Error(`attention: ${H} query heads do not group over ${Hkv} kv heads`);

  return b.scope(name, () => {
    // projections, split into heads: [B,T,heads*hd] -> [B,T,heads,hd] -> [B,heads,T,hd]
    const heads = (y: Value, n: number) => b.transpose(b.reshape(y, [0, 0, n, hd]), [0, 2, 1, 3]);
    let qp = ctx.format.linear(b, x, w.q, `${name}.q`); // [B,T,H*hd]
    let kp = ctx.format.linear(b, x, w.k, `${name}.k`); // [B,T,Hkv*hd]
    // OLMo 2's q/k norms: RMSNorm over the whole projection, before the split into heads.
    if (spec.qkNorm === 'full' && w.qNorm && w.kNorm) {
      qp = norm(ctx, qp, w.qNorm, `${name}.q_norm`);
      kp = norm(ctx, kp, w.kNorm, `${name}.k_norm`);
    }
    let q = heads(qp, H); // [B,H,T,hd]
    let k = heads(kp, Hkv); // [B,Hkv,T,hd]
    let v = heads(ctx.format.linear(b, x, w.v, `${name}.v`), Hkv); // [B,Hkv,T,hd]
    // Qwen3's q/k norms: RMSNorm of every head over its hd values.
    if (spec.qkNorm === 'head' && w.qNorm && w.kNorm) {
      q = norm(ctx, q, w.qNorm, `${name}.q_norm`); // [B,H,T,hd]
      k = norm(ctx, k, w.kNorm, `${name}.k_norm`); // [B,Hkv,T,hd]
    }

    if (spec.position === 'rope' && io.rope !== false) {
      const cs = ropeCosSin(ctx, io.positions, !!io.window); // [1,T,hd] | [B,1,T,hd]; local layers may have their own
      q = applyRope(b, q, cs, hd, spec.rotaryDim ?? hd);
      k = applyRope(b, k, cs, hd, spec.rotaryDim ?? hd);
    }

    if (io.past) {
      k = b.concat([io.past.key, k], 2); // [B,Hkv,S,hd]
      v = b.concat([io.past.value, v], 2);
    }
    const present = { key: k, value: v };

    // group query heads by kv head
    let qg = q;
    let kg = k;
    let vg = v;
    if (nRep > 1) {
      qg = b.reshape(q, [0, Hkv, nRep, -1, hd]); // [B,Hkv,n_rep,T,hd]
      kg = b.unsqueeze(k, [2]); // [B,Hkv,1,S,hd]
      vg = b.unsqueeze(v, [2]);
    }
    const rank = nRep > 1 ? 5 : 4;
    const kT = b.transpose(kg, rank === 5 ? [0, 1, 2, 4, 3] : [0, 1, 3, 2]); // [..,hd,S]

    // scores = q k^T / sqrt(hd)   [B,H,T,S] (or grouped [B,Hkv,n_rep,T,S]); gemma2: its own scale, soft-capped
    let scores = b.mul(b.matmul(qg, kT), spec.attnScale ?? 1 / Math.sqrt(hd));
    if (spec.attnSoftcap) scores = softcap(b, scores, spec.attnSoftcap);

    // causal mask: query i (absolute position S-T+i) sees key j iff j <= S-T+i
    const T = b.dim(q, 2);
    const S = b.dim(k, 2);
    const qPos = b.unsqueeze(b.range(b.sub(S, T), S, 1), [1]); // [T,1]
    const kPos = b.unsqueeze(b.range(0, S, 1), [0]); // [1,S]
    let masked = b.less(qPos, kPos); // [T,S] true = hidden
    // a local layer's sliding window: query i sees key j only if i - j < window
    if (io.window) masked = b.or(masked, b.greater(b.sub(qPos, kPos), io.window - 1)); // int64 positions
    if (io.attentionMask) {
      const pad = b.equal(io.attentionMask, 0); // [B,S]
      masked = b.or(masked, b.reshape(pad, rank === 5 ? [0, 1, 1, 1, -1] : [0, 1, 1, -1])); // [B,1,(1,)1,S] | [T,S]
    }
    // HF's masked_fill(lowest) as an additive mask: scores + (0 where seen, lowest where hidden). For every
    // score under 1e31 in magnitude this is the same float32 (lowest + s rounds to lowest; s + 0 is s), and
    // onnxruntime's broadcast Add over [..,T,S] takes about half the time of a broadcast Where
    // (docs/GRAPHS.md). The Where that makes the bias is [T,S] (or [B,..,S] with padding): small.
    const probs = b.softmax(b.add(scores, b.where(masked, MASK_VALUE, 0)), -1); // fp32 softmax over keys

    let ctxv = b.matmul(probs, vg); // [B,H,T,hd] (or [B,Hkv,n_rep,T,hd])
    if (nRep > 1) ctxv = b.reshape(ctxv, [0, H, -1, hd]); // [B,H,T,hd]
    const merged = b.reshape(b.transpose(ctxv, [0, 2, 1, 3]), [0, 0, H * hd]); // [B,T,H*hd]
    return { out: ctx.format.linear(b, merged, w.o, `${name}.o`), present }; // [B,T,d]
  });
}

// ---------------------------------------------------------------------------------------------
// MLP
// ---------------------------------------------------------------------------------------------

/** silu, gelu_tanh (HF gelu_new / gelu_pytorch_tanh) or exact gelu. */
export function activation(b: GraphBuilder, x: Value, kind: ModelSpec['activation']): Value {
  switch (kind) {
    case 'silu':
      return b.mul(x, b.sigmoid(x)); // x * sigmoid(x)
    case 'gelu_tanh': {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const inner = b.mul(b.add(x, b.mul(b.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return b.mul(b.mul(x, 0.5), b.add(b.tanh(inner), 1));
    }
    case 'gelu':
      // 0.5 x (1 + erf(x / sqrt 2))
      return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, Math.SQRT1_2)), 1));
  }
}

/** gated: down(act(gate(x)) * up(x)); plain: down(act(up(x))). x [B,T,d] -> [B,T,d]. */
export function mlp(ctx: BlockContext, x: Value, w: LayerWeights, name: string): Value {
  const { b, spec } = ctx;
  return b.scope(name, () => {
    let h: Value; // [B,T,I]
    if (spec.mlp === 'gated') {
      if (!w.gate) throw new Error(`mlp ${name}: gated MLP without gate weights`);
      h = b.mul(
        activation(b, ctx.format.linear(b, x, w.gate, `${name}.gate`), spec.activation),
        ctx.format.linear(b, x, w.up, `${name}.up`),
      );
    } else {
      h = activation(b, ctx.format.linear(b, x, w.up, `${name}.up`), spec.activation);
    }
    return ctx.format.linear(b, h, w.down, `${name}.down`);
  });
}

// ---------------------------------------------------------------------------------------------
// Residual sublayers (the units LLM-Drop drops)
// ---------------------------------------------------------------------------------------------

export interface SublayerOut {
  /** The residual stream after the sublayer: x + F(N(x)). */
  out: Value;
  /** N(x), F's input. */
  normed: Value;
  /** F(N(x)), what the sublayer adds to the stream. */
  delta: Value;
}

/** m_l = x_l + Attn_l(N1_l(x_l)). */
export function attentionSublayer(
  ctx: BlockContext,
  x: Value,
  w: LayerWeights,
  l: number,
  io: AttentionIO,
): SublayerOut & { present: KV } {
  const normed = w.attnNorm ? norm(ctx, x, w.attnNorm, `layers.${l}.attn_norm`) : x; // N1(x); x itself with post-norms only
  const window = ctx.spec.layerWindows?.[l] ?? null;
  const rope = ctx.spec.ropeLayers?.[l] ?? true;
  const a = attention(ctx, normed, w, `layers.${l}.attn`, { ...io, window, rope });
  let delta = w.attnPostNorm ? norm(ctx, a.out, w.attnPostNorm, `layers.${l}.attn_post_norm`) : a.out;
  if (ctx.spec.residualScale !== undefined) delta = ctx.b.mul(delta, ctx.spec.residualScale); // granite
  return { out: ctx.b.add(x, delta), normed, delta, present: a.present };
}

/** x_{l+1} = m_l + MLP_l(N2_l(m_l)). */
export function mlpSublayer(ctx: BlockContext, m: Value, w: LayerWeights, l: number): SublayerOut {
  const normed = w.mlpNorm ? norm(ctx, m, w.mlpNorm, `layers.${l}.mlp_norm`) : m; // N2(m)
  const f = mlp(ctx, normed, w, `layers.${l}.mlp`);
  let delta = w.mlpPostNorm ? norm(ctx, f, w.mlpPostNorm, `layers.${l}.mlp_post_norm`) : f;
  if (ctx.spec.residualScale !== undefined) delta = ctx.b.mul(delta, ctx.spec.residualScale); // granite
  return { out: ctx.b.add(m, delta), normed, delta };
}

/**
 * One transformer block, as in the paper (and nanoGPT's Block), with LLM-Drop's drops:
 *     m_l     = x_l + Attn_l(N1_l(x_l))     skipped (m_l = x_l) when attention l is dropped
 *     x_{l+1} = m_l + MLP_l(N2_l(m_l))      skipped (x_{l+1} = m_l) when MLP l is dropped
 * x [B,T,d] -> [B,T,d]; present: this layer's keys/values [B,Hkv,S,hd], null when attention is dropped.
 */
export function block(
  ctx: BlockContext,
  x: Value,
  w: LayerWeights,
  l: number,
  keep: { attn: boolean; mlp: boolean },
  io: AttentionIO,
): { out: Value; present: KV | null } {
  let present: KV | null = null;
  if (keep.attn) {
    const a = attentionSublayer(ctx, x, w, l, io);
    x = a.out; // m_l
    present = a.present;
  }
  if (keep.mlp) x = mlpSublayer(ctx, x, w, l).out; // x_{l+1}
  return { out: x, present };
}

// ---------------------------------------------------------------------------------------------
// Embedding, LM head, per-token reductions
// ---------------------------------------------------------------------------------------------

/**
 * Rows of a table from WeightFormat.table, as float32: a float16 table (the live fp16/q8/q4 precisions)
 * has its gathered rows Cast, so only [.., d] values ever widen, never the table.
 */
export function gatherRows(b: GraphBuilder, table: Value, ids: Value): Value {
  const rows = b.gather(table, ids, 0);
  return table.type === 'float16' ? b.cast(rows, 'float32') : rows;
}

/** Token embedding (+ learned position embedding for gpt2). ids int64 [B,T] -> [B,T,d]. */
export function embedding(ctx: BlockContext, weights: ModelWeights, ids: Value, positions: Value | null): Value {
  const { b, spec } = ctx;
  return b.scope('embed', () => {
    let h = gatherRows(b, ctx.format.table(ctx, weights.embed, 'embed_tokens.weight'), ids); // [B,T,d]
    if (spec.position === 'learned') {
      if (!weights.posEmbed) throw new Error('embedding: learned positions without a position embedding');
      const pos = positions ?? sequencePositions(b, ids); // [T] or [B,T]
      h = b.add(h, gatherRows(b, ctx.format.table(ctx, weights.posEmbed, 'embed_positions.weight'), pos)); // + [T,d] | [B,T,d]
    }
    if (spec.embedScale !== undefined) h = b.mul(h, Math.fround(spec.embedScale)); // gemma: * sqrt(d)
    return h;
  });
}

/** logits = N_final(h) @ W_head^T, [B,T,d] -> [B,T,V]; a tied head reuses the embedding's weight. */
export function lmHead(ctx: BlockContext, weights: ModelWeights, h: Value): Value {
  const hn = norm(ctx, h, weights.finalNorm, 'final_norm'); // [B,T,d]
  const name = weights.lmHead === weights.embed ? 'embed_tokens.weight' : 'lm_head.weight';
  return ctx.b.scope('lm_head', () => {
    let logits = ctx.format.head(ctx, hn, weights.lmHead, name); // [B,T,V]
    if (ctx.spec.logitDivisor !== undefined) logits = ctx.b.div(logits, ctx.spec.logitDivisor); // granite
    return ctx.spec.finalSoftcap ? softcap(ctx.b, logits, ctx.spec.finalSoftcap) : logits;
  });
}

/**
 * Per-token next-token NLL and argmax from logits [B,T,V] and ids [B,T]:
 *   nll[b,t] = logsumexp(logits[b,t]) - logits[b,t,ids[b,t+1]]   [B,T-1]  (stable: max subtracted)
 *   argmax[b,t] = first index of max logits[b,t]                  [B,T] int64
 */
export function nllAndArgmax(b: GraphBuilder, logits: Value, ids: Value): { nll: Value; argmax: Value } {
  return b.scope('nll', () => {
    const argmax = b.argMax(logits, -1, false); // [B,T]
    const mx = b.reduceMax(logits, [-1], true); // [B,T,1]
    const lse = b.add(b.log(b.reduceSum(b.exp(b.sub(logits, mx)), [-1], true)), mx); // [B,T,1]
    // targets: ids shifted left by one; the last position gets a placeholder (its own id) and is cut off
    const next = b.concat(
      [b.slice(ids, [1], [Number.MAX_SAFE_INTEGER], [1]), b.slice(ids, [-1], [Number.MAX_SAFE_INTEGER], [1])],
      1,
    ); // [B,T]
    const picked = b.gatherElements(logits, b.unsqueeze(next, [-1]), -1); // [B,T,1]
    const nllAll = b.squeeze(b.sub(lse, picked), [-1]); // [B,T]
    const nll = b.slice(nllAll, [0], [-1], [1]); // [B,T-1]
    return { nll, argmax };
  });
}

/** The one cosine definition of DropLab (docs/METRICS-AND-DATA.md, tests/reference/metrics64.ts). */
export const COSINE_EPS = 1e-12;

/**
 * Per-token cosine similarity over the last axis, [B,T,d] x [B,T,d] -> [B,T]:
 *     cos = a.c / max(|a| |c|, 1e-12)
 * (a zero vector gives 0, never NaN; for any real hidden state it equals torch's cosine_similarity,
 * which LLM-Drop uses). Sums in fp32; the norms are multiplied, not their squares, so nothing overflows.
 * Every cosine DropLab reports comes from this function.
 */
export function cosine(b: GraphBuilder, a: Value, c: Value): Value {
  return b.scope('cosine', () => {
    const dot = b.reduceSum(b.mul(a, c), [-1], false); // [B,T]
    const na = b.sqrt(b.reduceSum(b.mul(a, a), [-1], false)); // |a| [B,T]
    const nc = b.sqrt(b.reduceSum(b.mul(c, c), [-1], false)); // |c| [B,T]
    return b.div(dot, b.max(b.mul(na, nc), COSINE_EPS));
  });
}
