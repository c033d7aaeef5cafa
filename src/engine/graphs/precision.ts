/**
 * The live engine's weight precisions (issue 13; docs/PRECISION.md): implementations of the blocks' one
 * weight seam (blocks.WeightFormat) for the analysis graphs, reusing the export's quantizer
 * (export/quant.ts). Every matrix is read from the checkpoint one at a time (Param.load / loadRows),
 * converted here and handed to the graph; the float32 values are dropped when the function returns.
 *
 *   fp32  blocks.FP32: the exact path.
 *   fp16  linears: float16 W^T [in, out] initializer, Cast to float32 in the graph, MatMul. The session
 *         options below keep onnxruntime from folding that Cast into a float32 initializer at session
 *         creation (which would undo the saving), so the Cast runs with every MatMul (a transient float32
 *         copy of one matrix). Tables (embedding graph only; the engine gathers x_0 in TypeScript,
 *         embed-rows.ts): float16 rows gathered, then Cast. Head: float16 Cast + Gemm, in vocabulary
 *         chunks (chunked-head.ts).
 *   q8    linears as com.microsoft MatMulNBits 8-bit, block 32, symmetric (quantizeBlockwise), bias a
 *         separate Add; tables float16 (gathered, then Cast); head MatMulNBits 8-bit.
 *   q4    the same with 4-bit linears; the head stays 8-bit, as in the export.
 *
 * Without shader-f16 (a WebGPU adapter such as SwiftShader) float16 tensors cannot run: fp16 is refused
 * (model/admission.ts) and the embedding graph's tables stay float32 (PrecisionOptions.f16).
 */
import type { WeightPrecision } from '../api';
import { HEAD_BITS, QUANT_BLOCK } from '../export/graph';
import { type NBits, quantizeBlockwise, toFloat16 } from '../export/quant';
import type { Param } from '../model/spec';
import type { GraphBuilder, Value } from '../onnx/builder';
import type { OrtSessionOptions } from '../runtime/ort';
import * as blocks from './blocks';
import type { BlockContext, LinearImpl, WeightFormat } from './blocks';

export type { WeightPrecision } from '../api';
export { isWeightPrecision, MATRIX_BYTES_PER_PARAM, WEIGHT_PRECISIONS } from '../weight-precisions';

/** [rows, cols] uint16 -> [cols, rows] (float16 bits moved, not converted). */
function transposeU16(w: Uint16Array, rows: number, cols: number): Uint16Array {
  const t = new Uint16Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = w[o + c];
  }
  return t;
}

function bias(b: GraphBuilder, y: Value, p: Param | null, name: string, n: number): Value {
  return p ? b.add(y, b.initializer(`${name}.bias`, p.load(), [n])) : y;
}

const fp16Linear: LinearImpl = (b, x, lin, name) => {
  const [out, inp] = lin.weight.shape;
  const wt = transposeU16(toFloat16(lin.weight.load()), out, inp); // [in, out] float16
  const w = b.cast(b.initializer(`${name}.weight_t_fp16`, wt, [inp, out], 'float16'), 'float32');
  return bias(b, b.matmul(x, w), lin.bias, name, out); // [..., out]
};

/**
 * MatMulNBits accuracy level of the live graphs: 0, float32 activations, so the error is the weights'
 * alone. The export's level 4 also quantizes activations to int8 per block: on the tiny qwen2 fixture
 * q8's perplexity then moved 0.50-0.53% (0.26% at level 0), mostly from the 8-bit head. Measured on
 * onnxruntime-node, 1 thread, [2048, 960] x [2560, 960]: 8-bit 344 ms at level 0 vs 225 ms at level 4,
 * 4-bit 135 vs 152 ms, float32 MatMul 154 ms. (The export keeps level 4: generation runs one token at a
 * time, where 8-bit has no fast float32 kernel.)
 */
export const LIVE_ACCURACY_LEVEL = 0;

