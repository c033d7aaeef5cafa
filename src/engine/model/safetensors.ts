/**
 * safetensors reader and writer (format: https://huggingface.co/docs/safetensors, "Format" section).
 *
 *   [u64 little-endian N][N bytes of UTF-8 JSON header, padded with spaces][data section]
 *
 * The header maps tensor names to { dtype, shape, data_offsets: [begin, end] } (offsets relative to the
 * start of the data section) plus an optional "__metadata__" string map. parse() validates everything
 * and returns zero-copy views; decodeToFloat32() turns an F32/F16/BF16/F64 view into a Float32Array.
 * All multi-byte values are little-endian, as the format requires.
 */
import {
  SafetensorsDtypeError,
  SafetensorsHeaderError,
  SafetensorsRangeError,
  SafetensorsTruncatedError,
} from '../errors';

/** Bytes per element of every byte-sized dtype of the format. */
export const DTYPE_SIZE = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  C64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_SIZE;
/** The dtypes that decode to float32 weights. */
export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';
/** The dtypes writeSafetensors encodes from float32. */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tensor's bytes: a view into the parsed file, not a copy. */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** In header order. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
  /** 8 + header length: where the data section starts. */
  dataStart: number;
}

/** Largest header the reference implementation accepts (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

const isDtype = (d: unknown): d is SafetensorsDtype => typeof d === 'string' && Object.hasOwn(DTYPE_SIZE, d);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse a whole .safetensors file. `file` names it in error messages (e.g. "model-00001-of-00002.safetensors").
 * Throws SafetensorsTruncatedError, SafetensorsHeaderError, SafetensorsDtypeError or SafetensorsRangeError.
 */
export function parse(bytes: Uint8Array, file = 'model.safetensors'): SafetensorsFile {
  const layout = parseLayout(bytes, bytes.length, file);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, e] of layout.entries) {
    tensors.set(name, {
      dtype: e.dtype,
      shape: e.shape,
      bytes: bytes.subarray(layout.dataStart + e.begin, layout.dataStart + e.end),
    });
  }
  return { tensors, metadata: layout.metadata, dataStart: layout.dataStart };
}

/** Where one tensor's bytes are: [begin, end) relative to the data section (which starts at dataStart). */
export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsLayout {
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  dataStart: number;
}

/**
 * The bytes the header length says the header needs: 8 + N (read the first 8 bytes, then this many),
 * so a reader that streams a file reads its header alone.
 */
export function headerByteLength(first8: Uint8Array, file = 'model.safetensors', fileSize = first8.length): number {
  if (first8.length < 8 || fileSize < 8) {
    throw new SafetensorsTruncatedError(
      `${file} is truncated: it has ${fileSize} bytes, fewer than the 8-byte header length. Download it again.`,
      { file, size: fileSize },
    );
  }
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLen = dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new SafetensorsHeaderError(
      `${file} is not a valid safetensors file: its header length (${headerLen} bytes) is over the 100 MB limit.`,
      { file, headerLen },
    );
  }
  return 8 + Math.min(headerLen, Math.max(0, fileSize - 8));
}

/**
 * Parse and validate the header of a safetensors file of `fileSize` bytes from its first bytes (at least
 * 8 + the header length; the whole file works too). Same errors as parse(); no tensor data is needed.
 */
