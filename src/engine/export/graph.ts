/**
 * The exported ONNX graph: the pruned model with a KV cache, in the layout transformers.js and
 * Hugging Face Optimum exports use for decoder-only models.
 *
 *   inputs   input_ids                 int64   [batch_size, sequence_length]
 *            attention_mask            int64   [batch_size, total_sequence_length]   1 = attend, 0 = padding
 *            position_ids              int64   [batch_size, sequence_length]
 *            past_key_values.{l}.key   float32 [batch_size, Hkv, past_sequence_length, hd]   kept attention l only
 *            past_key_values.{l}.value float32 [batch_size, Hkv, past_sequence_length, hd]
 *   outputs  logits                    float32 [batch_size, sequence_length, vocab]
 *            present.{l}.key / .value  float32 [batch_size, Hkv, total_sequence_length, hd]
 *
 * l keeps the ORIGINAL layer index; a dropped attention layer has no cache entry, a dropped sublayer no
 * node and no weight. total_sequence_length = past_sequence_length + sequence_length. Hkv and hd are
 * fixed dims (transformers.js sizes its empty first-step cache from them; batch_size from the input,
 * every other symbolic dim as 0).
 *
 * The body is the live engine's: decoder() (graphs/decoder.ts), the one layer loop of block()s, with the
 * same RoPE angles (EXPORT_ROPE) and the same masking (DESIGN.md §1: one graph builder for analysis and
 * export). Only the weights' encoding differs by format, through the blocks' one seam (WeightFormat):
 *
 *   fp32  everything float32 (blocks.FP32).
 *   fp16  every matrix (linears, embedding, position embedding, LM head) stored as float16 and Cast
 *         to float32 where used; norm weights and biases stay float32 (they are tiny). Arithmetic,
 *         inputs, outputs and the KV cache are float32, so the file runs on any backend (CPU, wasm,
 *         WebGPU without shader-f16). onnxruntime constant-folds the Casts of initializers at session
 *         creation, so fp16 halves the download, not the runtime memory.
 *   q8    linears as com.microsoft MatMulNBits, bits 8, block 32, symmetric (no zero points), bias a
 *         separate Add. onnxruntime's CPU and wasm kernels run it, and so does the native WebGPU EP that
 *         transformers.js uses (contrib_ops/webgpu/quantization/matmul_nbits.cc: "Only 4/8 bits are
 *         supported for webgpu matmulnbits"), so WebGPU does not fall back to the CPU as it does for
 *         the MatMulInteger / DynamicQuantizeLinear graphs of dynamic int8 quantization. Embedding
 *         stored float16 (the table Cast to float32 as a whole, as in fp16); LM head MatMulNBits 8-bit
 *         (a tied model stores a quantized copy of the embedding for the head).
 *   q4    linears as MatMulNBits bits 4, block 32, symmetric, bias a separate Add (DESIGN.md §4);
 *         embedding float16 and LM head MatMulNBits 8-bit, as in q8: the head's error goes straight
 *         into every logit, and 8 bits there costs little.
 */
import type { DropConfig, ExportFormat } from '../api';
import { normalizeDrop } from '../drops';
import * as blocks from '../graphs/blocks';
import type { BlockContext, KV, LinearImpl, RopeMode, WeightFormat } from '../graphs/blocks';
import { decoder } from '../graphs/decoder';
import type { ModelSpec, ModelWeights, Param } from '../model/spec';
import { GraphBuilder, type Value } from '../onnx/builder';
import type { Q4Linear, Q4Plan } from './calibrated';
import { checkSomethingKept } from './llmdrop';
import { type NBits, quantizeBlockwise, toFloat16 } from './quant';

export type { ExportFormat } from '../api';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['fp32', 'fp16', 'q8', 'q4'];

/** File of each format inside the exported folder (transformers.js' dtype -> file-name convention). */
export const ONNX_FILE: Readonly<Record<ExportFormat, string>> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

/** MatMulNBits block size (DESIGN.md §4). */
export const QUANT_BLOCK = 32;
/**
 * MatMulNBits accuracy_level 4: the CPU and wasm kernels quantize the activations to int8 per block
 * and use integer dot products. Measured with onnxruntime-node 1.30 (1 thread), a [1, 576] x 8-bit
 * [49152, 576] product takes 5 ms at level 4 and 1.4 s at the default level 0 (no fast float path for
 * 8 bits), while 4 bits is fast either way; the WebGPU EP may use its DP4A kernel at this level. Level 4
 * is also what onnxruntime-genai's model builder writes. The perplexity cost is measured in
 * tests/engine/export/bundled.test.ts.
 */
