/**
 * Every GraphBuilder op family against a direct float64 computation, on onnxruntime-node and on
 * onnxruntime-web's wasm backend. All cases are outputs of one graph, run once per runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from '../../../src/engine/onnx/builder';
import {
  type Fetched,
  RUNTIMES,
  f32,
  i64,
  maxAbsDiff,
  measured,
  randn,
  record,
  rng,
  runModel,
} from '../../support/runtimes';

type Idx = number[];
const size = (dims: Idx) => dims.reduce((a, b) => a * b, 1);
/** Row-major array of `dims` whose element at index ix is f(ix). */
function gen(dims: Idx, f: (ix: Idx) => number): number[] {
  const out: number[] = [];
  const ix = dims.map(() => 0);
  for (let n = 0; n < size(dims); n++) {
    out.push(f(ix.slice()));
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++ix[k] < dims[k]) break;
      ix[k] = 0;
    }
  }
  return out;
}
const at = (data: ArrayLike<number>, dims: Idx, ix: Idx) => data[ix.reduce((o, v, k) => o * dims[k] + v, 0)];

const r = rng(42);
const XD = [2, 3, 4];
const X = Array.from(randn(r, 24, 2)); // [-2, 2)
const Y = Array.from(randn(r, 24, 1)).map((v) => v + 1.5); // positive
const W4 = Array.from(randn(r, 4, 1)); // [4]
const IDS = [3, 0, 2, 1, 1, 3]; // int64 [2,3] values < 4

interface Case {
  name: string;
  build: (b: GraphBuilder, x: Value, y: Value, w: Value, ids: Value) => Value;
  dims: Idx;
  expected: () => number[];
  tol?: number;
}

