/**
 * GraphBuilder: a typed builder for ONNX graphs. Every graph DropLab runs or exports is written with it.
 *
 * Opset decision: default domain opset 17 (IR version 8), plus 'com.microsoft' version 1 only when a
 * contrib op (MatMulNBits) is used. 17 is the newest opset that onnxruntime-web's WebGPU and wasm
 * backends and transformers.js exports all cover well, and it has LayerNormalization. What opset 17
 * means for the op signatures below:
 *   - ReduceMean / ReduceMax / ReduceMin / ReduceLogSumExp / ReduceSumSquare take `axes` as an ATTRIBUTE;
 *   - ReduceSum (since 13), Unsqueeze / Squeeze (since 13), Split sizes (since 13), Slice starts/ends/
 *     axes/steps and Reshape / Expand shapes are INPUTS (int64 constants, added here as initializers);
 *   - Shape has start/end attributes (since 15);
 *   - no Gelu op (20) and no num_outputs on Split (18): activations are written out.
 * The builder hides these differences: every method takes plain number arrays for axes and shapes.
 *
 * Values are handles: a unique name, an element type and, where known, a static shape. The builder
 * checks element types where an op requires them to agree, names everything uniquely (scoped names make
 * ORT's error messages point at "layers.3.attn/MatMul_12"), and checks at build() that every node input
 * is defined before use.
 *
 * Plain TypeScript: no DOM, no Node builtins.
 */
import {
  type AttrValue,
  type Dim,
  type ElemType,
  type ExternalRef,
  type ModelData,
  type NodeData,
  type TensorData,
  type ValueInfoData,
  elemSize,
  elemTypeCode,
  encodeModel,
} from './proto';

export type { Dim, ElemType } from './proto';

export const OPSET = 17;
export const IR_VERSION = 8;
export const MS_DOMAIN = 'com.microsoft';
export const PRODUCER = 'droplab';

/** A value in the graph. */
export interface Value {
  readonly name: string;
  readonly type: ElemType;
  readonly shape?: readonly Dim[];
}

/** A Value, or a number that becomes a scalar constant of the other operand's element type. */
export type Operand = Value | number;

export type TensorArray = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

/** Attribute constructors for `op()`. */
export const attr = {
  int: (value: number | bigint): AttrValue => ({ type: 'int', value }),
  float: (value: number): AttrValue => ({ type: 'float', value }),
  ints: (value: readonly (number | bigint)[]): AttrValue => ({ type: 'ints', value }),
  floats: (value: readonly number[]): AttrValue => ({ type: 'floats', value }),
  string: (value: string): AttrValue => ({ type: 'string', value }),
  tensor: (value: TensorData): AttrValue => ({ type: 'tensor', value }),
};

export interface ExternalDataOptions {
  /** File name of the data file, relative to the model file (the `location` entry). */
  location: string;
  /** Initializers smaller than this stay inside the model (default 1024 bytes). */
  minBytes?: number;
  /** Offsets of external tensors are multiples of this (default 4096, so runtimes can map pages). */
  align?: number;
}

export interface BuiltWithExternalData {
  model: Uint8Array;
  /** The data file, in order, as chunks (it may pass 2 GB: never joined here). */
  data: Uint8Array[];
  dataBytes: number;
}

/** One in-memory external data file as onnxruntime's `sessionOptions.externalData` takes it. */
export interface InMemoryExternalData {
  path: string;
  data: Uint8Array;
}

/** A model for a runtime: the ModelProto, and (when built apart) the weights as in-memory external data. */
export interface GraphBytes {
  model: Uint8Array;
  externalData?: InMemoryExternalData[];
}

const TYPED_TO_ELEM = (a: TensorArray): ElemType => {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint16Array) return 'float16';
  if (a instanceof Int8Array) return 'int8';
  return 'uint8';
};

