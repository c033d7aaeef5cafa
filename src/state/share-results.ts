/**
 * Imported results inside a share link (field `r`, link format v3): the scores a heatmap shows, packed
 * so a teacher can send an 80-layer heatmap as a link.
 *
 * Packing: every score as an IEEE half float (11 significant bits: 3 to 4 significant decimal digits,
 * which is what a heatmap and a ranking need), the similarity matrix as its upper triangle (it is
 * symmetric with a unit diagonal), drop lists as bit masks, the model's name and its config's scalar
 * fields (for the cost panel) as UTF-8, the whole raw-DEFLATEd and written as base64url.
 *
 *   u8 codec (1) | u16 L | u8 flags (1 block, 2 similarity, 4 perplexity, 8 llm-drop, 16 config)
 *   | mask(L) drop.attn | mask(L) drop.mlp | mask(L) selection.attn | mask(L) selection.mlp
 *   | f16[L] attn | f16[L] mlp | [f16[L] block] | [f16[L(L+1)/2] similarity, i < j]
 *   | [f32 perplexity, f32 tokens, u16 seqLen, u16 windows]
 *   | u8 n + n bytes model name | [u16 n + n bytes config JSON]
 *
 * Decoding checks every length and value and throws ShareLinkError; nothing half-read is returned.
 */
import { deflateSync, inflateSync } from 'fflate';
import { type DropConfig, f16BitsToFloat, floatToF16Bits, type ImportedResults } from '../engine/api';
import { ShareLinkError } from '../engine/errors';

/** What a link (and a saved experiment) keeps of imported results. */
export interface SharedResults {
  results: ImportedResults;
  /** The config.json's scalar fields (model_type, sizes, ...), for the cost panel; null when none was given. */
  config: Record<string, string | number | boolean | null> | null;
  /** The drops the person picked on the imported heatmap. */
  selection: DropConfig;
}

const CODEC = 1;
const MAX_LAYERS = 1024;
const MAX_CONFIG_BYTES = 4096;
const MAX_PACKED_BYTES = 1 << 20;

const fail = (m: string): never => {
  throw new ShareLinkError(`The imported results in the link are damaged: ${m}`);
};

export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url -> bytes; null when the string is not base64url. */
export function fromBase64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---- half floats -------------------------------------------------------------------------------------

/** float -> IEEE half bits (round to nearest even; NaN stays NaN): the engine's safetensors conversion. */
export const toHalf = floatToF16Bits;
export const fromHalf = f16BitsToFloat;

// ---- writer / reader ---------------------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(256);
  private n = 0;
  private room(k: number) {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  u8(v: number) {
    this.room(1);
    this.buf[this.n++] = v & 0xff;
  }
  u16(v: number) {
    this.u8(v);
    this.u8(v >>> 8);
  }
  f32(v: number) {
    this.room(4);
    new DataView(this.buf.buffer).setFloat32(this.n, v, true);
    this.n += 4;
  }
  bytes(b: Uint8Array) {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  mask(L: number, on: number[]) {
    const m = new Uint8Array(Math.ceil(L / 8));
    for (const l of on) m[l >> 3] |= 1 << (l & 7);
    this.bytes(m);
  }
  halves(xs: number[]) {
    for (const x of xs) this.u16(toHalf(x));
  }
  done() {
    return this.buf.subarray(0, this.n);
  }
}

class Reader {
  private p = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(k: number) {
    if (this.p + k > this.b.length) fail('they end too early.');
  }
  u8() {
    this.need(1);
    return this.b[this.p++];
  }
  u16() {
    this.need(2);
    const v = this.view.getUint16(this.p, true);
    this.p += 2;
    return v;
  }
  f32() {
    this.need(4);
    const v = this.view.getFloat32(this.p, true);
    this.p += 4;
    return v;
  }
  bytes(k: number) {
    this.need(k);
    const v = this.b.subarray(this.p, this.p + k);
    this.p += k;
    return v;
  }
  mask(L: number): number[] {
    const m = this.bytes(Math.ceil(L / 8));
    const out: number[] = [];
    for (let l = 0; l < L; l++) if (m[l >> 3] & (1 << (l & 7))) out.push(l);
    for (let l = L; l < m.length * 8; l++)
      if (m[l >> 3] & (1 << (l & 7))) fail('a drop list names a layer past the last.');
    return out;
  }
  halves(k: number, lo: number, hi: number, what: string): number[] {
    return Array.from({ length: k }, () => {
      const v = fromHalf(this.u16());
      if (!Number.isNaN(v) && (v < lo || v > hi)) fail(`${what} holds ${v}, outside [${lo}, ${hi}].`);
      return v;
    });
  }
  end() {
    if (this.p !== this.b.length) fail('they carry extra bytes.');
  }
}

/** Scalars of a config.json (what specFromConfig reads; lists and objects are left out), capped in size. */
export function configScalars(config: Record<string, unknown>): SharedResults['config'] {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith('drop_') || k === 'auto_map') continue;
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    else if (typeof v === 'string' && v.length <= 200) out[k] = v;
    else if (k === 'architectures' && Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
  }
  return out;
}

// The hash is rewritten as the person works: pack each (immutable) SharedResults once.
const packedOf = new WeakMap<SharedResults, string>();