const xe = (ix: Idx) => at(X, XD, ix);
const ye = (ix: Idx) => at(Y, XD, ix);
const lastAxis = (f: (row: number[]) => number[]) => {
  const out: number[] = [];
  for (let i = 0; i < 6; i++) out.push(...f(X.slice(i * 4, i * 4 + 4)));
  return out;
};
const softmaxRow = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};
const erf = (x: number) => {
  // Taylor series, fine for |x| <= 3 in float64
  let s = 0;
  let t = x;
  for (let n = 0; n < 100; n++) {
    s += t / (2 * n + 1);
    t *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
};

const CASES: Case[] = [
  // arithmetic with broadcasting and number operands
  {
    name: 'Add broadcast [2,3,4]+[4]',
    build: (b, x, _y, w) => b.add(x, w),
    dims: XD,
    expected: () => gen(XD, (ix) => xe(ix) + W4[ix[2]]),
  },
  { name: 'Sub number', build: (b, x) => b.sub(1, x), dims: XD, expected: () => X.map((v) => 1 - v) },
  { name: 'Mul', build: (b, x, y) => b.mul(x, y), dims: XD, expected: () => X.map((v, i) => v * Y[i]) },
  { name: 'Div', build: (b, x, y) => b.div(x, y), dims: XD, expected: () => X.map((v, i) => v / Y[i]) },
  { name: 'Pow 2', build: (b, x) => b.pow(x, 2), dims: XD, expected: () => X.map((v) => v * v) },
  { name: 'Pow 0.5', build: (b, _x, y) => b.pow(y, 0.5), dims: XD, expected: () => Y.map(Math.sqrt) },
  {
    name: 'Max/Min',
    build: (b, x) => b.min(b.max(x, -0.5), 0.5),
    dims: XD,
    expected: () => X.map((v) => Math.min(Math.max(v, -0.5), 0.5)),
  },
  // unary math
  { name: 'Sqrt', build: (b, _x, y) => b.sqrt(y), dims: XD, expected: () => Y.map(Math.sqrt) },
  { name: 'Reciprocal', build: (b, _x, y) => b.reciprocal(y), dims: XD, expected: () => Y.map((v) => 1 / v) },
  { name: 'Neg', build: (b, x) => b.neg(x), dims: XD, expected: () => X.map((v) => -v) },
  { name: 'Abs', build: (b, x) => b.abs(x), dims: XD, expected: () => X.map(Math.abs) },
  { name: 'Exp', build: (b, x) => b.exp(x), dims: XD, expected: () => X.map(Math.exp) },
  { name: 'Log', build: (b, _x, y) => b.log(y), dims: XD, expected: () => Y.map(Math.log) },
  { name: 'Tanh', build: (b, x) => b.tanh(x), dims: XD, expected: () => X.map(Math.tanh) },
  { name: 'Erf', build: (b, x) => b.erf(x), dims: XD, expected: () => X.map(erf) },
  { name: 'Sigmoid', build: (b, x) => b.sigmoid(x), dims: XD, expected: () => X.map((v) => 1 / (1 + Math.exp(-v))) },
  {
    name: 'Cos/Sin',
    build: (b, x) => b.add(b.cos(x), b.mul(b.sin(x), 2)),
    dims: XD,
    expected: () => X.map((v) => Math.cos(v) + 2 * Math.sin(v)),
  },
  { name: 'Identity', build: (b, x) => b.identity(x), dims: XD, expected: () => X },
  // comparison, selection, cast
  {
    name: 'Less/Greater/Equal/LessOrEqual/Or/And/Not + Where',
    build: (b, x, y) => {
      const c1 = b.or(b.less(x, 0), b.greater(x, 1));
      const c2 = b.and(b.not(b.equal(x, y)), b.lessOrEqual(y, 1.5));
      return b.add(b.where(c1, x, 10), b.where(c2, 100, 0));
    },
    dims: XD,
    expected: () => X.map((v, i) => (v < 0 || v > 1 ? v : 10) + (v !== Y[i] && Y[i] <= Math.fround(1.5) ? 100 : 0)),
  },
  {
    name: 'Cast int64 -> float32',
    build: (b, _x, _y, _w, ids) => b.cast(ids, 'float32'),
    dims: [2, 3],
    expected: () => IDS,
  },
  // softmax family and reductions
  { name: 'Softmax -1', build: (b, x) => b.softmax(x, -1), dims: XD, expected: () => lastAxis(softmaxRow) },
  {
    name: 'LogSoftmax -1',
    build: (b, x) => b.logSoftmax(x, -1),
    dims: XD,
    expected: () => lastAxis((row) => softmaxRow(row).map(Math.log)),
  },
  {
    name: 'ReduceMean [-1] keepdims',
    build: (b, x) => b.reduceMean(x, [-1]),
    dims: [2, 3, 1],
    expected: () => lastAxis((row) => [row.reduce((a, v) => a + v, 0) / 4]),
  },
  {
    name: 'ReduceSum [1] (axes input)',
    build: (b, x) => b.reduceSum(x, [1], false),
    dims: [2, 4],
    expected: () => gen([2, 4], ([i, k]) => [0, 1, 2].reduce((s, j) => s + xe([i, j, k]), 0)),
  },
  {
    name: 'ReduceMax [-1]',
    build: (b, x) => b.reduceMax(x, [-1], false),
    dims: [2, 3],
    expected: () => lastAxis((row) => [Math.max(...row)]),
  },
  {
    name: 'ReduceMin [0,2]',
    build: (b, x) => b.reduceMin(x, [0, 2], false),
    dims: [3],
    expected: () => [0, 1, 2].map((j) => Math.min(...gen([2, 4], ([i, k]) => xe([i, j, k])))),
  },
  {
    name: 'ReduceLogSumExp [-1]',
    build: (b, x) => b.reduceLogSumExp(x, [-1], false),
    dims: [2, 3],
    expected: () => lastAxis((row) => [Math.log(row.reduce((a, v) => a + Math.exp(v), 0))]),
  },
  {
    name: 'ReduceSumSquare [-1]',
    build: (b, x) => b.reduceSumSquare(x, [-1], false),
    dims: [2, 3],
    expected: () => lastAxis((row) => [row.reduce((a, v) => a + v * v, 0)]),
  },
  {
    name: 'ArgMax -1',
    build: (b, x) => b.cast(b.argMax(x, -1), 'float32'),
    dims: [2, 3],
    expected: () => lastAxis((row) => [row.indexOf(Math.max(...row))]),
  },
  // shapes
  { name: 'Reshape [0,-1]', build: (b, x) => b.reshape(x, [0, -1]), dims: [2, 12], expected: () => X },
  {
    name: 'Transpose [2,0,1]',
    build: (b, x) => b.transpose(x, [2, 0, 1]),
    dims: [4, 2, 3],
    expected: () => gen([4, 2, 3], ([k, i, j]) => xe([i, j, k])),
  },
  {
    name: 'Unsqueeze [1] + Squeeze [1]',
    build: (b, x) => b.squeeze(b.unsqueeze(x, [1]), [1]),
    dims: XD,
    expected: () => X,
  },
  { name: 'Unsqueeze [-1]', build: (b, x) => b.unsqueeze(x, [-1]), dims: [2, 3, 4, 1], expected: () => X },
  {
    name: 'Concat axis 1',
    build: (b, x, y) => b.concat([x, y], 1),
    dims: [2, 6, 4],
    expected: () => gen([2, 6, 4], ([i, j, k]) => (j < 3 ? xe([i, j, k]) : ye([i, j - 3, k]))),
  },
  {
    name: 'Slice with axes and steps',
    build: (b, x) => b.slice(x, [3, 0], [-100, 10], [2, 1], [-2, 2]),
    dims: [2, 2, 2],
    expected: () => gen([2, 2, 2], ([i, j, k]) => xe([i, j * 2, 3 - 2 * k])),
  },
  {
    name: 'Slice negative start, default axes',
    build: (b, x) => b.slice(x, [-1], [Number.MAX_SAFE_INTEGER]),
    dims: [1, 3, 4],
    expected: () => X.slice(12),
  },
  {
    name: 'Split [1,3] axis -1',
    build: (b, x) => {
      const [p, q] = b.split(x, [1, 3], -1);
      return b.concat([q, p], -1);
    },
    dims: XD,
    expected: () => gen(XD, ([i, j, k]) => xe([i, j, k < 3 ? k + 1 : 0])),
  },
  {
    name: 'Gather axis 0 by ids [2,3]',
    build: (b, _x, y, _w, ids) => b.gather(b.reshape(y, [-1, 6]), ids, 0),
    dims: [2, 3, 6],
    expected: () => gen([2, 3, 6], ([i, j, k]) => Y[IDS[i * 3 + j] * 6 + k]),
  },
  {
    name: 'Gather scalar index axis 1',
    build: (b, x) => b.gather(x, 2, 1),
    dims: [2, 4],
    expected: () => gen([2, 4], ([i, k]) => xe([i, 2, k])),
  },
  {
    name: 'GatherElements axis -1',
    build: (b, x, _y, _w, ids) => b.gatherElements(x, b.unsqueeze(ids, [-1]), -1),
    dims: [2, 3, 1],
    expected: () => gen([2, 3, 1], ([i, j]) => xe([i, j, IDS[i * 3 + j]])),
  },
  {
    name: 'Expand [4] -> [2,3,4]',
    build: (b, _x, _y, w) => b.expand(w, [2, 3, 4]),
    dims: XD,
    expected: () => gen(XD, ([, , k]) => W4[k]),
  },
  {
    name: 'Tile [1,2,1]',
    build: (b, x) => b.tile(x, [1, 2, 1]),
    dims: [2, 6, 4],
    expected: () => gen([2, 6, 4], ([i, j, k]) => xe([i, j % 3, k])),
  },
  {
    name: 'Shape / dim / Range',
    build: (b, x) => b.cast(b.range(0, b.mul(b.dim(x, 1), 2), 1), 'float32'),
    dims: [6],
    expected: () => [0, 1, 2, 3, 4, 5],
  },
  { name: 'Shape start..end', build: (b, x) => b.cast(b.shape(x, 1, 3), 'float32'), dims: [2], expected: () => [3, 4] },
  {
    name: 'Range float',
    build: (b) => b.range(b.f32(0.5), b.f32(2.5), b.f32(0.5)),
    dims: [4],
    expected: () => [0.5, 1, 1.5, 2],
  },
  {
    name: 'Trilu upper',
    build: (b, x) => b.trilu(x, true),
    dims: XD,
    expected: () => gen(XD, ([i, j, k]) => (k >= j ? xe([i, j, k]) : 0)),
  },
  {
    name: 'Trilu lower k=1',
    build: (b, x) => b.trilu(x, false, 1),
    dims: XD,
    expected: () => gen(XD, ([i, j, k]) => (k <= j + 1 ? xe([i, j, k]) : 0)),
  },
  {
    name: 'ConstantOfShape',
    build: (b, x) => b.constantOfShape(b.shape(x), 0.25),
    dims: XD,
    expected: () => X.map(() => 0.25),
  },
  // linear algebra and norms
  {
    name: 'MatMul [2,3,4]@[4,3] and batched [2,3,4]@[2,4,3]',
    build: (b, x, y) =>
      b.add(b.matmul(x, b.reshape(b.slice(y, [0], [1]), [4, 3])), b.matmul(x, b.transpose(y, [0, 2, 1]))),
    dims: [2, 3, 3],
    expected: () =>
      gen([2, 3, 3], ([i, j, c]) => {
        let s = 0;
        for (let k = 0; k < 4; k++) s += xe([i, j, k]) * Y[k * 3 + c] + xe([i, j, k]) * ye([i, c, k]);
        return s;
      }),
  },
  {
    name: 'Gemm transB + C, alpha, beta',
    build: (b, x, y, w) =>
      b.gemm(b.reshape(x, [6, 4]), b.reshape(y, [6, 4]), b.slice(w, [0], [1]), { transB: true, alpha: 0.5, beta: 2 }),
    dims: [6, 6],
    expected: () =>
      gen([6, 6], ([m, n]) => {
        let s = 0;
        for (let k = 0; k < 4; k++) s += X[m * 4 + k] * Y[n * 4 + k];
        return 0.5 * s + 2 * W4[0];
      }),
  },
  {
    name: 'LayerNormalization (opset 17)',
    build: (b, x, _y, w) => b.layerNormalization(x, w, b.f32([0.1, 0.2, 0.3, 0.4]), 1e-5),
    dims: XD,
    expected: () =>
      lastAxis((row) => {
        const mu = row.reduce((a, v) => a + v, 0) / 4;
        const v = row.reduce((a, t) => a + (t - mu) ** 2, 0) / 4;
        return row.map((t, k) => ((t - mu) / Math.sqrt(v + 1e-5)) * W4[k] + [0.1, 0.2, 0.3, 0.4][k]);
      }),
  },
];

function buildAll(): Uint8Array {
  const b = new GraphBuilder('ops');
  const x = b.input('x', 'float32', XD);
  const y = b.input('y', 'float32', XD);
  const w = b.input('w', 'float32', [4]);
  const ids = b.input('ids', 'int64', [2, 3]);
  CASES.forEach((c, i) => {
    b.output(c.build(b, x, y, w, ids), `out${i}`);
  });
  return b.build();
}

for (const rt of RUNTIMES) {
  describe(`ops on ${rt.name}`, () => {
    let out: Record<string, Fetched>;
    beforeAll(async () => {
      out = await runModel(rt, buildAll(), { x: f32(X, XD), y: f32(Y, XD), w: f32(W4, [4]), ids: i64(IDS, [2, 3]) });
    });
    CASES.forEach((c, i) => {
      it(c.name, () => {
        const o = out[`out${i}`];
        expect(o.dims).toEqual(c.dims);
        const d = record(`op ${c.name}`, maxAbsDiff(o.data as Float32Array, c.expected()));
        expect(d).toBeLessThan(c.tol ?? 2e-6 * Math.max(1, ...c.expected().map(Math.abs)));
      });
    });
  });
}

describe.each(RUNTIMES)('MatMulNBits (com.microsoft) on $name', (rt) => {
  it('4-bit, block 32, symmetric: A @ dequant(B)^T', async () => {
    const K = 64;
    const N = 3;
    const block = 32;
    const nBlocks = K / block;
    const rr = rng(5);
    const q = Array.from({ length: N * K }, () => Math.floor(rr() * 16)); // 0..15, zero point 8
    const scales = Array.from({ length: N * nBlocks }, () => 0.01 + rr() * 0.1);
    const packed = new Uint8Array(N * nBlocks * (block / 2));
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k += 2) packed[(n * K + k) / 2] = q[n * K + k] | (q[n * K + k + 1] << 4); // low nibble first
    const A = Array.from(randn(rr, 2 * K, 1));
    const b = new GraphBuilder('nbits');
    const a = b.input('a', 'float32', [2, K]);
    const bq = b.initializer('bq', packed, [N, nBlocks, block / 2]);
    const sc = b.initializer('scales', Float32Array.from(scales), [N * nBlocks]);
    b.output(b.matMulNBits(a, bq, sc, { K, N, bits: 4, blockSize: block }), 'y');
    const o = await runModel(rt, b.build(), { a: f32(A, [2, K]) });
    const expected = gen([2, N], ([m, n]) => {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += Math.fround(A[m * K + k]) * (q[n * K + k] - 8) * Math.fround(scales[n * nBlocks + Math.floor(k / block)]);
      return s;
    });
    expect(o.y.dims).toEqual([2, N]);
    expect(record('op MatMulNBits', maxAbsDiff(o.y.data as Float32Array, expected))).toBeLessThan(1e-4);
  });
});

afterAll(() => {
  const worst = [...measured.entries()].filter(([k]) => k.startsWith('op ')).sort((a, b) => b[1] - a[1]);
  console.log(
    `ops: ${worst.length} families, largest max-abs diffs: ${worst
      .slice(0, 4)
      .map(([k, v]) => `${k}=${v.toExponential(2)}`)
      .join(', ')}`,
  );
});