const FLOATS: readonly ElemType[] = ['float32', 'float16'];
const bytesOf = (a: TensorArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const numel = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

export class GraphBuilder {
  readonly name: string;
  private nodes: NodeData[] = [];
  private inits: TensorData[] = [];
  private inputs: ValueInfoData[] = [];
  private outputs: ValueInfoData[] = [];
  private defined = new Set<string>();
  private counters = new Map<string, number>();
  private scopes: string[] = [];
  private constCache = new Map<string, Value>();
  private usesMs = false;
  docString?: string;
  metadata: Record<string, string> = {};

  constructor(name = 'droplab') {
    this.name = name;
  }

  // -- naming ----------------------------------------------------------------------------------

  /** Runs `fn` with `name` appended to the scope path used for node and value names. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A name not used before in this graph: "<scope>/<base>_<n>" (or "<base>_<n>" unscoped). */
  fresh(base: string, scoped = true): string {
    const prefix = scoped && this.scopes.length ? `${this.scopes.join('.')}/${base}` : base;
    let n = this.counters.get(prefix) ?? 0;
    let name: string;
    do name = `${prefix}_${n++}`;
    while (this.defined.has(name));
    this.counters.set(prefix, n);
    return name;
  }

  private define(name: string): void {
    if (this.defined.has(name))
      throw new Error(`GraphBuilder: the name "${name}" is already used in graph ${this.name}`);
    this.defined.add(name);
  }

  has(name: string): boolean {
    return this.defined.has(name);
  }

  // -- graph inputs, outputs, initializers, constants ---------------------------------------------

  input(name: string, type: ElemType, shape: readonly Dim[]): Value {
    this.define(name);
    this.inputs.push({ name, type, shape });
    return { name, type, shape };
  }

  /**
   * Declares `v` a graph output called `name` (default: its own name); an Identity is added when the
   * names differ. `shape` documents the output (symbolic dims as names), null = rank not stated.
   */
  output(v: Value, name: string = v.name, shape: readonly Dim[] | null = v.shape ?? null): Value {
    if (name !== v.name) this.node('Identity', [v], [v.type], {}, { outputNames: [name] });
    this.outputs.push({ name, type: v.type, shape });
    return { name, type: v.type, shape: shape ?? undefined };
  }

  /**
   * A named initializer. The typed array is kept by reference until build(): do not modify it.
   * Uint16Array is float16 bits; Uint8Array is uint8 unless `type` says 'bool'.
   */
  initializer(name: string, data: TensorArray, dims: readonly number[], type: ElemType = TYPED_TO_ELEM(data)): Value {
    const bytes = bytesOf(data);
    if (bytes.length !== numel(dims) * elemSize[type])
      throw new Error(
        `GraphBuilder: initializer ${name} has ${bytes.length} bytes, dims [${dims}] of ${type} need ${numel(dims) * elemSize[type]}`,
      );
    this.define(name);
    this.inits.push({ name, type, dims: [...dims], bytes });
    return { name, type, shape: [...dims] };
  }

  /** A constant (deduplicated). A number gives a 0-d scalar, an array a 1-D vector unless `dims` say otherwise. */
  constant(values: number | readonly number[], type: ElemType = 'float32', dims?: readonly number[]): Value {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    const key = `${type}|${shape.join(',')}|${list.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    let data: TensorArray;
    switch (type) {
      case 'float32':
        data = new Float32Array(list);
        break;
      case 'int64':
        data = BigInt64Array.from(list, (v) => BigInt(v));
        break;
      case 'int32':
        data = Int32Array.from(list);
        break;
      case 'uint8':
      case 'bool':
        data = Uint8Array.from(list);
        break;
      case 'int8':
        data = Int8Array.from(list);
        break;
      case 'float16':
        data = Uint16Array.from(list, toHalfBits);
        break;
    }
    const v = this.initializer(this.fresh(`const_${type}`, false), data, shape, type); // shared graph-wide: not scoped
    this.constCache.set(key, v);
    return v;
  }

  /** float32 constant: scalar for a number, vector for an array. */
  f32(v: number | readonly number[]): Value {
    return this.constant(v, 'float32');
  }

  /** int64 constant: scalar for a number, vector for an array. */
  i64(v: number | readonly number[]): Value {
    return this.constant(v, 'int64');
  }

  private operand(x: Operand, like: ElemType): Value {
    return typeof x === 'number' ? this.constant(x, like) : x;
  }

  private ints(x: readonly number[] | Value): Value {
    return Array.isArray(x) ? this.i64(x as readonly number[]) : (x as Value);
  }

  // -- generic node ------------------------------------------------------------------------------

  /**
   * Adds one node. `outTypes` gives the element type of each output. Inputs may be null for an
   * optional input left out.
   */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    outTypes: readonly ElemType[],
    attributes: Readonly<Record<string, AttrValue>> = {},
    opts: { domain?: string; outputNames?: readonly string[] } = {},
  ): Value[] {
    const domain = opts.domain ?? '';
    if (domain === MS_DOMAIN) this.usesMs = true;
    for (const i of inputs)
      if (i && !this.defined.has(i.name))
        throw new Error(`GraphBuilder: ${opType} input "${i.name}" is not defined in graph ${this.name}`);
    const outNames = outTypes.map(
      (_, k) => opts.outputNames?.[k] ?? this.fresh(`${opType}${outTypes.length > 1 ? `.${k}` : ''}`),
    );
    for (const n of outNames) this.define(n);
    this.nodes.push({
      opType,
      domain,
      name: this.fresh(`${opType}_node`),
      inputs: inputs.map((i) => (i ? i.name : '')),
      outputs: outNames,
      attributes,
    });
    return outNames.map((name, k) => ({ name, type: outTypes[k] }));
  }

  /** One-output node whose output type is the first input's type. */
  private unary(opType: string, x: Value, attributes: Readonly<Record<string, AttrValue>> = {}): Value {
    return this.node(opType, [x], [x.type], attributes)[0];
  }

  private binary(opType: string, a: Operand, b: Operand, outType?: ElemType): Value {
    if (typeof a === 'number' && typeof b === 'number')
      throw new Error(`GraphBuilder: ${opType} needs at least one Value operand`);
    const like = typeof a === 'number' ? (b as Value).type : a.type;
    const va = this.operand(a, like);
    const vb = this.operand(b, like);
    if (va.type !== vb.type)
      throw new Error(
        `GraphBuilder: ${opType} operands differ in type: ${va.name}:${va.type} vs ${vb.name}:${vb.type}`,
      );
    return this.node(opType, [va, vb], [outType ?? va.type])[0];
  }

  private requireFloat(opType: string, x: Value): void {
    if (!FLOATS.includes(x.type))
      throw new Error(`GraphBuilder: ${opType} needs a float input, got ${x.name}:${x.type}`);
  }

  // -- elementwise arithmetic -------------------------------------------------------------------

  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Value, exponent: Operand): Value {
    return this.binary('Pow', a, exponent);
  }
  /** Elementwise maximum of two values (broadcasting). */
  max(a: Operand, b: Operand): Value {
    return this.binary('Max', a, b);
  }
  min(a: Operand, b: Operand): Value {
    return this.binary('Min', a, b);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  reciprocal(x: Value): Value {
    return this.unary('Reciprocal', x);
  }
  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  abs(x: Value): Value {
    return this.unary('Abs', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  erf(x: Value): Value {
    return this.unary('Erf', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  cos(x: Value): Value {
    return this.unary('Cos', x);
  }
  sin(x: Value): Value {
    return this.unary('Sin', x);
  }
  identity(x: Value): Value {
    return this.unary('Identity', x);
  }

  // -- comparison and selection -----------------------------------------------------------------

  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b, 'bool');
  }
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b, 'bool');
  }
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b, 'bool');
  }
  lessOrEqual(a: Operand, b: Operand): Value {
    return this.binary('LessOrEqual', a, b, 'bool');
  }
  or(a: Value, b: Value): Value {
    return this.binary('Or', a, b, 'bool');
  }
  and(a: Value, b: Value): Value {
    return this.binary('And', a, b, 'bool');
  }
  not(x: Value): Value {
    return this.unary('Not', x);
  }

  /** cond ? a : b, elementwise with broadcasting. */
  where(cond: Value, a: Operand, b: Operand): Value {
    if (cond.type !== 'bool') throw new Error(`GraphBuilder: Where condition must be bool, got ${cond.type}`);
    const like = typeof a === 'number' ? (typeof b === 'number' ? 'float32' : b.type) : a.type;
    const va = this.operand(a, like);
    const vb = this.operand(b, like);
    if (va.type !== vb.type) throw new Error(`GraphBuilder: Where branches differ in type: ${va.type} vs ${vb.type}`);
    return this.node('Where', [cond, va, vb], [va.type])[0];
  }

  cast(x: Value, to: ElemType): Value {
    return this.node('Cast', [x], [to], { to: attr.int(dataTypeCode(to)) })[0];
  }

  // -- linear algebra ---------------------------------------------------------------------------

  /** numpy matmul: [..., n, k] @ [..., k, m] -> [..., n, m], batch dims broadcast. */
  matmul(a: Value, b: Value): Value {
    if (a.type !== b.type) throw new Error(`GraphBuilder: MatMul operands differ in type: ${a.type} vs ${b.type}`);
    return this.node('MatMul', [a, b], [a.type])[0];
  }

  /** Gemm: alpha * op(A) @ op(B) + beta * C, A and B 2-D. */
  gemm(
    a: Value,
    b: Value,
    c: Value | null = null,
    o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {},
  ): Value {
    const at: Record<string, AttrValue> = {};
    if (o.alpha !== undefined) at.alpha = attr.float(o.alpha);
    if (o.beta !== undefined) at.beta = attr.float(o.beta);
    if (o.transA) at.transA = attr.int(1);
    if (o.transB) at.transB = attr.int(1);
    return this.node('Gemm', c ? [a, b, c] : [a, b], [a.type], at)[0];
  }

  /**
   * com.microsoft MatMulNBits: A [..., K] @ dequant(B)^T where B is [N, ceil(K/block), block*bits/8]
   * uint8, scales [N * ceil(K/block)] of A's type, zero points optional (packed uint8). Bias stays a
   * separate Add (DESIGN §4).
   */
  matMulNBits(
    a: Value,
    bQuant: Value,
    scales: Value,
    o: { K: number; N: number; bits: number; blockSize: number; zeroPoints?: Value | null; accuracyLevel?: number },
  ): Value {
    const at: Record<string, AttrValue> = {
      K: attr.int(o.K),
      N: attr.int(o.N),
      bits: attr.int(o.bits),
      block_size: attr.int(o.blockSize),
    };
    if (o.accuracyLevel !== undefined) at.accuracy_level = attr.int(o.accuracyLevel);
    const inputs = o.zeroPoints ? [a, bQuant, scales, o.zeroPoints] : [a, bQuant, scales];
    return this.node('MatMulNBits', inputs, [a.type], at, { domain: MS_DOMAIN })[0];
  }

  // -- normalization, softmax ---------------------------------------------------------------------

  softmax(x: Value, axis = -1): Value {
    this.requireFloat('Softmax', x);
    return this.unary('Softmax', x, { axis: attr.int(axis) });
  }

  logSoftmax(x: Value, axis = -1): Value {
    this.requireFloat('LogSoftmax', x);
    return this.unary('LogSoftmax', x, { axis: attr.int(axis) });
  }

  /** LayerNormalization (opset 17) over the last axes from `axis`. */
  layerNormalization(x: Value, scale: Value, bias: Value | null, epsilon: number, axis = -1): Value {
    return this.node('LayerNormalization', bias ? [x, scale, bias] : [x, scale], [x.type], {
      axis: attr.int(axis),
      epsilon: attr.float(epsilon),
    })[0];
  }

  // -- reductions (axes attribute at opset 17, except ReduceSum) ----------------------------------

  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.unary('ReduceMean', x, { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reduceMax(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.unary('ReduceMax', x, { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reduceMin(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.unary('ReduceMin', x, { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reduceLogSumExp(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.unary('ReduceLogSumExp', x, { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reduceSumSquare(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.unary('ReduceSumSquare', x, { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }
  /** ReduceSum: axes are an input since opset 13. */
  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.node('ReduceSum', [x, this.i64(axes)], [x.type], { keepdims: attr.int(keepdims ? 1 : 0) })[0];
  }

  /** Index of the first maximum along `axis`, int64. */
  argMax(x: Value, axis = -1, keepdims = false): Value {
    return this.node('ArgMax', [x], ['int64'], { axis: attr.int(axis), keepdims: attr.int(keepdims ? 1 : 0) })[0];
  }

  // -- shapes -----------------------------------------------------------------------------------

  /** Reshape; 0 copies the input's dim at that index, -1 is inferred. */
  reshape(x: Value, shape: readonly number[] | Value): Value {
    return this.node('Reshape', [x, this.ints(shape)], [x.type])[0];
  }
  transpose(x: Value, perm: readonly number[]): Value {
    return this.unary('Transpose', x, { perm: attr.ints(perm) });
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.node('Unsqueeze', [x, this.i64(axes)], [x.type])[0];
  }
  squeeze(x: Value, axes?: readonly number[]): Value {
    return this.node('Squeeze', axes ? [x, this.i64(axes)] : [x], [x.type])[0];
  }
  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 0) throw new Error('GraphBuilder: Concat of nothing');
    for (const x of xs)
      if (x.type !== xs[0].type)
        throw new Error(`GraphBuilder: Concat inputs differ in type: ${x.type} vs ${xs[0].type}`);
    return this.node('Concat', xs, [xs[0].type], { axis: attr.int(axis) })[0];
  }
  /** x[starts:ends:steps] along `axes` (default: the first axes). Bounds past the end are clamped. */
  slice(
    x: Value,
    starts: readonly number[] | Value,
    ends: readonly number[] | Value,
    axes?: readonly number[] | Value,
    steps?: readonly number[] | Value,
  ): Value {
    const ins: (Value | null)[] = [x, this.ints(starts), this.ints(ends)];
    if (axes !== undefined || steps !== undefined) ins.push(axes !== undefined ? this.ints(axes) : null);
    if (steps !== undefined) ins.push(this.ints(steps));
    return this.node('Slice', ins, [x.type])[0];
  }
  /** Split along `axis` into pieces of the given sizes. */
  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    return this.node(
      'Split',
      [x, this.i64(sizes)],
      sizes.map(() => x.type),
      { axis: attr.int(axis) },
    );
  }
  /** Gather along `axis`; a number index gives a 0-d index (the axis is removed). */
  gather(data: Value, indices: Value | number | readonly number[], axis = 0): Value {
    const idx =
      typeof indices === 'number'
        ? this.i64(indices)
        : Array.isArray(indices)
          ? this.i64(indices as readonly number[])
          : (indices as Value);
    return this.node('Gather', [data, idx], [data.type], { axis: attr.int(axis) })[0];
  }
  gatherElements(data: Value, indices: Value, axis: number): Value {
    return this.node('GatherElements', [data, indices], [data.type], { axis: attr.int(axis) })[0];
  }
  expand(x: Value, shape: readonly number[] | Value): Value {
    return this.node('Expand', [x, this.ints(shape)], [x.type])[0];
  }
  tile(x: Value, repeats: readonly number[] | Value): Value {
    return this.node('Tile', [x, this.ints(repeats)], [x.type])[0];
  }
  /** Shape of x as int64 [rank], or dims start..end (opset 15 attributes). */
  shape(x: Value, start?: number, end?: number): Value {
    const at: Record<string, AttrValue> = {};
    if (start !== undefined) at.start = attr.int(start);
    if (end !== undefined) at.end = attr.int(end);
    return this.node('Shape', [x], ['int64'], at)[0];
  }
  /** Dim `axis` of x as a 0-d int64 scalar. */
  dim(x: Value, axis: number): Value {
    return this.gather(this.shape(x), axis);
  }
  /** [start, limit) by delta; numbers become scalars of the type of the Value operands (int64 by default). */
  range(start: Operand, limit: Operand, delta: Operand = 1): Value {
    const like = [start, limit, delta].find((v): v is Value => typeof v !== 'number')?.type ?? 'int64';
    const vs = [start, limit, delta].map((v) => this.operand(v, like));
    return this.node('Range', vs, [like])[0];
  }
  /** Upper (or lower) triangle of the last two dims, diagonal offset k. */
  trilu(x: Value, upper = true, k?: Operand): Value {
    const ins = k === undefined ? [x] : [x, this.operand(k, 'int64')];
    return this.node('Trilu', ins, [x.type], { upper: attr.int(upper ? 1 : 0) })[0];
  }
  /** A tensor of the given (int64) shape filled with `value`. */
  constantOfShape(shape: Value, value: number, type: ElemType = 'float32'): Value {
    const one = this.scalarTensor(value, type);
    return this.node('ConstantOfShape', [shape], [type], { value: attr.tensor(one) })[0];
  }

  private scalarTensor(value: number, type: ElemType): TensorData {
    const one: Record<ElemType, () => TensorArray> = {
      float32: () => new Float32Array([value]),
      float16: () => new Uint16Array([toHalfBits(value)]),
      int64: () => new BigInt64Array([BigInt(value)]),
      int32: () => new Int32Array([value]),
      uint8: () => new Uint8Array([value]),
      bool: () => new Uint8Array([value ? 1 : 0]),
      int8: () => new Int8Array([value]),
    };
    return { name: '', type, dims: [1], bytes: bytesOf(one[type]()) };
  }

  // -- build ------------------------------------------------------------------------------------

  /** Number of nodes so far (for tests and logs). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * The model as data, not yet serialized: what build() and buildWithExternalData() encode, for a
   * caller that lays the initializers out itself (export/onnx-file.ts splits them over several external
   * data files). The graph's node and initializer arrays are the builder's own, not copies: read them,
   * do not change them. Throws if the graph has no outputs.
   */
  modelData(): ModelData {
    if (this.outputs.length === 0) throw new Error(`GraphBuilder: graph ${this.name} has no outputs`);
    const opsets = [{ domain: '', version: OPSET }];
    if (this.usesMs) opsets.push({ domain: MS_DOMAIN, version: 1 });
    return {
      irVersion: IR_VERSION,
      producerName: PRODUCER,
      opsets,
      graph: {
        name: this.name,
        nodes: this.nodes,
        initializers: this.inits,
        inputs: this.inputs,
        outputs: this.outputs,
        docString: this.docString,
      },
      metadata: this.metadata,
    };
  }

  /** The serialized ModelProto, all weights inside (under protobuf's 2 GB limit). */
  build(): Uint8Array {
    const m = this.modelData();
    let bytes = 0;
    for (const t of this.inits) bytes += t.bytes.length;
    if (bytes > 2 ** 31 - 2 ** 24)
      throw new Error(
        `GraphBuilder: ${(bytes / 2 ** 30).toFixed(2)} GiB of weights do not fit in one ONNX protobuf; use buildWithExternalData()`,
      );
    return encodeModel(m);
  }

  /**
   * The model for a runtime that takes external data from memory (onnxruntime-node's and -web's
   * `sessionOptions.externalData`): every initializer of at least `minBytes` is its own "file", handed over
   * by reference, so the weights are never copied into one serialized buffer (on a SmolLM2-135M shape that
   * copy was a fifth of graph building: bench/external-weights.ts). onnxruntime copies them at session
   * creation; the arrays may be dropped afterwards.
   */
  buildWeightsApart(minBytes = 4096): GraphBytes {
    const m = this.modelData();
    const refs = new Map<string, ExternalRef>();
    const externalData: InMemoryExternalData[] = [];
    this.inits.forEach((t, i) => {
      if (t.bytes.length < minBytes) return;
      const path = `w${i}.bin`;
      refs.set(t.name, { location: path, offset: 0, length: t.bytes.length });
      externalData.push({ path, data: t.bytes });
    });
    return { model: encodeModel(m, refs), externalData };
  }

  /**
   * The model with initializers of at least `minBytes` written to a separate data file (ONNX external
   * data: data_location = EXTERNAL, entries location/offset/length). The data file comes back as
   * chunks; offsets are aligned to `align` (zero padding in between).
   */
  buildWithExternalData(opts: ExternalDataOptions): BuiltWithExternalData {
    const m = this.modelData();
    const minBytes = opts.minBytes ?? 1024;
    const align = opts.align ?? 4096;
    const refs = new Map<string, ExternalRef>();
    const data: Uint8Array[] = [];
    let offset = 0;
    for (const t of this.inits) {
      if (t.bytes.length < minBytes) continue;
      const pad = (align - (offset % align)) % align;
      if (pad) {
        data.push(new Uint8Array(pad));
        offset += pad;
      }
      refs.set(t.name, { location: opts.location, offset, length: t.bytes.length });
      data.push(t.bytes);
      offset += t.bytes.length;
    }
    return { model: encodeModel(m, refs), data, dataBytes: offset };
  }
}

/** TensorProto.DataType code for an element type. */
export const dataTypeCode = (t: ElemType): number => elemTypeCode(t);

/** IEEE half bits of a number (round to nearest even). */
export function toHalfBits(v: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = v;
  const x = u[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  if ((h & 0x7fff) >= 0x7c00) return sign | 0x7c00;
  return sign | h;
}
