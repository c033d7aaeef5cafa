/**
 * Running an exported KV-cache graph (graph.ts) on an injected ONNX runtime: one decoding step at a
 * time, feeding each step's present.{l}.key/value back as the next step's past_key_values.{l}.key/value,
 * with attention_mask = ones(past + new) and position_ids = past .. past + new - 1 (batch 1, no padding).
 * Used by the tests (KV cache vs. full recompute, transformers.js vs. our loop), the speed benchmark
 * and the workbench's generation panel.
 */
import type { DropConfig } from '../api';
import type { ModelSpec } from '../model/spec';
import type { OrtLike, OrtSession, OrtSessionOptions, OrtTensor } from '../runtime/ort';
import { KV_IO, keptAttention } from './graph';

/** What a decoder needs to know about the graph's cache. */
export interface KvLayout {
  /** Original indices of the layers with a cache (kept attention layers). */
  layers: number[];
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
}

export function kvLayout(spec: ModelSpec, drop: DropConfig): KvLayout {
  return {
    layers: keptAttention(spec, drop),
    numKvHeads: spec.numKvHeads,
    headDim: spec.headDim,
    vocabSize: spec.vocabSize,
  };
}

/** past_key_values.* tensors by input name, and how many tokens they hold. */
export interface KvCache {
  length: number;
  tensors: Record<string, OrtTensor>;
}

async function floats(t: OrtTensor): Promise<Float32Array> {
  if (t.location && t.location !== 'cpu' && t.getData) return (await t.getData()) as Float32Array;
  return t.data as Float32Array;
}

export class KvDecoder {
  /** Session runs so far. */
  runs = 0;

  constructor(
    readonly ort: OrtLike,
    readonly session: OrtSession,
    readonly layout: KvLayout,
  ) {}

  static async create(
    ort: OrtLike,
    model: Uint8Array,
    layout: KvLayout,
    options: OrtSessionOptions = {},
  ): Promise<KvDecoder> {
    const session = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...options,
    });
    return new KvDecoder(ort, session, layout);
  }

  /** A cache holding no token: [1, Hkv, 0, hd] per kept layer. */
  emptyCache(): KvCache {
    const { numKvHeads: Hkv, headDim: hd } = this.layout;
    const tensors: Record<string, OrtTensor> = {};
    for (const l of this.layout.layers) {
      tensors[KV_IO.pastKey(l)] = new this.ort.Tensor('float32', new Float32Array(0), [1, Hkv, 0, hd]);
      tensors[KV_IO.pastValue(l)] = new this.ort.Tensor('float32', new Float32Array(0), [1, Hkv, 0, hd]);
    }
    return { length: 0, tensors };
  }

  /** Bytes the cache holds (float32). */
  static cacheBytes(c: KvCache): number {
    let n = 0;
    for (const t of Object.values(c.tensors)) n += t.dims.reduce((a, b) => a * b, 1) * 4;
    return n;
  }

  /**
   * Run the new tokens `ids` (batch 1) after `cache`. Returns the logits of the new positions
   * ([ids.length * V], or only the last position's [V] with lastOnly) and the cache after them.
   * The old cache's tensors are disposed unless keepOld.
   */
  async forward(
    ids: ArrayLike<number>,
    cache: KvCache,
    opts: { lastOnly?: boolean; keepOld?: boolean } = {},
  ): Promise<{ logits: Float32Array; cache: KvCache }> {
    const T = ids.length;
    const P = cache.length;
    const S = P + T;
    const feeds: Record<string, OrtTensor> = {
      [KV_IO.inputIds]: new this.ort.Tensor(
        'int64',
        BigInt64Array.from(Array.from(ids), (v) => BigInt(v)),
        [1, T],
      ),
      [KV_IO.attentionMask]: new this.ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
      [KV_IO.positionIds]: new this.ort.Tensor(
        'int64',
        BigInt64Array.from({ length: T }, (_, i) => BigInt(P + i)),
        [1, T],
      ),
      ...cache.tensors,
    };
    const out = await this.session.run(feeds);
    this.runs++;
    const tensors: Record<string, OrtTensor> = {};
    for (const l of this.layout.layers) {
      tensors[KV_IO.pastKey(l)] = out[KV_IO.presentKey(l)];
      tensors[KV_IO.pastValue(l)] = out[KV_IO.presentValue(l)];
    }
    const all = await floats(out[KV_IO.logits]);
    const V = this.layout.vocabSize;
    const logits = opts.lastOnly ? all.slice((T - 1) * V, T * V) : all;
    out[KV_IO.logits].dispose();
    if (!opts.keepOld) for (const t of Object.values(cache.tensors)) t.dispose();
    return { logits, cache: { length: S, tensors } };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Index of the first maximum. */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export interface SamplingOptions {
  /** 0 (default) = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Uniform [0, 1) source (seed it for reproducible runs). */
  random?: () => number;
}

/** The next token from last-position logits: greedy at temperature 0, else top-k / top-p sampling. */
export function sampleToken(logits: Float32Array, o: SamplingOptions = {}): number {
  const temp = o.temperature ?? 0;
  if (temp <= 0) return argmax(logits);
  const idx = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  const k = Math.min(idx.length, o.topK && o.topK > 0 ? o.topK : idx.length);
  const top = idx.slice(0, k);
  const m = logits[top[0]];
  let p = top.map((i) => Math.exp((logits[i] - m) / temp));
  let sum = p.reduce((a, b) => a + b, 0);
  p = p.map((x) => x / sum);
  if (o.topP !== undefined && o.topP < 1) {
    let acc = 0;
    let cut = p.length;
    for (let i = 0; i < p.length; i++) {
      acc += p[i];
      if (acc >= o.topP) {
        cut = i + 1;
        break;
      }
    }
    p = p.slice(0, cut);
    sum = p.reduce((a, b) => a + b, 0);
    p = p.map((x) => x / sum);
  }
  const r = (o.random ?? Math.random)();
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (r < acc) return top[i];
  }
  return top[p.length - 1];
}