export function packResults(s: SharedResults): string {
  const hit = packedOf.get(s);
  if (hit !== undefined) return hit;
  const packed = packUncached(s);
  packedOf.set(s, packed);
  return packed;
}

function packUncached(s: SharedResults): string {
  const r = s.results;
  const L = r.layers;
  if (L < 1 || L > MAX_LAYERS)
    throw new ShareLinkError(`Results for ${L} layers do not fit in a link (at most ${MAX_LAYERS}).`);
  const w = new Writer();
  const cfg = s.config ? new TextEncoder().encode(JSON.stringify(s.config)) : null;
  if (cfg && cfg.length > MAX_CONFIG_BYTES)
    throw new ShareLinkError('The imported config.json is too large to travel in a link.');
  const flags =
    (r.importance.block ? 1 : 0) |
    (r.similarity ? 2 : 0) |
    (r.perplexity ? 4 : 0) |
    (r.source === 'llm-drop' ? 8 : 0) |
    (cfg ? 16 : 0);
  w.u8(CODEC);
  w.u16(L);
  w.u8(flags);
  w.mask(L, r.drop.attn);
  w.mask(L, r.drop.mlp);
  w.mask(L, s.selection.attn);
  w.mask(L, s.selection.mlp);
  w.halves(r.importance.attn);
  w.halves(r.importance.mlp);
  if (r.importance.block) w.halves(r.importance.block);
  if (r.similarity) for (let i = 0; i <= L; i++) for (let j = i + 1; j <= L; j++) w.u16(toHalf(r.similarity[i][j]));
  if (r.perplexity) {
    w.f32(r.perplexity.value);
    w.f32(r.perplexity.tokens);
    w.u16(Math.min(r.perplexity.seqLen, 0xffff));
    w.u16(Math.min(r.perplexity.windows, 0xffff));
  }
  const name = new TextEncoder().encode(r.model).subarray(0, 255);
  w.u8(name.length);
  w.bytes(name);
  if (cfg) {
    w.u16(cfg.length);
    w.bytes(cfg);
  }
  return base64url(deflateSync(w.done(), { level: 9 }));
}

export function unpackResults(packed: string): SharedResults {
  const raw = fromBase64url(packed);
  if (!raw) return fail('they are not base64url.');
  let bytes: Uint8Array;
  try {
    bytes = inflateSync(raw, { out: undefined });
  } catch {
    return fail('they do not inflate.');
  }
  if (bytes.length > MAX_PACKED_BYTES) fail('they are too large.');
  const rd = new Reader(bytes);
  if (rd.u8() !== CODEC) fail('they were packed by another DropLab version.');
  const L = rd.u16();
  if (L < 1 || L > MAX_LAYERS) fail(`they claim ${L} layers.`);
  const flags = rd.u8();
  if (flags & ~31) fail('they carry unknown flags.');
  const drop = { attn: rd.mask(L), mlp: rd.mask(L) };
  const selection = { attn: rd.mask(L), mlp: rd.mask(L) };
  const attn = rd.halves(L, 0, 2, 'an attention score');
  const mlp = rd.halves(L, 0, 2, 'an MLP score');
  const block = flags & 1 ? rd.halves(L, 0, 2, 'a block score') : undefined;
  let similarity: number[][] | undefined;
  if (flags & 2) {
    similarity = Array.from({ length: L + 1 }, () => new Array<number>(L + 1).fill(1));
    for (let i = 0; i <= L; i++)
      for (let j = i + 1; j <= L; j++) {
        const v = fromHalf(rd.u16());
        if (!(v >= -1 && v <= 1)) fail(`a similarity is ${v}.`);
        similarity[i][j] = v;
        similarity[j][i] = v;
      }
  }
  let perplexity: ImportedResults['perplexity'];
  if (flags & 4) {
    perplexity = { value: rd.f32(), tokens: rd.f32(), seqLen: rd.u16(), windows: rd.u16() };
    if (!(perplexity.value >= 1 && Number.isFinite(perplexity.value))) fail(`the perplexity is ${perplexity.value}.`);
    if (!(Number.isInteger(perplexity.tokens) && perplexity.tokens >= 0))
      fail('the token count is not a whole number.');
  }
  let model: string;
  try {
    model = new TextDecoder('utf-8', { fatal: true }).decode(rd.bytes(rd.u8()));
  } catch {
    return fail('the model name is not UTF-8.');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  if (/[\u0000-\u001f\u007f<>"`\\]/.test(model)) fail('the model name holds characters a name never has.');
  let config: SharedResults['config'] = null;
  if (flags & 16) {
    const n = rd.u16();
    if (n > MAX_CONFIG_BYTES) fail('the config is too large.');
    try {
      const o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rd.bytes(n)));
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error();
      config = configScalars(o);
    } catch {
      fail('the config is not a JSON object.');
    }
  }
  rd.end();
  return {
    results: {
      source: flags & 8 ? 'llm-drop' : 'droplab',
      model,
      layers: L,
      drop,
      importance: { attn, mlp, ...(block ? { block } : {}) },
      ...(similarity ? { similarity } : {}),
      ...(perplexity ? { perplexity } : {}),
      files: [],
    },
    config,
    selection,
  };
}
