/**
 * A small protobuf wire-format writer and reader, and encoders for the parts of onnx.proto that
 * DropLab writes (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
 *
 * Field numbers are those of onnx/onnx.proto (proto2 syntax). Repeated scalars are written packed;
 * protobuf parsers accept packed and unpacked encodings alike. Tensor payloads always go in raw_data
 * (little-endian, as ONNX requires; every platform a browser runs on is little-endian), or in an
 * external file (data_location = EXTERNAL with location/offset/length entries) when a model would
 * pass protobuf's 2 GB limit.
 *
 * Large byte arrays (tensor data) are kept by reference while a message is assembled and copied
 * exactly once, into the final buffer.
 *
 * Plain TypeScript: no DOM, no Node builtins.
 */

// ---------------------------------------------------------------------------------------------
// Wire writer
// ---------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Byte arrays at least this long are appended by reference instead of copied into the scratch buffer. */
const BY_REFERENCE = 1024;

export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  private flushed = 0; // bytes already moved to `parts`

  /** Total bytes written so far. */
  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** Unsigned varint of a non-negative safe integer, or any int64 as a bigint / negative number (two's complement, 10 bytes). */
  varint(v: number | bigint): this {
    if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) {
      this.ensure(10);
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.pos++] = v;
      return this;
    }
    if (typeof v === 'number' && !Number.isInteger(v)) throw new RangeError(`varint: ${v} is not an integer`);
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** A raw byte run (no tag, no length). Large runs are kept by reference. */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= BY_REFERENCE) {
      this.flushScratch();
      this.parts.push(bytes);
      this.flushed += bytes.length;
    } else {
      this.ensure(bytes.length);
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
    return this;
  }

  // -- fields ---------------------------------------------------------------------------------

  int(field: number, v: number | bigint): this {
    return this.tag(field, WIRE_VARINT).varint(v);
  }

  float32(field: number, v: number): this {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
    return this;
  }

  float64(field: number, v: number): this {
    this.tag(field, WIRE_I64);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setFloat64(0, v, true);
    this.pos += 8;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    return this.tag(field, WIRE_LEN).varint(b.length).raw(b);
  }

  string(field: number, s: string): this {
    return this.bytes(field, textEncoder.encode(s));
  }

  /** An embedded message, written by `fill` into a child writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    fill(child);
    return this.embed(field, child);
  }

  /** An already written child message. */
  embed(field: number, child: ProtoWriter): this {
    child.flushScratch();
    this.tag(field, WIRE_LEN).varint(child.flushed);
    for (const p of child.parts) this.raw(p);
    return this;
  }

  /** Packed repeated varints (int32/int64/enum). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.embed(field, inner);
  }

  /** Packed repeated float (fixed32). */
  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const f = new Float32Array(values);
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  /** The message as chunks (large tensor payloads by reference), without a final copy. */
  chunks(): Uint8Array[] {
    this.flushScratch();
    return this.parts.slice();
  }

  /** The message as one buffer. */
  finish(): Uint8Array {
    this.flushScratch();
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.flushed);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// ONNX enums (onnx.proto)
// ---------------------------------------------------------------------------------------------

/** TensorProto.DataType values for the element types DropLab uses. */
export const DataType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
} as const;
export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

export const elemTypeCode = (t: ElemType): number => DataType[t];
const codeToElem = new Map<number, string>(Object.entries(DataType).map(([k, v]) => [v, k]));
export const elemTypeName = (code: number): string => codeToElem.get(code) ?? `type${code}`;

/** Bytes per element. */
export const elemSize: Record<ElemType, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  int8: 1,
  bool: 1,
};

/** AttributeProto.AttributeType */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

// ---------------------------------------------------------------------------------------------
// ONNX message shapes (what the encoders take)
// ---------------------------------------------------------------------------------------------

/** A symbolic dim is a name (dim_param), a static one a number (dim_value). */
export type Dim = number | string;

export interface TensorData {
  name: string;
  type: ElemType;
  dims: readonly number[];
  /** Little-endian element bytes, length = product(dims) * elemSize. */
  bytes: Uint8Array;
}

/** Where a tensor's payload lives when written outside the model file. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

export type AttrValue =
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: readonly (number | bigint)[] }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorData };

export interface NodeData {
  opType: string;
  domain: string; // '' = default ONNX domain
  name: string;
  inputs: readonly string[]; // '' = optional input left out
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttrValue>>;
}

export interface ValueInfoData {
  name: string;
  type: ElemType;
  shape: readonly Dim[] | null; // null = rank unknown
}

export interface GraphData {
  name: string;
  nodes: readonly NodeData[];
  initializers: readonly TensorData[];
  inputs: readonly ValueInfoData[];
  outputs: readonly ValueInfoData[];
  docString?: string;
}

export interface ModelData {
  irVersion: number;
  producerName: string;
  producerVersion?: string;
  opsets: readonly { domain: string; version: number }[];
  graph: GraphData;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------------

/** TensorProto. With `external`, the payload is not written: data_location = EXTERNAL and its entries instead. */
export function writeTensor(w: ProtoWriter, t: TensorData, external?: ExternalRef): void {
  w.packedInts(1, t.dims); // dims
  w.int(2, elemTypeCode(t.type)); // data_type
  w.string(8, t.name); // name
  if (external) {
    const entry = (key: string, value: string) =>
      w.message(13, (e) => {
        e.string(1, key);
        e.string(2, value);
      });
    entry('location', external.location);
    entry('offset', String(external.offset));
    entry('length', String(external.length));
    w.int(14, 1); // data_location = EXTERNAL
  } else {
    w.bytes(9, t.bytes); // raw_data
  }
}

