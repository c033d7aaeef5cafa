import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, toHalfBits } from '../../../src/engine/onnx/builder';
import { ProtoWriter, decodeModel, readFields, readVarint } from '../../../src/engine/onnx/proto';
import { RUNTIMES, f32, maxAbsDiff, runModel } from '../../support/runtimes';

describe('protobuf wire writer', () => {
  it('writes varints of every size, negative int64 as 10 bytes', () => {
    const cases: [number | bigint, number[]][] = [
      [0, [0]],
      [1, [1]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [300, [0xac, 0x02]],
      [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
      [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
      [-1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
      [-2n, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
      [2n ** 63n - 1n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    ];
    for (const [v, bytes] of cases) {
      const w = new ProtoWriter().varint(v).finish();
      expect(Array.from(w), `varint ${v}`).toEqual(bytes);
      const [back] = readVarint(w, 0);
      expect(BigInt.asIntN(64, back)).toBe(BigInt(v));
    }
  });

  it('nests length-delimited messages, packs repeated ints, keeps large payloads intact', () => {
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    const w = new ProtoWriter();
    w.string(1, 'héllo');
    w.message(2, (c) => {
      c.packedInts(1, [1, -1, 300]);
      c.bytes(9, big);
    });
    w.float32(3, 1.5);
    const bytes = w.finish();
    const fs = readFields(bytes);
    expect(fs.map((f) => f.field)).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(fs[0].value as Uint8Array)).toBe('héllo');
    const inner = readFields(fs[1].value as Uint8Array);
    expect(inner[0].field).toBe(1);
    const packed = inner[0].value as Uint8Array;
    const vals: bigint[] = [];
    for (let p = 0; p < packed.length; ) {
      const [v, np] = readVarint(packed, p);
      vals.push(BigInt.asIntN(64, v));
      p = np;
    }
    expect(vals).toEqual([1n, -1n, 300n]);
    expect(Array.from(inner[1].value as Uint8Array)).toEqual(Array.from(big));
    expect(
      new DataView((fs[2].value as Uint8Array).buffer, (fs[2].value as Uint8Array).byteOffset).getFloat32(0, true),
    ).toBe(1.5);
  });
});

function sampleGraph(): GraphBuilder {
  const b = new GraphBuilder('sample');
  const x = b.input('x', 'float32', ['batch_size', 'sequence_length', 4]);
  const w = b.initializer(
    'w',
    new Float32Array(4 * 3).map((_, i) => i / 10),
    [4, 3],
  );
  const h = b.scope('layer', () => b.matmul(x, w)); // [B,T,3]
  const r = b.reduceMean(h, [-1], false); // [B,T]
  b.output(h, 'h', ['batch_size', 'sequence_length', 3]);
  b.output(r, 'r', ['batch_size', 'sequence_length']);
  return b;
}

describe('ONNX model encoding', () => {
  it('decodes back: opset, producer, nodes, initializers, I/O with symbolic dims', () => {
    const m = decodeModel(sampleGraph().build());
    expect(m.irVersion).toBe(8);
    expect(m.producerName).toBe('droplab');
    expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['MatMul', 'ReduceMean', 'Identity', 'Identity']);
    expect(m.graph.nodes[0].name).toMatch(/^layer\//);
    expect(m.graph.nodes[1].attributes.axes.ints).toEqual([-1]);
    expect(m.graph.nodes[1].attributes.keepdims.i).toBe(0);
    expect(m.graph.initializers.map((t) => [t.name, t.type, t.dims])).toEqual([['w', 'float32', [4, 3]]]);
    expect(m.graph.inputs).toEqual([
      { name: 'x', elemType: 1, type: 'float32', shape: ['batch_size', 'sequence_length', 4] },
    ]);
    expect(m.graph.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['h', ['batch_size', 'sequence_length', 3]],
      ['r', ['batch_size', 'sequence_length']],
    ]);
  });

  it('adds the com.microsoft opset only when a contrib op is used', () => {
    const b = new GraphBuilder('q');
    const a = b.input('a', 'float32', [1, 32]);
    const q = b.initializer('q', new Uint8Array(4 * 16), [4, 1, 16]);
    const s = b.initializer('s', new Float32Array(4), [4]);
    b.output(b.matMulNBits(a, q, s, { K: 32, N: 4, bits: 4, blockSize: 32 }), 'y');
    const m = decodeModel(b.build());
    expect(m.opsets).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    const n = m.graph.nodes[0];
    expect([
      n.opType,
      n.domain,
      n.attributes.K.i,
      n.attributes.N.i,
      n.attributes.bits.i,
      n.attributes.block_size.i,
    ]).toEqual(['MatMulNBits', 'com.microsoft', 32, 4, 4, 32]);
  });

  it('rejects undefined inputs, duplicate names and mismatched operand types', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [2]);
    expect(() => b.add(x, { name: 'nope', type: 'float32' })).toThrow(/not defined/);
    expect(() => b.input('x', 'float32', [2])).toThrow(/already used/);
    const i = b.input('i', 'int64', [2]);
    expect(() => b.add(x, i)).toThrow(/differ in type/);
    expect(() => b.initializer('w', new Float32Array(3), [2, 2])).toThrow(/bytes/);
  });

  it('writes external data: data_location EXTERNAL with location/offset/length, aligned', () => {
    const b = new GraphBuilder('ext');
    const x = b.input('x', 'float32', [1, 512]);
    const w1 = b.initializer('w1', new Float32Array(512).fill(0.5), [512]);
    const w2 = b.initializer('w2', new Float32Array(300).fill(2), [300]);
    const small = b.initializer('small', new Float32Array([3]), [1]);
    b.output(b.add(b.mul(x, w1), b.add(b.reduceSum(w2, [0], true), small)), 'y');
    const built = b.buildWithExternalData({ location: 'model.onnx_data', minBytes: 1024, align: 4096 });
    const m = decodeModel(built.model);
    const byName = Object.fromEntries(m.graph.initializers.map((t) => [t.name, t]));
    expect(byName.w1.external).toEqual({ location: 'model.onnx_data', offset: '0', length: '2048' });
    expect(byName.w2.external).toEqual({ location: 'model.onnx_data', offset: '4096', length: '1200' });
    expect(byName.w1.rawData).toBeNull();
    expect(byName.small.external).toBeNull();
    expect(byName.small.rawData?.length).toBe(4);
    expect(built.dataBytes).toBe(4096 + 1200);
    expect(built.data.reduce((s, c) => s + c.length, 0)).toBe(built.dataBytes);
  });
});

describe.each(RUNTIMES)('runs in $name', (rt) => {
  it('the sample graph with a dynamic batch and length', async () => {
    const xs = Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i));
    const out = await runModel(rt, sampleGraph().build(), { x: f32(xs, [2, 3, 4]) });
    expect(out.h.dims).toEqual([2, 3, 3]);
    expect(out.r.dims).toEqual([2, 3]);
    const W = Array.from({ length: 12 }, (_, i) => i / 10);
    const h: number[] = [];
    for (let r = 0; r < 6; r++)
      for (let c = 0; c < 3; c++) h.push([0, 1, 2, 3].reduce((s, k) => s + xs[r * 4 + k] * W[k * 3 + c], 0));
    expect(maxAbsDiff(out.h.data as Float32Array, h)).toBeLessThan(1e-6);
  });

  it('float16 initializers (Uint16Array bits)', async () => {
    const b = new GraphBuilder('f16');
    const vals = [0, 1, -2.5, 65504, 1e-4, 0.1, -0.333];
    const h = b.initializer('h', Uint16Array.from(vals, toHalfBits), [vals.length]);
    b.output(b.cast(h, 'float32'), 'y');
    const out = await runModel(rt, b.build(), {});
    // float16 has 11 significant bits: relative error <= 2^-11
    vals.forEach((v, i) => {
      expect(Math.abs((out.y.data as Float32Array)[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 1e-7);
    });
  });

  it('a model with external data', async () => {
    const b = new GraphBuilder('ext');
    const x = b.input('x', 'float32', [4, 300]);
    const w = b.initializer(
      'w',
      new Float32Array(300 * 2).map((_, i) => (i % 7) - 3),
      [300, 2],
    );
    b.output(b.matmul(x, w), 'y');
    const built = b.buildWithExternalData({ location: 'model.onnx_data', minBytes: 64, align: 4096 });
    const data = new Uint8Array(built.dataBytes);
    let o = 0;
    for (const c of built.data) {
      data.set(c, o);
      o += c.length;
    }
    const xs = Array.from({ length: 1200 }, (_, i) => (i % 5) / 5);
    const expected: number[] = [];
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 2; c++)
        expected.push(
          Array.from({ length: 300 }, (_, k) => xs[r * 300 + k] * (((k * 2 + c) % 7) - 3)).reduce((a, v) => a + v, 0),
        );
    let y: Float32Array;
    if (rt.ep === 'wasm') {
      const s = await rt.ort.InferenceSession.create(built.model, {
        executionProviders: ['wasm'],
        externalData: [{ path: 'model.onnx_data', data }],
      });
      y = (await s.run({ x: new rt.ort.Tensor('float32', Float32Array.from(xs), [4, 300]) })).y.data as Float32Array;
      await s.release();
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'droplab-ext-'));
      try {
        writeFileSync(join(dir, 'model.onnx'), built.model);
        writeFileSync(join(dir, 'model.onnx_data'), data);
        // onnxruntime-node reads external data next to a model file given by path
        const create = rt.ort.InferenceSession.create as unknown as (
          path: string,
        ) => Promise<{ run(f: unknown): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }>;
        const s = await create.call(rt.ort.InferenceSession, join(dir, 'model.onnx'));
        y = (await s.run({ x: new rt.ort.Tensor('float32', Float32Array.from(xs), [4, 300]) })).y.data;
        await s.release();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-3);
  });
});
