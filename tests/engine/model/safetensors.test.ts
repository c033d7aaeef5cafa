import { describe, expect, it } from 'vitest';
import {
  type DropLabError,
  SafetensorsDtypeError,
  SafetensorsHeaderError,
  SafetensorsRangeError,
  SafetensorsTruncatedError,
} from '../../../src/engine/errors';
import {
  bf16BitsToFloat,
  DTYPE_SIZE,
  decodeToFloat32,
  f16BitsToFloat,
  floatToBf16Bits,
  floatToF16Bits,
  parse,
  writeSafetensors,
} from '../../../src/engine/model/safetensors';

/** A .safetensors file from a raw header object (anything JSON) and a data section. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLen ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectThrow(fn: () => unknown, cls: new (...a: never[]) => DropLabError, ...parts: string[]): DropLabError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(cls);
  for (const p of parts) expect((err as Error).message).toContain(p);
  return err as DropLabError;
}

describe('float16 / bfloat16 bit conversions', () => {
  it('decodes known float16 bit patterns', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) expect(f16BitsToFloat(bits)).toBe(value);
    expect(Object.is(f16BitsToFloat(0x8000), -0)).toBe(true);
    expect(f16BitsToFloat(0x7e00)).toBeNaN();
    expect(f16BitsToFloat(0xfd01)).toBeNaN();
  });

  it('encodes float16 with round-to-nearest-even, overflow to inf, subnormals and NaN', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00], // halfway to the next power: ties to even = inf
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // tie, even stays
      [1 + 3 * 2 ** -11, 0x3c02], // tie, odd rounds up
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: even
      [2 ** -25 * 1.5, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal ulps: even
      [1023 * 2 ** -24, 0x03ff],
      [1023.5 * 2 ** -24, 0x0400], // rounds from the largest subnormal into the smallest normal
      [1e-10, 0x0000],
      [-1e-10, 0x8000],
    ];
    for (const [value, bits] of cases) expect(floatToF16Bits(value), `f16(${value})`).toBe(bits);
    expect(floatToF16Bits(-0)).toBe(0x8000);
    expect(floatToF16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToF16Bits(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every float16 bit pattern', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16BitsToFloat(h);
      if (Number.isNaN(x)) expect(Number.isNaN(f16BitsToFloat(floatToF16Bits(x)))).toBe(true);
      else expect(floatToF16Bits(x)).toBe(h);
    }
  });

  it('converts known bfloat16 bit patterns both ways', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc000, -2],
      [0x7f7f, 3.3895313892515355e38],
      [0x0001, 2 ** -133], // smallest subnormal
      [0x0080, 2 ** -126], // smallest normal
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    for (const [bits, value] of cases) {
      expect(bf16BitsToFloat(bits)).toBe(value);
      expect(floatToBf16Bits(value)).toBe(bits);
    }
    expect(bf16BitsToFloat(0x7fc0)).toBeNaN();
    expect(floatToBf16Bits(Number.NaN)).toBe(0x7fc0);
    expect(floatToBf16Bits(-0)).toBe(0x8000);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even stays
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, odd rounds up
    expect(floatToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(floatToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds to inf
  });

  it('round-trips every bfloat16 bit pattern', () => {
    for (let h = 0; h < 65536; h++) {
      const x = bf16BitsToFloat(h);
      if (Number.isNaN(x)) expect(Number.isNaN(bf16BitsToFloat(floatToBf16Bits(x)))).toBe(true);
      else expect(floatToBf16Bits(x)).toBe(h);
    }
  });
});

describe('writeSafetensors + parse', () => {
  const values = Float32Array.from([0, 1, -2, 0.1, 1 / 3, 65504, 1e-7, -1e-5, Infinity, -Infinity, Number.NaN, 3e38]);

  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`round-trips ${dtype}`, () => {
      const file = writeSafetensors([{ name: 'w', dtype, shape: [3, 4], data: values }], { format: 'pt' });
      const { tensors, metadata, dataStart } = parse(file, 'x.safetensors');
      expect(metadata).toEqual({ format: 'pt' });
      expect(dataStart % 8).toBe(0);
      const t = tensors.get('w');
      expect(t?.dtype).toBe(dtype);
      expect(t?.shape).toEqual([3, 4]);
      expect(t?.bytes.byteLength).toBe(12 * DTYPE_SIZE[dtype]);
      expect(t?.bytes.buffer).toBe(file.buffer); // a view, no copy
      const back = decodeToFloat32(t as NonNullable<typeof t>);
      const round =
        dtype === 'F32'
          ? (x: number) => Math.fround(x)
          : dtype === 'F16'
            ? (x: number) => f16BitsToFloat(floatToF16Bits(x))
            : (x: number) => bf16BitsToFloat(floatToBf16Bits(x));
      values.forEach((v, i) => {
        if (Number.isNaN(v)) expect(back[i]).toBeNaN();
        else expect(back[i]).toBe(round(v));
      });
    });
  }

  it('pads the header with spaces to 8 bytes and keeps mixed dtypes aligned', () => {
    const file = writeSafetensors([
      { name: 'half', dtype: 'F16', shape: [3], data: Float32Array.from([1, 2, 3]) },
      { name: 'full', dtype: 'F32', shape: [2], data: Float32Array.from([4, 5]) },
      { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      { name: 'scalar', dtype: 'BF16', shape: [], data: Float32Array.from([7]) },
    ]);
    const n = new DataView(file.buffer).getUint32(0, true);
    expect((8 + n) % 8).toBe(0);
    const header = new TextDecoder().decode(file.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(header.trimEnd().trim());
    expect(/^\{.*\} *$/s.test(header)).toBe(true);
    const { tensors } = parse(file);
    for (const [name, t] of tensors) expect(t.bytes.byteOffset % DTYPE_SIZE[t.dtype], name).toBe(0);
    expect([...decodeToFloat32(tensors.get('half') as never)]).toEqual([1, 2, 3]);
    expect([...decodeToFloat32(tensors.get('full') as never)]).toEqual([4, 5]);
    expect(decodeToFloat32(tensors.get('empty') as never).length).toBe(0);
    expect(tensors.get('scalar')?.shape).toEqual([]);
    expect([...decodeToFloat32(tensors.get('scalar') as never)]).toEqual([7]);
  });

  it('writes pre-encoded bytes as they are (lossless copy on export)', () => {
    const src = parse(writeSafetensors([{ name: 'a', dtype: 'BF16', shape: [2], data: Float32Array.from([1.5, -3]) }]));
    const a = src.tensors.get('a') as NonNullable<ReturnType<typeof src.tensors.get>>;
    const copy = parse(writeSafetensors([{ name: 'a', dtype: a.dtype, shape: a.shape, data: a.bytes }]));
    expect([...(copy.tensors.get('a')?.bytes ?? [])]).toEqual([...a.bytes]);
  });

  it('decodes unaligned views by copying', () => {
    for (const [dtype, size] of [
      ['F32', 4],
      ['F16', 2],
      ['BF16', 2],
    ] as const) {
      const file = writeSafetensors([{ name: 'w', dtype, shape: [3], data: Float32Array.from([1.5, -2.25, 8]) }]);
      const bytes = parse(file).tensors.get('w')?.bytes as Uint8Array;
      const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
      shifted.set(bytes);
      expect(shifted.byteOffset % size).not.toBe(0);
      expect([...decodeToFloat32({ dtype, bytes: shifted })]).toEqual([1.5, -2.25, 8]);
    }
  });

  it('decodes F64 and refuses integer dtypes as weights', () => {
    const bytes = new Uint8Array(Float64Array.from([0.5, -4]).buffer);
    expect([...decodeToFloat32({ dtype: 'F64', bytes })]).toEqual([0.5, -4]);
    expectThrow(() => decodeToFloat32({ dtype: 'I64', bytes }, 'tensor "ids"'), SafetensorsDtypeError, 'I64', 'ids');
  });

  it('parses a header with holes between tensors and keeps header order', () => {
    const file = rawFile(
      { b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] }, a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } },
      new Uint8Array([1, 2, 0, 0, 3, 4]),
    );
    const { tensors } = parse(file);
    expect([...tensors.keys()]).toEqual(['b', 'a']);
    expect([...(tensors.get('b')?.bytes ?? [])]).toEqual([3, 4]);
  });
});

describe('parse: bad files, each with its own error', () => {
  const good = () =>
    writeSafetensors([{ name: 'layer.weight', dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }]);

  it('file shorter than 8 bytes -> SafetensorsTruncatedError', () => {
    expectThrow(
      () => parse(new Uint8Array(5), 'model.safetensors'),
      SafetensorsTruncatedError,
      'model.safetensors',
      'truncated',
    );
  });

  it('file cut inside its header -> SafetensorsTruncatedError', () => {
    const f = good();
    expectThrow(
      () => parse(f.subarray(0, 20), 'shard.safetensors'),
      SafetensorsTruncatedError,
      'shard.safetensors',
      'truncated',
    );
  });

  it('header length past the end of the file (not a safetensors header) -> SafetensorsHeaderError', () => {
    const f = new Uint8Array(64);
    new DataView(f.buffer).setUint32(0, 1000, true);
    f.set(new TextEncoder().encode('not a header'), 8);
    expectThrow(() => parse(f, 'weird.safetensors'), SafetensorsHeaderError, 'weird.safetensors', 'past the end');
  });

  it('header over 100 MB -> SafetensorsHeaderError (even before reading it)', () => {
    const f = rawFile({}, new Uint8Array(0), 100_000_001);
    expectThrow(() => parse(f, 'big.safetensors'), SafetensorsHeaderError, 'big.safetensors', '100 MB');
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0, 0, 0, 0]); // a renamed PyTorch zip
    expectThrow(() => parse(zip, 'pytorch.safetensors'), SafetensorsHeaderError, 'pytorch.safetensors');
  });

  it('header not JSON -> SafetensorsHeaderError', () => {
    expectThrow(
      () => parse(rawFile('{"a": [1, 2'), 'bad.safetensors'),
      SafetensorsHeaderError,
      'bad.safetensors',
      'not JSON',
    );
    expectThrow(() => parse(rawFile(new Uint8Array([0x7b, 0xff, 0xfe])), 'bin.safetensors'), SafetensorsHeaderError);
  });

  it('header JSON but not an object -> SafetensorsHeaderError', () => {
    expectThrow(
      () => parse(rawFile([1, 2, 3]), 'arr.safetensors'),
      SafetensorsHeaderError,
      'arr.safetensors',
      'not a JSON object',
    );
    expectThrow(() => parse(rawFile({ t: [1] }), 'ent.safetensors'), SafetensorsHeaderError, '"t"');
    expectThrow(
      () => parse(rawFile({ __metadata__: { a: 1 } }), 'meta.safetensors'),
      SafetensorsHeaderError,
      '__metadata__',
    );
    expectThrow(
      () => parse(rawFile({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), 's.safetensors'),
      SafetensorsHeaderError,
      '"t"',
      'shape',
    );
  });

  it('unknown dtype -> SafetensorsDtypeError naming file and tensor', () => {
    const f = rawFile({ 'model.norm.weight': { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    const e = expectThrow(
      () => parse(f, 'dt.safetensors'),
      SafetensorsDtypeError,
      'dt.safetensors',
      'model.norm.weight',
      'F17',
    );
    expect(e.code).toBe('SAFETENSORS_DTYPE');
  });

  it('tensor range outside the data section -> SafetensorsRangeError naming file and tensor', () => {
    const f = rawFile({ 'lm_head.weight': { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8));
    expectThrow(
      () => parse(f, 'r.safetensors'),
      SafetensorsRangeError,
      'r.safetensors',
      'lm_head.weight',
      'truncated?',
    );
    const g = rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, new Uint8Array(8));
    expectThrow(() => parse(g, 'r2.safetensors'), SafetensorsRangeError, '"w"');
    const h = rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(8));
    expectThrow(() => parse(h, 'r3.safetensors'), SafetensorsRangeError, '"w"');
  });

  it('data cut short (file truncated inside the data) -> SafetensorsRangeError that says so', () => {
    const f = good();
    expectThrow(
      () => parse(f.subarray(0, f.length - 3), 'cut.safetensors'),
      SafetensorsRangeError,
      'cut.safetensors',
      'layer.weight',
      'truncated?',
    );
  });

  it('range not matching dtype x shape -> SafetensorsRangeError', () => {
    const f = rawFile({ 'q.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, new Uint8Array(12));
    expectThrow(
      () => parse(f, 'n.safetensors'),
      SafetensorsRangeError,
      'n.safetensors',
      'q.weight',
      'needs 12 bytes',
      'hold 8',
    );
  });

  it('overlapping ranges -> SafetensorsRangeError naming both tensors', () => {
    const f = rawFile(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    expectThrow(() => parse(f, 'o.safetensors'), SafetensorsRangeError, 'o.safetensors', '"a"', '"b"', 'overlap');
  });

  it('errors serialize with their code (they cross the worker boundary)', () => {
    const e = expectThrow(() => parse(new Uint8Array(3), 'm.safetensors'), SafetensorsTruncatedError);
    expect(e.toJSON()).toMatchObject({ name: 'SafetensorsTruncatedError', code: 'SAFETENSORS_TRUNCATED' });
  });
});