function nbits(b: GraphBuilder, x: Value, w: Param, bits: NBits, name: string, level: number): Value {
  const [N, K] = w.shape;
  const q = quantizeBlockwise(w.load(), N, K, bits, QUANT_BLOCK);
  const packed = b.initializer(`${name}.weight_q${bits}`, q.packed, [N, q.blocks, (q.block * bits) / 8]);
  const scales = b.initializer(`${name}.weight_scales`, q.scales, [N * q.blocks]);
  return b.matMulNBits(x, packed, scales, { K, N, bits, blockSize: q.block, accuracyLevel: level });
}

const nbitsLinear =
  (bits: NBits): LinearImpl =>
  (b, x, lin, name) =>
    bias(b, nbits(b, x, lin.weight, bits, name, LIVE_ACCURACY_LEVEL), lin.bias, name, lin.weight.shape[0]);

/**
 * A [rows, d] table as float16 bits. A streamed param converts 4096 rows at a time, so the table never
 * exists as float32 (a 128k x 2048 embedding would be 1 GiB of float32 for a moment).
 */
function tableToFloat16(p: Param): Uint16Array {
  if (!p.loadRows || p.shape.length !== 2) return toFloat16(p.load());
  const [rows, cols] = p.shape;
  const out = new Uint16Array(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += 4096) {
    const r1 = Math.min(rows, r0 + 4096);
    out.set(toFloat16(p.loadRows(r0, r1)), r0 * cols);
  }
  return out;
}

/** A table [rows, d] stored float16; Gather its rows, then Cast them (only what is gathered widens). */
const f16Table: WeightFormat['table'] = (ctx, p, name) => {
  let v = ctx.params.get(p);
  if (!v) {
    v = ctx.b.initializer(`${name}_fp16`, tableToFloat16(p), p.shape, 'float16');
    ctx.params.set(p, v);
  }
  return v;
};

export interface PrecisionOptions {
  /** The runtime has float16 kernels (false on WebGPU without shader-f16): tables then stay float32. */
  f16?: boolean;
  /** The runtime runs com.microsoft FusedMatMul on its CPU kernels (onnxruntime-node CPU, wasm): fp32 uses it. */
  transB?: boolean;
}

/** The WeightFormat of the analysis graphs at `precision`. */
export function liveFormat(precision: WeightPrecision, opts: PrecisionOptions = {}): WeightFormat {
  const f16 = opts.f16 ?? true;
  const table = f16 ? f16Table : blocks.FP32.table;
  switch (precision) {
    case 'fp32':
      return opts.transB ? blocks.FP32_TRANS_B : blocks.FP32;
    case 'fp16':
      return {
        linear: fp16Linear,
        table,
        head: (ctx: BlockContext, h, w, name) => {
          const w16 = ctx.b.initializer(`${name}_fp16`, toFloat16(w.load()), w.shape, 'float16');
          return blocks.headGemm(ctx, h, ctx.b.cast(w16, 'float32'), w.shape[0]);
        },
      };
    case 'q8':
    case 'q4':
      return {
        linear: nbitsLinear(precision === 'q8' ? 8 : 4),
        table,
        head: (ctx, h, w, name) => nbits(ctx.b, h, w, HEAD_BITS, name, LIVE_ACCURACY_LEVEL), // [B,T,Vc]
      };
  }
}

/**
 * Session options a precision needs. fp16: onnxruntime's constant folding (and the pre-packing that
 * follows it on the CPU) would replace Cast(float16 initializer) by a float32 initializer at session
 * creation, doubling the weights back; level 'extended' with ConstantFolding disabled and no pre-packing
 * keeps them float16 (tests/engine/precision-memory.test.ts measures it).
 */
export function precisionSessionOptions(precision: WeightPrecision): Partial<OrtSessionOptions> {
  if (precision !== 'fp16') return {};
  return {
    graphOptimizationLevel: 'extended',
    extra: {
      'session.disable_prepacking': '1',
      'optimization.disable_specified_optimizers': 'ConstantFolding',
    },
  };
}