export const QUANT_ACCURACY_LEVEL = 4;
/** Bits of the LM head in the q8 and q4 formats. */
export const HEAD_BITS: NBits = 8;

export const KV_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  pastKey: (l: number) => `past_key_values.${l}.key`,
  pastValue: (l: number) => `past_key_values.${l}.value`,
  presentKey: (l: number) => `present.${l}.key`,
  presentValue: (l: number) => `present.${l}.value`,
} as const;

export const KV_DIM = {
  batch: 'batch_size',
  seq: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

/**
 * RoPE in the export: cos/sin computed in the graph from position_ids (HF's own float32 path), never a
 * table, so generation past max_position_embeddings keeps working as it does in transformers and
 * transformers.js (a table would end in an out-of-range Gather). The live engine's table holds the
 * same float32 angles; the two agree to float32 rounding of cos/sin (tests/engine/export/onnx.test.ts).
 */
export const EXPORT_ROPE: RopeMode = { kind: 'compute' };

/** Original indices of the attention layers the export keeps (those with a KV cache). */
export function keptAttention(spec: ModelSpec, drop: DropConfig): number[] {
  const dropped = new Set(drop.attn);
  return Array.from({ length: spec.numLayers }, (_, l) => l).filter((l) => !dropped.has(l));
}

/** Bytes of KV cache per token of context (batch 1): 2 (k, v) x kept attention layers x Hkv x hd x 4. */
export function kvBytesPerToken(spec: ModelSpec, drop: DropConfig): number {
  return 2 * keptAttention(spec, drop).length * spec.numKvHeads * spec.headDim * 4;
}

export function isExportFormat(f: unknown): f is ExportFormat {
  return typeof f === 'string' && (EXPORT_FORMATS as readonly string[]).includes(f);
}

// ---------------------------------------------------------------------------------------------------
// Weight formats: the export's implementations of the blocks' one weight seam (blocks.WeightFormat)

/** A Param as one float16 initializer per graph (a tied embedding/head is stored once). */
function f16Param(ctx: BlockContext, p: Param, name: string): Value {
  let v = ctx.params.get(p);
  if (!v) {
    v = ctx.b.initializer(name, toFloat16(p.load()), p.shape, 'float16');
    ctx.params.set(p, v);
  }
  return v;
}

const fp16Linear: LinearImpl = (b, x, lin, name) => {
  const [out, inp] = lin.weight.shape;
  const wt = toFloat16(blocks.transpose2d(lin.weight.load(), out, inp)); // [in, out]
  let y = b.matmul(x, b.cast(b.initializer(`${name}.weight_t_fp16`, wt, [inp, out], 'float16'), 'float32'));
  if (lin.bias) y = b.add(y, b.initializer(`${name}.bias`, lin.bias.load(), [out]));
  return y;
};

/**
 * MatMulNBits over W [N, K] as stored by nn.Linear; A [..., K] -> [..., N]. `pre`: weights already
 * quantized (calibrated.ts: GPTQ, AWQ), else round-to-nearest here with `block`.
 */
function nbitsMatmul(
  b: GraphBuilder,
  x: Value,
  w: Param,
  bits: NBits,
  name: string,
  block = QUANT_BLOCK,
  pre?: Q4Linear,
): Value {
  const [N, K] = w.shape;
  const q = pre?.q ?? quantizeBlockwise(w.load(), N, K, bits, block);
  if (q.N !== N || q.K !== K || q.bits !== bits)
    throw new Error(`${name}: its quantized weights are not [${N}, ${K}] ${bits}-bit`);
  const packed = b.initializer(`${name}.weight_q${bits}`, q.packed, [N, q.blocks, (q.block * bits) / 8]);
  const scales = b.initializer(`${name}.weight_scales`, q.scales, [N * q.blocks]);
  // AWQ's scale with no place to fold: x / s before the product ([..., K] * [K])
  const xin = pre?.inputScale ? b.mul(x, b.initializer(`${name}.input_scale`, pre.inputScale, [K])) : x;
  return b.matMulNBits(xin, packed, scales, { K, N, bits, blockSize: q.block, accuracyLevel: QUANT_ACCURACY_LEVEL });
}

const nbitsLinear =
  (bits: NBits, block = QUANT_BLOCK, plan?: Q4Plan): LinearImpl =>
  (b, x, lin, name) => {
    const y = nbitsMatmul(b, x, lin.weight, bits, name, block, plan?.linears.get(lin.weight));
    return lin.bias ? b.add(y, b.initializer(`${name}.bias`, lin.bias.load(), [lin.weight.shape[0]])) : y;
  };

/**
 * The whole float16 table Cast to float32 before the Gather, not the gathered rows: onnxruntime folds
 * that Cast at session creation, so no kernel touches float16 (a float16 Gather fails on WebGPU adapters
 * without shader-f16, e.g. SwiftShader; tests/webgpu-node/export.test.ts).
 */
const f16Table: WeightFormat['table'] = (ctx, p, name) => ctx.b.cast(f16Param(ctx, p, `${name}_fp16`), 'float32');

/** q8 and q4: linears as MatMulNBits of `bits`, embedding float16, the head MatMulNBits of HEAD_BITS. */
const nbitsFormat = (bits: NBits, block = QUANT_BLOCK, plan?: Q4Plan): WeightFormat => ({
  linear: nbitsLinear(bits, block, plan),
  table: f16Table,
  head: (ctx, h, w) => nbitsMatmul(ctx.b, h, w, HEAD_BITS, 'lm_head'), // [B,T,V]
});

const WEIGHT_FORMAT: Record<ExportFormat, WeightFormat> = {
  fp32: blocks.FP32,
  fp16: {
    linear: fp16Linear,
    table: f16Table,
    head: (ctx, h, w, name) =>
      blocks.headGemm(ctx, h, ctx.b.cast(f16Param(ctx, w, `${name}_fp16`), 'float32'), w.shape[0]),
  },
  q8: nbitsFormat(8),
  q4: nbitsFormat(4),
};

export interface KvGraphOptions {
  /** Called after each layer is built (progress, cancellation: throw to stop). */
  onLayer?: (layer: number) => void;
  /** Extra metadata_props. */
  metadata?: Record<string, string>;
  /**
   * q4 only: the calibrated plan (calibrated.ts planQ4: GPTQ, AWQ, or RTN at another block size). Its
   * folded weights replace `weights` and its MatMulNBits tensors the round-to-nearest ones.
   */
  q4?: Q4Plan;
}

/**
 * The KV-cache graph of the model with `drop` applied, weights in `format`. Returns the builder
 * (serialize with build(), or writeOnnxFiles for external data). Throws DropConfigError for a bad drop
 * list and ExportError when nothing is kept.
 */
export function buildKvGraph(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  format: ExportFormat,
  opts: KvGraphOptions = {},
): GraphBuilder {
  const d = normalizeDrop(drop, spec.numLayers);
  checkSomethingKept(spec, d);
  const b = new GraphBuilder(`droplab_${spec.family}_kv_${format}`);
  b.metadata = {
    ...opts.metadata,
    drop_attn_list: JSON.stringify(d.attn),
    drop_mlp_list: JSON.stringify(d.mlp),
    droplab_format: format,
  };
  const plan = format === 'q4' ? opts.q4 : undefined;
  if (plan) {
    b.metadata.droplab_quant = plan.method;
    b.metadata.droplab_block_size = String(plan.block);
    weights = plan.weights;
  }
  const wf = plan ? nbitsFormat(4, plan.block, plan) : WEIGHT_FORMAT[format];
  const ctx = blocks.blockContext(b, spec, { format: wf, rope: EXPORT_ROPE });
  const { batch, seq, past, total } = KV_DIM;
  const Hkv = spec.numKvHeads;
  const hd = spec.headDim;
  const ids = b.input(KV_IO.inputIds, 'int64', [batch, seq]);
  const mask = b.input(KV_IO.attentionMask, 'int64', [batch, total]);
  const pos = b.input(KV_IO.positionIds, 'int64', [batch, seq]);
  const kept = keptAttention(spec, d);
  const pastKv = new Map<number, KV>();
  for (const l of kept) {
    pastKv.set(l, {
      key: b.input(KV_IO.pastKey(l), 'float32', [batch, Hkv, past, hd]),
      value: b.input(KV_IO.pastValue(l), 'float32', [batch, Hkv, past, hd]),
    });
  }
  const { hidden, present } = decoder(ctx, weights, d, {
    inputIds: ids,
    positions: pos,
    attentionMask: mask,
    past: (l) => pastKv.get(l) ?? null,
    onLayer: opts.onLayer,
  });
  b.output(blocks.lmHead(ctx, weights, hidden), KV_IO.logits, [batch, seq, spec.vocabSize]);
  for (const l of kept) {
    const p = present.get(l) as KV;
    b.output(p.key, KV_IO.presentKey(l), [batch, Hkv, total, hd]);
    b.output(p.value, KV_IO.presentValue(l), [batch, Hkv, total, hd]);
  }
  return b;
}