export function writeAttribute(w: ProtoWriter, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.type) {
    case 'float':
      w.float32(2, a.value);
      w.int(20, AttrType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value);
      w.int(20, AttrType.INT);
      break;
    case 'string':
      w.string(4, a.value);
      w.int(20, AttrType.STRING);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      w.int(20, AttrType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      w.int(20, AttrType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      w.int(20, AttrType.INTS);
      break;
  }
}

export function writeNode(w: ProtoWriter, n: NodeData): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes)) w.message(5, (aw) => writeAttribute(aw, k, a));
  if (n.domain) w.string(7, n.domain);
}

export function writeValueInfo(w: ProtoWriter, v: ValueInfoData): void {
  w.string(1, v.name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      // TypeProto.tensor_type
      tt.int(1, elemTypeCode(v.type)); // elem_type
      if (v.shape) {
        const shape = v.shape;
        tt.message(2, (sh) => {
          for (const d of shape)
            sh.message(1, (dim) => {
              if (typeof d === 'number') {
                dim.int(1, d); // dim_value
              } else {
                dim.string(2, d); // dim_param
              }
            });
        });
      }
    }),
  );
}

export function writeGraph(w: ProtoWriter, g: GraphData, external?: ReadonlyMap<string, ExternalRef>): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t, external?.get(t.name)));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

export function writeModel(w: ProtoWriter, m: ModelData, external?: ReadonlyMap<string, ExternalRef>): void {
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (gw) => writeGraph(gw, m.graph, external));
  for (const o of m.opsets)
    w.message(8, (ow) => {
      if (o.domain) ow.string(1, o.domain);
      ow.int(2, o.version);
    });
  for (const [k, v] of Object.entries(m.metadata ?? {}))
    w.message(14, (e) => {
      e.string(1, k);
      e.string(2, v);
    });
}

export function encodeModel(m: ModelData, external?: ReadonlyMap<string, ExternalRef>): Uint8Array {
  const w = new ProtoWriter();
  writeModel(w, m, external);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Reader (enough to check structure in tests and to inspect exported files)
// ---------------------------------------------------------------------------------------------

export interface WireField {
  field: number;
  wire: number;
  /** varint: bigint; fixed32/fixed64: their raw little-endian bytes; length-delimited: the bytes. */
  value: bigint | Uint8Array;
}

export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new RangeError('protobuf: truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new RangeError('protobuf: varint too long');
  }
}

/** Splits one message into its fields, in order. */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === WIRE_VARINT) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ field, wire, value: v });
      pos = p2;
    } else if (wire === WIRE_LEN) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new RangeError('protobuf: truncated field');
      out.push({ field, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === WIRE_I32) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else if (wire === WIRE_I64) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else {
      throw new RangeError(`protobuf: unsupported wire type ${wire}`);
    }
  }
  return out;
}

const asBytes = (f: WireField): Uint8Array => f.value as Uint8Array;
const asInt = (f: WireField): number => Number(BigInt.asIntN(64, f.value as bigint));
const asString = (f: WireField): string => textDecoder.decode(asBytes(f));

/** Repeated integer field, packed or not. */
function repeatedInts(fields: WireField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === WIRE_VARINT) out.push(asInt(f));
    else {
      const b = asBytes(f);
      let p = 0;
      while (p < b.length) {
        const [v, np] = readVarint(b, p);
        out.push(Number(BigInt.asIntN(64, v)));
        p = np;
      }
    }
  }
  return out;
}

function repeatedFloats(fields: WireField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    const b = asBytes(f);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let p = 0; p + 4 <= b.length; p += 4) out.push(dv.getFloat32(p, true));
  }
  return out;
}

export interface DecodedTensor {
  name: string;
  dataType: number;
  type: string;
  dims: number[];
  rawData: Uint8Array | null;
  external: Record<string, string> | null; // set when data_location = EXTERNAL
}

export interface DecodedAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: DecodedTensor;
  floats?: number[];
  ints?: number[];
}

export interface DecodedNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, DecodedAttribute>;
}

export interface DecodedValueInfo {
  name: string;
  elemType: number;
  type: string;
  shape: Dim[] | null;
}

export interface DecodedGraph {
  name: string;
  nodes: DecodedNode[];
  initializers: DecodedTensor[];
  inputs: DecodedValueInfo[];
  outputs: DecodedValueInfo[];
}

export interface DecodedModel {
  irVersion: number;
  producerName: string;
  opsets: { domain: string; version: number }[];
  graph: DecodedGraph;
  metadata: Record<string, string>;
}