export function parseLayout(bytes: Uint8Array, fileSize: number, file = 'model.safetensors'): SafetensorsLayout {
  headerByteLength(bytes, file, fileSize);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenLo = dv.getUint32(0, true);
  const lenHi = dv.getUint32(4, true);
  const headerLen = lenHi * 2 ** 32 + lenLo;
  if (8 + headerLen > fileSize) {
    // A JSON header that starts but is cut off is a truncated file; anything else means the first 8 bytes
    // are not a safetensors header length at all (e.g. a renamed PyTorch .bin).
    if (fileSize > 8 && bytes[8] === 0x7b /* '{' */) {
      throw new SafetensorsTruncatedError(
        `${file} is truncated: its header needs ${8 + headerLen} bytes but the file has ${fileSize}. Download it again.`,
        { file, headerLen, size: fileSize },
      );
    }
    throw new SafetensorsHeaderError(
      `${file} is not a valid safetensors file: its header length (${headerLen} bytes) points past the end of the file (${fileSize} bytes).`,
      { file, headerLen, size: fileSize },
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsHeaderError(
      `${file} is not a valid safetensors file: its header is not JSON (${(e as Error).message}).`,
      {
        file,
      },
    );
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsHeaderError(`${file} is not a valid safetensors file: its header is not a JSON object.`, {
      file,
    });
  }

  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const entries = new Map<string, TensorEntry>();
  const ranges: { name: string; begin: number; end: number }[] = [];

  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        throw new SafetensorsHeaderError(`${file}: "__metadata__" must be an object of strings.`, { file });
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string')
          throw new SafetensorsHeaderError(`${file}: "__metadata__.${k}" must be a string.`, { file });
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      throw new SafetensorsHeaderError(`${file}: the header entry of tensor "${name}" is not an object.`, {
        file,
        tensor: name,
      });
    }
    if (!isDtype(e.dtype)) {
      throw new SafetensorsDtypeError(
        `${file}: tensor "${name}" has dtype ${JSON.stringify(e.dtype)}, which is not a known safetensors dtype (${Object.keys(DTYPE_SIZE).join(', ')}).`,
        { file, tensor: name, dtype: e.dtype },
      );
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) {
      throw new SafetensorsHeaderError(
        `${file}: tensor "${name}" has shape ${JSON.stringify(e.shape)}; expected a list of non-negative integers.`,
        {
          file,
          tensor: name,
        },
      );
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !isIndex(off[0]) ||
      !isIndex(off[1]) ||
      off[0] > off[1] ||
      off[1] > dataLen
    ) {
      throw new SafetensorsRangeError(
        `${file}: tensor "${name}" has data_offsets ${JSON.stringify(off)}, which is not a range [begin, end] inside the ${dataLen}-byte data section${
          Array.isArray(off) && isIndex(off[1]) && off[1] > dataLen ? ' (is the file truncated?)' : ''
        }.`,
        { file, tensor: name, dataOffsets: off, dataLen },
      );
    }
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const expected = numel(shape) * DTYPE_SIZE[e.dtype];
    if (end - begin !== expected) {
      throw new SafetensorsRangeError(
        `${file}: tensor "${name}" (${e.dtype} [${shape.join(', ')}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}.`,
        { file, tensor: name, expected, actual: end - begin },
      );
    }
    ranges.push({ name, begin, end });
    entries.set(name, { dtype: e.dtype, shape, begin, end });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1];
    const cur = ranges[i];
    if (cur.begin < prev.end) {
      throw new SafetensorsRangeError(
        `${file}: the data of tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap.`,
        { file, tensor: cur.name, other: prev.name },
      );
    }
  }
  return { entries, metadata, dataStart };
}

// ---------------------------------------------------------------------------------------------------
// float16 / bfloat16 <-> float32

let f16Table: Float32Array | null = null;

/** IEEE 754 binary16 bits -> number (exact). */
export function f16BitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToFloat(h);
  }
  return f16Table;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** number -> binary16 bits, rounding to nearest even; overflow gives +-Inf, NaN stays NaN (quiet). */
export function floatToF16Bits(x: number): number {
  f32Scratch[0] = x;
  const f = u32Scratch[0];
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / nan
  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // subnormal half (or zero): value = m * 2^-24 with m = round(full mantissa * 2^(e-1) / 2^13)
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const full = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && m & 1)) m++;
    return sign | m; // m may carry into the smallest normal: still the right bits
  }
  let bits = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && bits & 1)) bits++; // carry may round up to inf: correct
  return bits;
}

/** number -> bfloat16 bits (the high half of float32), rounding to nearest even; NaN stays NaN. */
export function floatToBf16Bits(x: number): number {
  f32Scratch[0] = x;
  const f = u32Scratch[0];
  if ((f & 0x7f800000) === 0x7f800000 && f & 0x7fffff) return ((f >>> 16) & 0x8000) | 0x7fc0;
  return ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToFloat(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0];
}

/** A typed view on `bytes` when aligned (and the host is little-endian), otherwise an aligned copy. */
function aligned<T>(bytes: Uint8Array, size: number, make: (buf: ArrayBufferLike, off: number, n: number) => T): T {
  const n = bytes.byteLength / size;
  if (bytes.byteOffset % size === 0) return make(bytes.buffer, bytes.byteOffset, n);
  const copy = bytes.slice();
  return make(copy.buffer, 0, n);
}

/**
 * Decode a float tensor to row-major float32. For aligned F32 data this is a view into the file's bytes
 * (no copy): treat the result as read-only. F16/BF16/F64 always give a fresh array.
 */