export interface GenerateOptions extends SamplingOptions {
  /** true (default): one token per step on the cache; false: the whole sequence again at every step. */
  useCache?: boolean;
  /** Stop after this token, or any of these (it is included), as transformers.js does. */
  eosTokenId?: number | readonly number[] | null;
  /** Called with each new token; return false to stop. */
  onToken?: (id: number) => boolean | undefined;
}

/** Up to `maxNew` new tokens after `prompt` (greedy unless a temperature is given). */
export async function greedyGenerate(
  dec: KvDecoder,
  prompt: readonly number[],
  maxNew: number,
  o: GenerateOptions = {},
): Promise<number[]> {
  if (prompt.length === 0) throw new RangeError('generation needs a prompt of at least one token');
  const useCache = o.useCache ?? true;
  const eos =
    o.eosTokenId === undefined || o.eosTokenId === null
      ? []
      : typeof o.eosTokenId === 'number'
        ? [o.eosTokenId]
        : o.eosTokenId;
  const out: number[] = [];
  let cache = dec.emptyCache();
  let next: number[] = [...prompt];
  for (let i = 0; i < maxNew; i++) {
    let logits: Float32Array;
    if (useCache) {
      const r = await dec.forward(next, cache, { lastOnly: true });
      cache = r.cache;
      logits = r.logits;
    } else {
      const r = await dec.forward([...prompt, ...out], dec.emptyCache(), { lastOnly: true });
      for (const t of Object.values(r.cache.tensors)) t.dispose();
      logits = r.logits;
    }
    const id = sampleToken(logits, o);
    out.push(id);
    next = [id];
    if (o.onToken?.(id) === false) break;
    if (eos.includes(id)) break;
  }
  for (const t of Object.values(cache.tensors)) t.dispose();
  return out;
}
