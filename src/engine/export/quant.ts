/**
 * Weight encodings of the ONNX export: float16 bits, and the block-wise symmetric integer layout of
 * onnxruntime's com.microsoft MatMulNBits (4 or 8 bits).
 *
 * MatMulNBits computes Y = A @ dequant(B)^T for B given as the nn.Linear weight W [N, K] (out, in):
 *   B       uint8 [N, ceil(K / block), block * bits / 8]   row n, block j, packed values
 *   scales  float [N * ceil(K / block)]                     one per (row, block), row-major
 *   zero points: omitted = 2^(bits-1) (8 for 4 bits, 128 for 8 bits), i.e. symmetric
 *   dequant(B)[n, k] = (q[n, k] - 2^(bits-1)) * scale[n, k / block]
 * 4-bit values are packed two per byte, even k in the low nibble. A K that is not a multiple of the
 * block is padded with the zero point (dequantizes to 0). These are the conventions of onnxruntime's
 * contrib-op documentation (MatMulNBits) and of its CPU, wasm and WebGPU kernels.
 *
 * Symmetric scale per block: the value of largest magnitude, vmax (signed), maps to -2^(bits-1), the
 * one integer level that has no positive twin: scale = vmax / -2^(bits-1). Zero stays exactly zero;
 * every value is rounded to the nearest level and clamped to [-2^(bits-1), 2^(bits-1) - 1].
 */
import { floatToF16Bits } from '../model/safetensors';

export type NBits = 4 | 8;

export interface BlockQuantized {
  /** uint8 [N, blocks, block * bits / 8]. */
  packed: Uint8Array;
  /** float32 [N * blocks]. */
  scales: Float32Array;
  N: number;
  K: number;
  bits: NBits;
  block: number;
  blocks: number;
}

/** Quantize a row-major weight [N, K] (nn.Linear [out, in]) block-wise along K. */
export function quantizeBlockwise(w: Float32Array, N: number, K: number, bits: NBits, block = 32): BlockQuantized {
  if (w.length !== N * K) throw new Error(`quantizeBlockwise: ${w.length} values are not [${N}, ${K}]`);
  if (block < 16 || (block & (block - 1)) !== 0)
    throw new Error(`quantizeBlockwise: block ${block} is not a power of two >= 16`);
  const blocks = Math.ceil(K / block);
  const blob = (block * bits) / 8;
  const zp = 1 << (bits - 1); // 8 or 128
  const lo = -zp;
  const hi = zp - 1;
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  const q = new Uint8Array(block);
  for (let n = 0; n < N; n++) {
    const row = n * K;
    for (let j = 0; j < blocks; j++) {
      const k0 = j * block;
      const k1 = Math.min(K, k0 + block);
      let vmax = 0;
      for (let k = k0; k < k1; k++) if (Math.abs(w[row + k]) > Math.abs(vmax)) vmax = w[row + k];
      const scale = Math.fround(vmax / -zp);
      scales[n * blocks + j] = scale;
      const inv = scale === 0 ? 0 : 1 / scale;
      q.fill(zp);
      for (let k = k0; k < k1; k++) {
        let v = Math.round(w[row + k] * inv);
        if (v < lo) v = lo;
        else if (v > hi) v = hi;
        q[k - k0] = v + zp;
      }
      const out = (n * blocks + j) * blob;
      if (bits === 8) packed.set(q, out);
      else for (let i = 0; i < block; i += 2) packed[out + i / 2] = q[i] | (q[i + 1] << 4);
    }
  }
  return { packed, scales, N, K, bits, block, blocks };
}

/** The float32 weight [N, K] a BlockQuantized stands for (what MatMulNBits multiplies by). */
export function dequantizeBlockwise(bq: BlockQuantized): Float32Array {
  const { N, K, bits, block, blocks, packed, scales } = bq;
  const blob = (block * bits) / 8;
  const zp = 1 << (bits - 1);
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const j = Math.floor(k / block);
      const i = k % block;
      const base = (n * blocks + j) * blob;
      const v = bits === 8 ? packed[base + i] : (packed[base + (i >> 1)] >> ((i & 1) * 4)) & 0xf;
      w[n * K + k] = (v - zp) * scales[n * blocks + j];
    }
  }
  return w;
}

/** IEEE binary16 bits of every value (round to nearest even). */
export function toFloat16(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = floatToF16Bits(x[i]);
  return out;
}

/** The symmetric scale of one block whose value of largest magnitude (signed) is vmax: vmax / -2^(bits-1), float32. */
export function symmetricScale(vmax: number, bits: NBits): number {
  return Math.fround(vmax / -(1 << (bits - 1)));
}

/** The stored code (level + zero point) of v at a scale whose reciprocal is inv (0 for a zero scale). */
export function quantCode(v: number, inv: number, bits: NBits): number {
  const zp = 1 << (bits - 1);
  let q = Math.round(v * inv);
  if (q < -zp) q = -zp;
  else if (q > zp - 1) q = zp - 1;
  return q + zp;
}

/**
 * Codes uint8 [N, K] (level + zero point, one per weight, in the ORIGINAL column order) and scales
 * float32 [N * blocks] -> the MatMulNBits layout of quantizeBlockwise (same packing, same padding).
 * The calibrated quantizers (gptq.ts, awq.ts) choose codes and scales; this only stores them.
 */
export function packBlockwise(
  codes: Uint8Array,
  scales: Float32Array,
  N: number,
  K: number,
  bits: NBits,
  block: number,
): BlockQuantized {
  const blocks = Math.ceil(K / block);
  if (codes.length !== N * K || scales.length !== N * blocks)
    throw new Error(
      `packBlockwise: ${codes.length} codes / ${scales.length} scales are not [${N}, ${K}] in blocks of ${block}`,
    );
  const blob = (block * bits) / 8;
  const zp = 1 << (bits - 1);
  const packed = new Uint8Array(N * blocks * blob);
  const q = new Uint8Array(block);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < blocks; j++) {
      const k0 = j * block;
      const k1 = Math.min(K, k0 + block);
      q.fill(zp);
      for (let k = k0; k < k1; k++) q[k - k0] = codes[n * K + k];
      const out = (n * blocks + j) * blob;
      if (bits === 8) packed.set(q, out);
      else for (let i = 0; i < block; i += 2) packed[out + i / 2] = q[i] | (q[i + 1] << 4);
    }
  }
  return { packed, scales, N, K, bits, block, blocks };
}