export function decodeToFloat32(
  t: { dtype: string; bytes: Uint8Array; shape?: readonly number[] },
  what = 'tensor',
): Float32Array {
  const { dtype, bytes } = t;
  if (!isLittleEndian) return decodeWithDataView(dtype, bytes, what);
  switch (dtype) {
    case 'F32':
      return aligned(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case 'F16': {
      const src = aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
      const table = f16Lookup();
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      const src = aligned(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
      const out = new Float32Array(src.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
      return out;
    }
    case 'F64':
      return Float32Array.from(aligned(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    default:
      throw new SafetensorsDtypeError(`${what} has dtype ${dtype}; only F32, F16, BF16 and F64 weights can be used.`, {
        tensor: what,
        dtype,
      });
  }
}

function decodeWithDataView(dtype: string, bytes: Uint8Array, what: string): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
  const out = new Float32Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F32') out[i] = dv.getFloat32(4 * i, true);
    else if (dtype === 'F64') out[i] = dv.getFloat64(8 * i, true);
    else if (dtype === 'F16') out[i] = f16BitsToFloat(dv.getUint16(2 * i, true));
    else if (dtype === 'BF16') out[i] = bf16BitsToFloat(dv.getUint16(2 * i, true));
    else
      throw new SafetensorsDtypeError(`${what} has dtype ${dtype}; only F32, F16, BF16 and F64 weights can be used.`, {
        tensor: what,
        dtype,
      });
  }
  return out;
}

/** Encode float32 values as `dtype` little-endian bytes. */
export function encodeFromFloat32(data: Float32Array | readonly number[], dtype: WritableDtype): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const dv = new DataView(out.buffer);
  if (dtype === 'F32') for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i], true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) dv.setUint16(2 * i, floatToF16Bits(data[i]), true);
  else if (dtype === 'BF16') for (let i = 0; i < n; i++) dv.setUint16(2 * i, floatToBf16Bits(data[i]), true);
  else throw new SafetensorsDtypeError(`cannot write dtype ${dtype as string}; use F32, F16 or BF16.`, { dtype });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// writer

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /** float32 values to encode as `dtype` (F32/F16/BF16), or bytes already in `dtype` (copied as they are). */
  data: Float32Array | Uint8Array;
}

/**
 * Serialize tensors as a .safetensors file. Data is laid out without holes, larger dtypes first (as the
 * reference writer does, so every tensor stays aligned to its item size); the header is padded with
 * spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(entries: readonly SafetensorsEntry[], metadata?: Record<string, string>): Uint8Array {
  const names = new Set<string>();
  const encoded = entries.map((e) => {
    if (names.has(e.name) || e.name === '__metadata__')
      throw new SafetensorsHeaderError(`writeSafetensors: duplicate or reserved tensor name "${e.name}".`);
    names.add(e.name);
    if (!isDtype(e.dtype))
      throw new SafetensorsDtypeError(`writeSafetensors: tensor "${e.name}" has unknown dtype ${e.dtype as string}.`);
    const bytes = e.data instanceof Uint8Array ? e.data : encodeFromFloat32(e.data, e.dtype as WritableDtype);
    const expected = numel(e.shape) * DTYPE_SIZE[e.dtype];
    if (bytes.byteLength !== expected) {
      throw new SafetensorsRangeError(
        `writeSafetensors: tensor "${e.name}" (${e.dtype} [${e.shape.join(', ')}]) needs ${expected} bytes, got ${bytes.byteLength}.`,
      );
    }
    return { ...e, bytes };
  });
  const order = encoded
    .map((e, i) => ({ e, i }))
    .sort((a, b) => DTYPE_SIZE[b.e.dtype] - DTYPE_SIZE[a.e.dtype] || a.i - b.i)
    .map((x) => x.e);

  // Own properties defined, not assigned: a tensor (or metadata key) named "__proto__" is an ordinary
  // name in a safetensors header, but `obj.__proto__ = v` would set the prototype and drop it.
  const header: Record<string, unknown> = Object.create(null);
  const put = (o: Record<string, unknown>, k: string, v: unknown) =>
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (metadata && Object.keys(metadata).length) {
    const m: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(metadata)) put(m, k, v);
    put(header, '__metadata__', m);
  }
  let offset = 0;
  for (const e of order) {
    put(header, e.name, { dtype: e.dtype, shape: [...e.shape], data_offsets: [offset, offset + e.bytes.byteLength] });
    offset += e.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLen, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const e of order) {
    out.set(e.bytes, pos);
    pos += e.bytes.byteLength;
  }
  return out;
}