export function decodeTensor(buf: Uint8Array): DecodedTensor {
  const fs = readFields(buf);
  const t: DecodedTensor = {
    name: '',
    dataType: 0,
    type: '',
    dims: repeatedInts(fs, 1),
    rawData: null,
    external: null,
  };
  let location = 0;
  const ext: Record<string, string> = {};
  for (const f of fs) {
    if (f.field === 2) t.dataType = asInt(f);
    else if (f.field === 8) t.name = asString(f);
    else if (f.field === 9) t.rawData = asBytes(f);
    else if (f.field === 13) {
      const [k, v] = decodeEntry(asBytes(f));
      ext[k] = v;
    } else if (f.field === 14) location = asInt(f);
  }
  t.type = elemTypeName(t.dataType);
  if (location === 1) t.external = ext;
  return t;
}

function decodeEntry(buf: Uint8Array): [string, string] {
  let k = '';
  let v = '';
  for (const f of readFields(buf)) {
    if (f.field === 1) k = asString(f);
    else if (f.field === 2) v = asString(f);
  }
  return [k, v];
}

function decodeAttribute(buf: Uint8Array): DecodedAttribute {
  const fs = readFields(buf);
  const a: DecodedAttribute = { name: '', type: 0 };
  for (const f of fs) {
    if (f.field === 1) a.name = asString(f);
    else if (f.field === 20) a.type = asInt(f);
    else if (f.field === 2) a.f = new DataView(asBytes(f).buffer, asBytes(f).byteOffset, 4).getFloat32(0, true);
    else if (f.field === 3) a.i = asInt(f);
    else if (f.field === 4) a.s = asString(f);
    else if (f.field === 5) a.t = decodeTensor(asBytes(f));
  }
  if (fs.some((f) => f.field === 7)) a.floats = repeatedFloats(fs, 7);
  if (fs.some((f) => f.field === 8)) a.ints = repeatedInts(fs, 8);
  return a;
}

function decodeNode(buf: Uint8Array): DecodedNode {
  const n: DecodedNode = { opType: '', domain: '', name: '', inputs: [], outputs: [], attributes: {} };
  for (const f of readFields(buf)) {
    if (f.field === 1) n.inputs.push(asString(f));
    else if (f.field === 2) n.outputs.push(asString(f));
    else if (f.field === 3) n.name = asString(f);
    else if (f.field === 4) n.opType = asString(f);
    else if (f.field === 5) {
      const a = decodeAttribute(asBytes(f));
      n.attributes[a.name] = a;
    } else if (f.field === 7) n.domain = asString(f);
  }
  return n;
}

function decodeValueInfo(buf: Uint8Array): DecodedValueInfo {
  const v: DecodedValueInfo = { name: '', elemType: 0, type: '', shape: null };
  for (const f of readFields(buf)) {
    if (f.field === 1) v.name = asString(f);
    else if (f.field === 2) {
      for (const tf of readFields(asBytes(f))) {
        if (tf.field !== 1) continue; // tensor_type
        for (const tt of readFields(asBytes(tf))) {
          if (tt.field === 1) v.elemType = asInt(tt);
          else if (tt.field === 2) {
            v.shape = [];
            for (const d of readFields(asBytes(tt))) {
              if (d.field !== 1) continue;
              let dim: Dim = '?';
              for (const df of readFields(asBytes(d))) {
                if (df.field === 1) dim = asInt(df);
                else if (df.field === 2) dim = asString(df);
              }
              v.shape.push(dim);
            }
          }
        }
      }
    }
  }
  v.type = elemTypeName(v.elemType);
  return v;
}

export function decodeGraph(buf: Uint8Array): DecodedGraph {
  const g: DecodedGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
  for (const f of readFields(buf)) {
    if (f.field === 1) g.nodes.push(decodeNode(asBytes(f)));
    else if (f.field === 2) g.name = asString(f);
    else if (f.field === 5) g.initializers.push(decodeTensor(asBytes(f)));
    else if (f.field === 11) g.inputs.push(decodeValueInfo(asBytes(f)));
    else if (f.field === 12) g.outputs.push(decodeValueInfo(asBytes(f)));
  }
  return g;
}

export function decodeModel(buf: Uint8Array): DecodedModel {
  const m: DecodedModel = {
    irVersion: 0,
    producerName: '',
    opsets: [],
    graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [] },
    metadata: {},
  };
  for (const f of readFields(buf)) {
    if (f.field === 1) m.irVersion = asInt(f);
    else if (f.field === 2) m.producerName = asString(f);
    else if (f.field === 7) m.graph = decodeGraph(asBytes(f));
    else if (f.field === 8) {
      let domain = '';
      let version = 0;
      for (const o of readFields(asBytes(f))) {
        if (o.field === 1) domain = asString(o);
        else if (o.field === 2) version = asInt(o);
      }
      m.opsets.push({ domain, version });
    } else if (f.field === 14) {
      const [k, v] = decodeEntry(asBytes(f));
      m.metadata[k] = v;
    }
  }
  return m;
}
